//! The report's style and scripts, inlined into every page (nothing is
//! fetched). The scripts read their initial state from the URL fragment
//! (`index.html#verdict=partial&q=长治&sort=errors`,
//! `doc/….html#hide=info`), so a filtered view can be linked to.

/// The style of every page.
pub const CSS: &str = r#"
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 1.5em; color: #222; line-height: 1.45; }
h1 { font-size: 1.4em; } h2 { font-size: 1.2em; margin-top: 1.6em; } h3 { font-size: 1.05em; margin-bottom: .2em; }
a { color: #1f5fd6; }
code { font-size: .9em; background: #f3f3f3; padding: 0 .25em; border-radius: 3px; }
table.list, table.grid { border-collapse: collapse; font-size: .9em; }
table.list th, table.list td, table.grid th, table.grid td { border: 1px solid #ccc; padding: .2em .45em; }
table.list th { cursor: pointer; background: #f0f0f0; user-select: none; }
table.list th.sorted-asc::after { content: " ▲"; } table.list th.sorted-desc::after { content: " ▼"; }
table.grid th { background: #f6f6f6; font-weight: normal; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.code { font-family: monospace; }
td.source { color: #666; font-size: .85em; }
tr[hidden], li[hidden] { display: none; }
.flagged { background: #fff0c2; }
td.flagged { outline: 2px solid #ff8c00; outline-offset: -2px; background: #ffe08a; font-weight: bold; }
td.flagged.sev-error { outline-color: #c62828; background: #ffcdd2; }
:target { box-shadow: 0 0 0 3px #1f5fd6; }
.sev { display: inline-block; min-width: 4.5em; font-size: .8em; text-transform: uppercase; font-weight: bold; }
.sev-error .sev, td.sev-error { color: #b71c1c; } .sev-warning .sev, td.sev-warning { color: #a15c00; }
.sev-info .sev, td.sev-info { color: #546e7a; }
ol.flags li { margin: .35em 0; } li.accepted { opacity: .6; }
blockquote.snippet { margin: .2em 0 .2em 5em; padding: .1em .6em; border-left: 3px solid #ddd; color: #444; }
.pages, .amounts, .links { color: #555; font-size: .9em; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: .15em 1em; }
dl.facts dt { color: #666; } dl.facts dd { margin: 0; }
.verdict.complete { color: #2e7d32; } .verdict.partial { color: #a15c00; }
.verdict.failed, .verdict.not_a_disclosure { color: #b71c1c; }
div.table { margin: 1.2em 0; } p.meta { color: #666; margin: 0 0 .3em; font-size: .9em; }
div.scroll { overflow-x: auto; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; border: 1px solid #ddd; }
.filter label, #filters label { margin-right: 1em; }
"#;

/// The index: search, verdict and error filters, sortable columns.
pub const INDEX_JS: &str = r#"
(function () {
  var table = document.getElementById('documents');
  var body = table.tBodies[0];
  var q = document.getElementById('q'), verdict = document.getElementById('verdict'),
      withErrors = document.getElementById('with-errors'), shown = document.getElementById('shown');
  function apply() {
    var text = q.value.trim().toLowerCase(), v = verdict.value, n = 0;
    Array.prototype.forEach.call(body.rows, function (tr) {
      var ok = (!text || tr.textContent.toLowerCase().indexOf(text) >= 0)
        && (!v || (v === 'failed' ? tr.cells[4].textContent.indexOf('failed') === 0 : tr.dataset.verdict === v))
        && (!withErrors.checked || Number(tr.dataset.errors) > 0);
      tr.hidden = !ok; if (ok) n++;
    });
    shown.textContent = n + ' shown';
  }
  function sortBy(th, dir) {
    var i = th.cellIndex, num = th.dataset.sort === 'num';
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[i].textContent, y = b.cells[i].textContent;
      var c = num ? (Number(x) || 0) - (Number(y) || 0) : x.localeCompare(y, 'zh');
      return dir * c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) {
      c.classList.remove('sorted-asc', 'sorted-desc');
    });
    th.classList.add(dir > 0 ? 'sorted-asc' : 'sorted-desc');
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.addEventListener('click', function () {
      sortBy(th, th.classList.contains('sorted-desc') ? 1 : th.classList.contains('sorted-asc') ? -1 : (th.dataset.sort === 'num' ? -1 : 1));
    });
  });
  [q, verdict, withErrors].forEach(function (el) { el.addEventListener('input', apply); el.addEventListener('change', apply); });
  var params = new URLSearchParams(location.hash.slice(1));
  if (params.get('q')) q.value = params.get('q');
  if (params.get('verdict')) verdict.value = params.get('verdict');
  if (params.get('errors') === '1') withErrors.checked = true;
  if (params.get('sort')) {
    var th = Array.prototype.find.call(table.tHead.rows[0].cells, function (c) { return c.textContent === params.get('sort'); });
    if (th) sortBy(th, params.get('dir') === 'asc' ? 1 : -1);
  }
  apply();
})();
"#;

/// A document page: show or hide flags by severity.
pub const DOCUMENT_JS: &str = r#"
(function () {
  var boxes = document.querySelectorAll('.filter input[data-severity]');
  function apply() {
    Array.prototype.forEach.call(boxes, function (box) {
      var sev = box.dataset.severity;
      Array.prototype.forEach.call(document.querySelectorAll('li.flag[data-severity="' + sev + '"]'), function (li) {
        li.hidden = !box.checked;
      });
    });
  }
  Array.prototype.forEach.call(boxes, function (box) { box.addEventListener('change', apply); });
  var params = new URLSearchParams(location.hash.slice(1));
  (params.get('hide') || '').split(',').forEach(function (sev) {
    Array.prototype.forEach.call(boxes, function (box) { if (box.dataset.severity === sev) box.checked = false; });
  });
  apply();
})();
"#;
