//! The findings report: a static HTML site of records, for the people who
//! read them. `index.html` lists every document (unit, year, kind, read
//! verdict, flags by severity), filterable and sortable in the page; one page
//! per document draws each table as printed (label, title, unit, pages),
//! highlights the cells flags point at, lists every flag with its message,
//! pages and snippet, linked to its cell, and — for a PDF whose file is at
//! hand — draws the flagged pages from our own layout (glyphs, ruling lines,
//! the ruled cells; [`crate::layout::debug`]) with the flagged cell boxed.
//!
//! Every file is self-contained: the style and the script are inline,
//! nothing is fetched. The page drawings decode the PDF isolated like any
//! decode ([`crate::decode::pdf_pages`]).

mod assets;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::decode;
use crate::layout::debug::{find_text, page_svg_marked, Mark};
use crate::record::{Flag, Record, Severity, Table};
use crate::settings::{DecodeOptions, Limits};
use crate::text::escape_markup as esc;

/// Errors of a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Writing the site.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// One document of the report: its record and where it stands among the
/// versions of its disclosure.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The record.
    pub record: Record,
    /// Its rank among the versions of its disclosure (1 = the one exports
    /// take), and how many there are.
    pub version: (i64, i64),
    /// The file to draw pages from (the record's source when it is a local
    /// file whose content is still the record's), if any.
    pub file: Option<std::path::PathBuf>,
}

/// How the report is drawn.
#[derive(Debug, Clone)]
pub struct Options {
    /// Draw the flagged pages of PDFs.
    pub pages: bool,
    /// At most this many pages drawn per document.
    pub max_pages: usize,
    /// Limits and isolation of the page decoding.
    pub limits: Limits,
    /// How PDFs are decoded for drawing.
    pub decode: DecodeOptions,
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Document pages written.
    pub documents: usize,
    /// Flags listed.
    pub flags: usize,
    /// Pages drawn.
    pub pages_drawn: usize,
    /// Documents whose pages could not be drawn, with why.
    pub undrawn: Vec<(String, String)>,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError {
    let path = path.display().to_string();
    move |source| ReportError::Io { path, source }
}

/// A report being written: document pages as they come, the index at the
/// end (one row per document is all it keeps).
pub struct Site {
    dir: std::path::PathBuf,
    options: Options,
    index_rows: String,
    summary: Summary,
}

impl Site {
    /// Starts a report in `dir` (created when missing; files of an earlier
    /// report are overwritten).
    pub fn new(dir: &Path, options: Options) -> Result<Site, ReportError> {
        let docs = dir.join("doc");
        std::fs::create_dir_all(&docs).map_err(io_error(&docs))?;
        Ok(Site {
            dir: dir.to_path_buf(),
            options,
            index_rows: String::new(),
            summary: Summary::default(),
        })
    }

    /// Writes the page of one document.
    pub fn add(&mut self, e: &Entry) -> Result<(), ReportError> {
        let page = page_name(&e.record);
        let (html, drawn, undrawn) = document_page(e, &self.options);
        let path = self.dir.join("doc").join(&page);
        std::fs::write(&path, html).map_err(io_error(&path))?;
        self.summary.documents += 1;
        self.summary.flags += e.record.flags.len();
        self.summary.pages_drawn += drawn;
        if let Some(why) = undrawn {
            self.summary
                .undrawn
                .push((e.record.source.path.clone(), why));
        }
        self.index_rows.push_str(&index_row(e, &page));
        Ok(())
    }

    /// Writes the index; returns what was written.
    pub fn finish(self) -> Result<Summary, ReportError> {
        let index = index_page(&self.index_rows, self.summary.documents);
        let path = self.dir.join("index.html");
        std::fs::write(&path, index).map_err(io_error(&path))?;
        Ok(self.summary)
    }
}

/// The file name of a document's page: its hash, short.
pub fn page_name(record: &Record) -> String {
    let sha = &record.source.sha256;
    let short = sha.get(..16).unwrap_or(sha.as_str());
    // Bundle members share the bundle's bytes but not their own hash.
    if short.is_empty() {
        format!(
            "{}.html",
            crate::text::sha256_hex(record.source.path.as_bytes())
                .get(..16)
                .unwrap_or("document")
        )
    } else {
        format!("{short}.html")
    }
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn counts(flags: &[Flag]) -> [usize; 3] {
    let mut c = [0; 3];
    for f in flags {
        c[match f.severity {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Info => 2,
        }] += 1;
    }
    c
}

fn kind_name(r: &Record) -> &'static str {
    match r.document.kind {
        Some(crate::record::DocumentKind::FinalAccount) => "final_account",
        Some(crate::record::DocumentKind::Budget) => "budget",
        None => "",
    }
}

fn index_row(e: &Entry, page: &str) -> String {
    let r = &e.record;
    let [errors, warnings, infos] = counts(&r.flags);
    let unit = r.document.unit.clone().unwrap_or_default();
    let place = r
        .document
        .place
        .as_ref()
        .map(|p| {
            [&p.province, &p.city, &p.county]
                .into_iter()
                .flatten()
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let verdict = match &r.error {
        Some(err) => format!(
            "failed: {}",
            crate::record::json_name(&err.kind).unwrap_or_default()
        ),
        None => r.read.verdict.as_str().to_string(),
    };
    let year = r.document.year.map(|y| y.to_string()).unwrap_or_default();
    format!(
        "<tr data-verdict=\"{v}\" data-errors=\"{errors}\" data-warnings=\"{warnings}\" data-infos=\"{infos}\">\
<td><a href=\"doc/{page}\">{unit_h}</a></td><td>{place}</td><td>{year}</td><td>{kind}</td><td class=\"verdict {vclass}\">{verdict_h}</td>\
<td class=\"num sev-error\">{errors}</td><td class=\"num sev-warning\">{warnings}</td><td class=\"num sev-info\">{infos}</td>\
<td class=\"num\">{version}/{versions}</td><td class=\"source\">{source}</td></tr>\n",
        v = esc(r.read.verdict.as_str()),
        unit_h = if unit.is_empty() { "(unit not read)".to_string() } else { esc(&unit) },
        place = esc(&place),
        kind = kind_name(r),
        vclass = esc(r.read.verdict.as_str()),
        verdict_h = esc(&verdict),
        version = e.version.0,
        versions = e.version.1,
        source = esc(&r.source.path),
    )
}

fn index_page(rows: &str, n: usize) -> String {
    format!(
        "<!doctype html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>gongkai report: {n} documents</title><style>{css}</style></head><body>\n\
<h1>{n} documents</h1>\n\
<form id=\"filters\" onsubmit=\"return false\">\
<label>Search <input id=\"q\" type=\"search\" placeholder=\"unit, place or source\"></label> \
<label>Read <select id=\"verdict\"><option value=\"\">any</option><option>complete</option><option>partial</option>\
<option>not_a_disclosure</option><option>failed</option></select></label> \
<label><input id=\"with-errors\" type=\"checkbox\"> with errors only</label> \
<span id=\"shown\"></span></form>\n\
<table id=\"documents\" class=\"list\"><thead><tr>\
<th data-sort=\"text\">unit</th><th data-sort=\"text\">place</th><th data-sort=\"num\">year</th><th data-sort=\"text\">kind</th>\
<th data-sort=\"text\">read</th><th data-sort=\"num\" title=\"flags of severity error\">errors</th>\
<th data-sort=\"num\" title=\"flags of severity warning\">warnings</th><th data-sort=\"num\" title=\"flags of severity info\">info</th>\
<th data-sort=\"text\" title=\"rank among the versions of its disclosure\">version</th><th data-sort=\"text\">source</th>\
</tr></thead><tbody>\n{rows}</tbody></table>\n<script>{js}</script></body></html>\n",
        css = assets::CSS,
        js = assets::INDEX_JS,
    )
}

/// The id of a table, a row and a cell on a document page.
fn table_id(t: usize) -> String {
    format!("t{t}")
}
fn row_id(t: usize, r: usize) -> String {
    format!("t{t}-r{r}")
}
fn cell_id(t: usize, r: usize, key: &str) -> String {
    let key: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("t{t}-r{r}-{key}")
}

/// Where a flag points on the page: cells, rows or tables, by id.
fn targets(flag: &Flag, tables: &[Table]) -> Vec<String> {
    let mut out = Vec::new();
    for (ti, t) in tables.iter().enumerate() {
        for l in &flag.locations {
            if l.table.as_deref() != Some(t.kind.as_str()) {
                continue;
            }
            let mut matched_row = false;
            for (ri, row) in t.rows.iter().enumerate() {
                let ids = [row.code.as_deref(), row.line.as_deref()];
                if !l.row.as_deref().is_some_and(|r| ids.contains(&Some(r))) {
                    continue;
                }
                matched_row = true;
                match l.column.as_deref() {
                    Some(c) if t.columns.iter().any(|col| col.key == c) => {
                        out.push(cell_id(ti, ri, c))
                    }
                    _ => out.push(row_id(ti, ri)),
                }
            }
            if !matched_row && l.row.is_none() {
                out.push(table_id(ti));
            }
        }
    }
    out.dedup();
    out
}

/// A document's page, the number of pages drawn, and why none could be.
fn document_page(e: &Entry, options: &Options) -> (String, usize, Option<String>) {
    let r = &e.record;
    let mut h = String::new();
    let title = format!(
        "{} {} {}",
        r.document.unit.as_deref().unwrap_or("(unit not read)"),
        r.document.year.map(|y| y.to_string()).unwrap_or_default(),
        kind_name(r)
    );
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{}</style></head><body>\n\
<nav><a href=\"../index.html\">← all documents</a></nav>\n<h1>{}</h1>\n",
        esc(&title),
        assets::CSS,
        esc(&title)
    );
    h.push_str(&facts_list(e));
    // Each flag's targets; each cell's flags.
    let mut by_target: BTreeMap<String, Vec<&Flag>> = BTreeMap::new();
    let flag_targets: Vec<Vec<String>> = r
        .flags
        .iter()
        .map(|f| {
            let t = targets(f, &r.tables);
            for id in &t {
                by_target.entry(id.clone()).or_default().push(f);
            }
            t
        })
        .collect();
    // Pages drawn, with the flagged cells boxed.
    let (drawings, drawn, undrawn) = drawings(e, options);
    let [errors, warnings, infos] = counts(&r.flags);
    let _ = write!(
        h,
        "<section id=\"flags\"><h2>Flags ({})</h2>\n<div class=\"filter\">Show \
<label><input type=\"checkbox\" data-severity=\"error\" checked> error ({errors})</label> \
<label><input type=\"checkbox\" data-severity=\"warning\" checked> warning ({warnings})</label> \
<label><input type=\"checkbox\" data-severity=\"info\" checked> info ({infos})</label></div>\n<ol class=\"flags\">\n",
        r.flags.len()
    );
    for (f, t) in r.flags.iter().zip(&flag_targets) {
        let sev = severity(f.severity);
        let pages: Vec<String> = f
            .pages
            .iter()
            .map(|p| {
                if drawings.contains_key(p) {
                    format!("<a href=\"#page-{p}\">p. {p}</a>")
                } else {
                    format!("p. {p}")
                }
            })
            .collect();
        let links: Vec<String> = t
            .iter()
            .map(|id| {
                format!(
                    "<a class=\"target\" href=\"#{id}\">{}</a>",
                    esc(&target_label(id, &r.tables))
                )
            })
            .collect();
        let _ = writeln!(
            h,
            "<li class=\"flag sev-{sev}{accepted}\" id=\"f-{id}\" data-severity=\"{sev}\"><span class=\"sev\">{sev}</span> \
<code>{check}</code> {message}{pages}{snippet}{amounts}{links}</li>",
            accepted = if f.accepted { " accepted" } else { "" },
            id = esc(&f.id),
            check = esc(&f.check),
            message = esc(&f.message),
            pages = if pages.is_empty() {
                String::new()
            } else {
                format!(" <span class=\"pages\">{}</span>", pages.join(", "))
            },
            snippet = f
                .snippet
                .as_deref()
                .map(|s| format!("<blockquote class=\"snippet\">{}</blockquote>", esc(s)))
                .unwrap_or_default(),
            amounts = match (&f.expected, &f.found) {
                (Some(x), Some(y)) => format!(
                    " <span class=\"amounts\">expected {} · printed {}{}</span>",
                    esc(x),
                    esc(y),
                    f.difference
                        .as_deref()
                        .map(|d| format!(" · difference {}", esc(d)))
                        .unwrap_or_default()
                ),
                _ => String::new(),
            },
            links = if links.is_empty() {
                String::new()
            } else {
                format!(" <span class=\"links\">→ {}</span>", links.join(" "))
            },
        );
    }
    h.push_str("</ol></section>\n");
    // The tables, as printed.
    let _ = writeln!(
        h,
        "<section id=\"tables\"><h2>Tables ({})</h2>",
        r.tables.len()
    );
    for (ti, t) in r.tables.iter().enumerate() {
        h.push_str(&table_html(ti, t, &by_target));
    }
    h.push_str("</section>\n");
    if !drawings.is_empty() {
        h.push_str("<section id=\"pages\"><h2>Flagged pages, as our layout read them</h2>\n<p class=\"legend\">grey: ruling lines · blue: ruled cells · red: glyphs · green: text lines · orange: the cells flags point at</p>\n");
        for (p, svg) in &drawings {
            let _ = writeln!(
                h,
                "<figure id=\"page-{p}\"><figcaption>page {p}</figcaption>{svg}</figure>"
            );
        }
        h.push_str("</section>\n");
    } else if let Some(why) = &undrawn {
        let _ = writeln!(h, "<p class=\"note\">No page drawings: {}</p>", esc(why));
    }
    let _ = writeln!(h, "<script>{}</script></body></html>", assets::DOCUMENT_JS);
    (h, drawn, undrawn)
}

fn target_label(id: &str, tables: &[Table]) -> String {
    let mut parts = id.trim_start_matches('t').splitn(3, '-');
    let t: Option<usize> = parts.next().and_then(|s| s.parse().ok());
    let r: Option<usize> = parts
        .next()
        .and_then(|s| s.trim_start_matches('r').parse().ok());
    let Some(table) = t.and_then(|t| tables.get(t)) else {
        return id.to_string();
    };
    let label = table.label.clone().unwrap_or_else(|| table.kind.clone());
    match r.and_then(|r| table.rows.get(r)) {
        Some(row) => format!(
            "{label} {}",
            row.name
                .clone()
                .or_else(|| row.code.clone())
                .unwrap_or_default()
        ),
        None => label,
    }
}

fn facts_list(e: &Entry) -> String {
    let r = &e.record;
    let mut h = String::from("<dl class=\"facts\">");
    let mut item = |k: &str, v: String| {
        if !v.is_empty() {
            let _ = write!(h, "<dt>{}</dt><dd>{v}</dd>", esc(k));
        }
    };
    item("source", esc(&r.source.path));
    item("sha256", format!("<code>{}</code>", esc(&r.source.sha256)));
    if let Some(d) = &r.document.disclosure_id {
        item(
            "disclosure",
            format!(
                "<code>{}</code> (version {} of {})",
                esc(d),
                e.version.0,
                e.version.1
            ),
        );
    }
    if let Some(p) = &r.document.place {
        let names: Vec<&str> = [&p.province, &p.city, &p.county]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        item(
            "place",
            format!(
                "{} <code>{}</code>",
                esc(&names.join(" ")),
                esc(&p.division_code)
            ),
        );
    }
    item(
        "format",
        esc(&format!(
            "{} ({}), {} pages",
            r.source
                .format
                .as_ref()
                .and_then(crate::record::json_name)
                .unwrap_or_default(),
            r.source.engine.clone().unwrap_or_default(),
            r.source.pages.unwrap_or(0)
        )),
    );
    let verdict = r.read.verdict.as_str();
    let mut read = format!(
        "<span class=\"verdict {v}\">{v}</span>: table amounts captured {} of {}",
        r.read.table_amounts.captured,
        r.read.table_amounts.printed,
        v = esc(verdict)
    );
    if !r.read.reasons.is_empty() {
        read.push_str("<ul class=\"reasons\">");
        for why in &r.read.reasons {
            let _ = write!(
                read,
                "<li><code>{}</code> {}</li>",
                esc(&why.kind),
                esc(&why.detail)
            );
        }
        read.push_str("</ul>");
    }
    item("read", read);
    if let Some(err) = &r.error {
        item(
            "error",
            format!(
                "<code>{}</code> {}",
                esc(&crate::record::json_name(&err.kind).unwrap_or_default()),
                esc(&err.message)
            ),
        );
    }
    h.push_str("</dl>\n");
    h
}

fn table_html(ti: usize, t: &Table, by_target: &BTreeMap<String, Vec<&Flag>>) -> String {
    let mut h = String::new();
    let unit = t.amount_unit.map(|u| u.name()).unwrap_or("no unit printed");
    let pages: Vec<String> = t.pages.iter().map(u32::to_string).collect();
    let flagged_table = by_target.contains_key(&table_id(ti));
    let _ = write!(
        h,
        "<div class=\"table{}\" id=\"{}\"><h3>{} {}</h3><p class=\"meta\"><code>{}</code> · unit: {} · page{} {}</p>\n\
<div class=\"scroll\"><table class=\"grid\"><thead><tr><th>code</th><th>name</th>",
        if flagged_table { " flagged" } else { "" },
        table_id(ti),
        esc(t.label.as_deref().unwrap_or("")),
        esc(&t.title),
        esc(&t.kind),
        esc(unit),
        if pages.len() > 1 { "s" } else { "" },
        pages.join(", ")
    );
    for c in &t.columns {
        let _ = write!(h, "<th title=\"{}\">{}</th>", esc(&c.key), esc(&c.header));
    }
    h.push_str("</tr></thead><tbody>\n");
    for (ri, row) in t.rows.iter().enumerate() {
        let rid = row_id(ti, ri);
        let row_flags = by_target.get(&rid);
        let _ = write!(
            h,
            "<tr id=\"{rid}\"{}><td class=\"code\">{}</td><td>{}</td>",
            if row_flags.is_some() {
                format!(" class=\"flagged\" title=\"{}\"", esc(&titles(row_flags)))
            } else {
                String::new()
            },
            esc(row.code.as_deref().unwrap_or("")),
            esc(row.name.as_deref().unwrap_or(""))
        );
        for c in &t.columns {
            let id = cell_id(ti, ri, &c.key);
            let text = row
                .printed
                .get(&c.key)
                .cloned()
                .or_else(|| row.values.get(&c.key).map(|v| v.to_string()))
                .unwrap_or_default();
            match by_target.get(&id) {
                Some(flags) => {
                    let worst = flags
                        .iter()
                        .map(|f| f.severity)
                        .max()
                        .map(severity)
                        .unwrap_or("info");
                    let _ = write!(
                        h,
                        "<td id=\"{id}\" class=\"num flagged sev-{worst}\" title=\"{}\">{}</td>",
                        esc(&titles(Some(flags))),
                        esc(&text)
                    );
                }
                None => {
                    let _ = write!(h, "<td id=\"{id}\" class=\"num\">{}</td>", esc(&text));
                }
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div></div>\n");
    h
}

fn titles(flags: Option<&Vec<&Flag>>) -> String {
    flags
        .map(|fs| {
            fs.iter()
                .map(|f| format!("{}: {}", severity(f.severity), f.message))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// The flagged pages of a PDF drawn with their flagged cells boxed, by
/// page; how many; and why none could be drawn.
fn drawings(e: &Entry, options: &Options) -> (BTreeMap<u32, String>, usize, Option<String>) {
    let r = &e.record;
    let mut out = BTreeMap::new();
    let wanted: std::collections::BTreeSet<u32> = r
        .flags
        .iter()
        .flat_map(|f| f.pages.iter().copied())
        .take(options.max_pages.max(1) * 4)
        .collect();
    if !options.pages || wanted.is_empty() {
        return (out, 0, None);
    }
    if r.source.format != Some(crate::model::Format::Pdf) {
        return (out, 0, None);
    }
    let Some(file) = &e.file else {
        return (
            out,
            0,
            Some("the PDF is not at hand (its source is not a local file)".into()),
        );
    };
    let read =
        std::fs::File::open(file).and_then(|f| decode::read_capped(f, options.limits.max_bytes));
    let bytes = match read {
        Ok(Some(b)) => b,
        Ok(None) => {
            return (
                out,
                0,
                Some(format!("{} is larger than --max-bytes", file.display())),
            )
        }
        Err(err) => return (out, 0, Some(format!("{}: {err}", file.display()))),
    };
    if crate::text::sha256_hex(&bytes) != r.source.sha256 {
        return (
            out,
            0,
            Some(format!("{} has changed since it was read", file.display())),
        );
    }
    let pages = match decode::pdf_pages(&bytes, &options.limits, &options.decode) {
        Ok(p) => p.pages,
        Err(err) => return (out, 0, Some(err.message)),
    };
    for page in pages
        .iter()
        .filter(|p| wanted.contains(&p.number))
        .take(options.max_pages)
    {
        let marks = marks_on(page, r);
        let notes: Vec<String> = r
            .tables
            .iter()
            .filter(|t| t.pages.contains(&page.number))
            .map(|t| {
                format!(
                    "{} {} ({})",
                    t.label.as_deref().unwrap_or("-"),
                    t.title,
                    t.kind
                )
            })
            .collect();
        let svg = page_svg_marked(page, &notes, &marks);
        // The drawing sits inside the document page: no XML prolog.
        out.insert(page.number, svg);
    }
    let n = out.len();
    (out, n, None)
}

/// Boxes for the cells the record's flags point at on `page`: each cell's
/// printed text where it is printed on the page, the occurrence nearest the
/// row's name when the name is found there too.
fn marks_on(page: &crate::model::Page, r: &Record) -> Vec<Mark> {
    let mut marks = Vec::new();
    for f in r.flags.iter().filter(|f| f.pages.contains(&page.number)) {
        for (ti, t) in r.tables.iter().enumerate() {
            if !t.pages.contains(&page.number) {
                continue;
            }
            for (ri, row) in t.rows.iter().enumerate() {
                if row.page.is_some_and(|p| p != page.number) {
                    continue;
                }
                for c in &t.columns {
                    if !f.points_at(t, row, Some(&c.key)) {
                        continue;
                    }
                    let Some(text) = row.printed.get(&c.key) else {
                        continue;
                    };
                    let found = find_text(page, text);
                    let near = row
                        .name
                        .as_deref()
                        .map(|n| find_text(page, n))
                        .and_then(|v| v.first().copied());
                    let best = match near {
                        Some((_, ny0, _, ny1)) => found.iter().copied().min_by(|a, b| {
                            let d = |x: &(f64, f64, f64, f64)| ((x.1 + x.3) - (ny0 + ny1)).abs();
                            d(a).total_cmp(&d(b))
                        }),
                        None => found.first().copied(),
                    };
                    if let Some(bbox) = best {
                        marks.push(Mark {
                            bbox,
                            id: format!("mark-{}-{}", f.id, cell_id(ti, ri, &c.key)),
                            title: format!("{}: {}", severity(f.severity), f.message),
                        });
                    }
                }
            }
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
