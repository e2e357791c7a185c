//! Recognition: finds each table in the block stream by the patterns in
//! `patterns/` and reads it into rows.
//!
//! The stream is walked once. A text line matching a table title opens a
//! *pending* table; the label, unit name, year and amount unit lines that
//! follow fill it in; the next grid is read as that table. A grid with no
//! title of its own right after a table on the next page is that table's
//! continuation (repeated header rows are dropped). A title followed by an
//! empty-table marker and no grid is a table declared empty.

pub mod collapsed;
pub mod coverage;
pub mod header;
pub mod rows;

use rust_decimal::Decimal;

use crate::model::{Block, Decoded, Grid, GridCell};
use crate::normalize::parse_unit;
use crate::record::{
    AmountUnit, Column, DocumentKind, DocumentMeta, RecognizedBy, Scope, Table, UnitSource,
};
use crate::text::squash;

use crate::patterns::{Common, TablePattern, TablePatterns};
use header::Header;
use rows::RowReader;

/// Text lines after a title within which its grid must start.
const MAX_LINES_AFTER_TITLE: usize = 8;
/// Longest line (in characters, squashed) that can be a table title.
const MAX_TITLE_CHARS: usize = 60;
/// Lines at the start of a document searched for its title.
const DOCUMENT_HEAD_LINES: usize = 40;

/// What recognition found in a document.
#[derive(Debug, Clone)]
pub struct Recognized {
    /// The document's title, unit, year, kind and scope.
    pub meta: DocumentMeta,
    /// Every table, in document order (grids of amounts no pattern
    /// recognized are kept as tables of kind [`UNRECOGNIZED`]).
    pub tables: Vec<Table>,
    /// The table amounts printed and captured, per page.
    pub coverage: coverage::Coverage,
}

pub use crate::record::UNRECOGNIZED;

/// Finds the document's metadata and every table in a decoded document.
/// `read_elsewhere` are grids another reader read (the narrative reader's
/// self-evaluation tables: page and amount cells): they are no tables here
/// and their amounts count as captured.
pub fn recognize(
    decoded: &Decoded,
    patterns: &TablePatterns,
    read_elsewhere: &[(u32, Vec<String>)],
) -> Recognized {
    // Only text renderings can have collapsed tables; other formats are read
    // as decoded, without a copy of their blocks.
    let rebuilt;
    let notes;
    let source: &[Block] = if decoded.format == crate::model::Format::Text {
        (rebuilt, notes) = collapsed::rebuild(&decoded.blocks, patterns);
        &rebuilt
    } else {
        notes = Vec::new();
        &decoded.blocks
    };
    let blocks = peel_title_rows(source, patterns);
    let mut walker = Walker::new(patterns);
    walker.read_elsewhere = read_elsewhere;
    for block in &blocks {
        match block {
            Block::Text(line) => walker.text(&line.text, line.page),
            Block::Grid(grid) => walker.grid(grid),
        }
    }
    walker.finish();
    for (kind, label, note) in notes {
        // A row whose amounts are noted prints amounts: its table is not empty.
        let row = walker
            .tables
            .iter_mut()
            .filter(|t| t.kind == kind)
            .find_map(|t| {
                let r = t.rows.iter_mut().position(|r| {
                    let name = squash(r.name.as_deref().unwrap_or(""));
                    let full = format!("{}{name}", r.code.as_deref().unwrap_or(""));
                    r.note.is_none() && (full == label || (!label.is_empty() && name == label))
                })?;
                t.empty = false;
                t.rows.get_mut(r)
            });
        if let Some(row) = row {
            row.note = Some(note);
        } else if label.is_empty() {
            // An unlabelled row (a one-row table's total row) none of whose
            // amounts could be placed has no cell to be read from: it is
            // kept as a row with its note, and its table prints amounts.
            let table = walker
                .tables
                .iter_mut()
                .find(|t| t.kind == kind && t.rows.iter().all(|r| r.note.is_none()));
            if let Some(table) = table {
                table.rows.push(crate::record::Row {
                    note: Some(note),
                    ..Default::default()
                });
                table.empty = false;
            }
        }
    }
    let meta = document_meta(&blocks, &walker.tables, patterns);
    recognize_by_header(&mut walker, meta.kind);
    infer_amount_units(&mut walker.tables);
    let coverage = coverage::tally(&walker.grids, &walker.tables);
    Recognized {
        meta,
        tables: walker.tables,
        coverage,
    }
}

/// Rows at the top of a grid that hold a title, unit or year line drawn
/// inside the table frame become text lines: a row that is one merged cell
/// across the whole width, or (spans unknown) a lone first cell whose text
/// is a table title or a metadata line.
fn peel_title_rows(blocks: &[Block], patterns: &TablePatterns) -> Vec<Block> {
    let common = &patterns.common;
    let is_meta = |t: &str| {
        let s = squash(t);
        patterns.kinds.iter().any(|p| p.titles.is_match(&s))
            || common.labels.is_match(&s)
            || common.unit_name.is_match(&s)
            || common.amount_unit.is_match(&s)
            || common.year.is_match(&s)
    };
    let mut out = Vec::with_capacity(blocks.len());
    for block in blocks {
        let Block::Grid(grid) = block else {
            out.push(block.clone());
            continue;
        };
        let mut skip = 0;
        for row in &grid.rows {
            let Some(first) = row.first() else { break };
            let text = first.text.trim();
            let whole_width =
                grid.width() > 1 && !text.is_empty() && row.iter().all(|c| c.text.trim() == text);
            let lone = grid.width() > 1
                && !text.is_empty()
                && row[1..].iter().all(|c| c.text.trim().is_empty())
                && is_meta(text);
            if (grid.spans_known && whole_width) || lone {
                out.push(Block::Text(crate::model::TextLine {
                    page: grid.page,
                    text: text.to_string(),
                    printed: None,
                }));
                skip += 1;
                continue;
            }
            break;
        }
        if skip == 0 {
            out.push(block.clone());
        } else if skip < grid.rows.len() {
            out.push(Block::Grid(Grid {
                page: grid.page,
                rows: grid.rows[skip..].to_vec(),
                spans_known: grid.spans_known,
                row_pages: grid.row_pages.get(skip..).unwrap_or_default().to_vec(),
            }));
        }
    }
    out
}

/// What is known about a table before its grid arrives.
#[derive(Debug, Clone)]
struct Pending {
    pattern: usize,
    title: String,
    label: Option<String>,
    unit_name: Option<String>,
    year: Option<i32>,
    amount_unit: Option<AmountUnit>,
    unit_source: Option<UnitSource>,
    /// "单位：" (or "单位：万") ended a line: the unit (or its 元) follows.
    unit_dangling: Option<String>,
    empty_marker: bool,
    page: u32,
    lines: usize,
    /// Other lines between the title and the grid (section headings).
    context: Vec<String>,
}

/// A table being read (possibly over several pages).
struct Open {
    pattern: usize,
    header: Header,
    reader: RowReader,
    table: Table,
    /// Rows read so far, with their block.
    rows: Vec<rows::BlockRow>,
    width: usize,
    /// Substantive text lines seen since its last grid.
    text_since: usize,
    /// Its grids (indices into `Walker::grids`), each with its header rows.
    grids: Vec<(usize, Vec<usize>)>,
    /// What was known before its first grid.
    origin: Pending,
}

struct Walker<'a> {
    patterns: &'a TablePatterns,
    pending: Option<Pending>,
    open: Option<Open>,
    tables: Vec<Table>,
    /// The previous text line (squashed) when no grid came after it.
    last_line: Option<String>,
    /// The text lines since the last grid (page numbers left out): the
    /// caption and metadata of a grid no pattern recognized.
    recent: Vec<String>,
    /// Every grid met, with its amounts and the table it went to.
    grids: Vec<coverage::GridUse>,
    /// Grids another reader read.
    read_elsewhere: &'a [(u32, Vec<String>)],
    /// Grids kept as unrecognized tables: (table, grid use, grid, the text
    /// lines before it).
    orphans: Vec<(usize, usize, Grid, Vec<String>)>,
}

impl<'a> Walker<'a> {
    fn new(patterns: &'a TablePatterns) -> Self {
        Walker {
            patterns,
            pending: None,
            open: None,
            tables: Vec::new(),
            last_line: None,
            recent: Vec::new(),
            grids: Vec::new(),
            read_elsewhere: &[],
            orphans: Vec::new(),
        }
    }

    fn common(&self) -> &'a Common {
        &self.patterns.common
    }

    fn text(&mut self, text: &str, page: u32) {
        let line = squash(text);
        if line.is_empty() {
            return;
        }
        // Table-of-contents entries ("一、收入支出决算总表.....2") are never titles.
        if line.contains("....") || line.contains("……") || line.contains("···") {
            return;
        }
        // A title wrapped over two lines ("公开09表:一般公共预算“三公”经费、
        // 会议费、培训费" + "支出预算表"): the joined lines win when they match
        // a longer title than the last line alone.
        let previous = self.last_line.clone();
        let joined = self.last_line.take().and_then(|prev| {
            let both = format!("{prev}{line}");
            let (p, _, l) = self.match_title(&both)?;
            let len = self.title_match_len(&both, p)?;
            let alone = self
                .match_title(&line)
                .and_then(|(q, _, _)| self.title_match_len(&line, q))
                .unwrap_or(0);
            (len > alone).then_some((p, both, l))
        });
        self.last_line = Some(line.clone());
        if !is_page_number(&line) {
            self.recent.push(line.clone());
        }
        if let Some((pattern, title, label)) = joined.or_else(|| self.match_title(&line)) {
            // A label printed on the line above the title ("公开 09 表" /
            // "“三公”经费…支出预算表").
            let label = label.or_else(|| previous.filter(|p| self.common().labels.is_match(p)));
            if self.repeats_open_title(pattern, &title, label.as_deref(), page) {
                // The title printed again over the table's continuation on
                // the next page: the table goes on.
                return;
            }
            self.close_pending();
            self.close_open();
            let common = self.common();
            let amount_unit = common
                .amount_unit
                .capture(&line)
                .and_then(|u| parse_unit(&u));
            self.pending = Some(Pending {
                pattern,
                title,
                label,
                unit_name: None,
                year: common.year.capture(&line).and_then(|y| y.parse().ok()),
                amount_unit,
                unit_source: amount_unit.map(|_| UnitSource::Title),
                unit_dangling: None,
                empty_marker: false,
                page,
                lines: 0,
                context: Vec::new(),
            });
            return;
        }
        let common = self.common();
        if let Some(p) = self.pending.as_mut() {
            let mut meta = false;
            if let Some(head) = p.unit_dangling.take() {
                // "单位：" + "万元", "单位：万" + "元" (the rest of the line,
                // if any, is read as usual).
                let unit = [1, 2].into_iter().find_map(|n| {
                    let tail: String = line.chars().take(n).collect();
                    parse_unit(&format!("{head}{tail}")).map(|u| (u, tail.len()))
                });
                if let Some((u, used)) = unit {
                    p.amount_unit = Some(u);
                    p.unit_source = Some(UnitSource::SplitLine);
                    if line[used..].trim().is_empty() {
                        return;
                    }
                }
            }
            if common.labels.is_match(&line) {
                p.label = Some(line.clone());
                meta = true;
            }
            if let Some(u) = common
                .unit_name
                .capture(&line)
                .filter(|u| parse_unit(u).is_none())
            {
                p.unit_name = Some(u);
                meta = true;
            }
            if let Some(y) = common.year.capture(&line).and_then(|y| y.parse().ok()) {
                if line.chars().count() <= 40 {
                    p.year = Some(y);
                    meta = true;
                }
            }
            if let Some(u) = common
                .amount_unit
                .capture(&line)
                .and_then(|u| parse_unit(&u))
            {
                p.amount_unit = Some(u);
                p.unit_source = Some(UnitSource::UnitLine);
                meta = true;
            } else if let Some(c) = common.amount_unit_dangling.captures_all(&line) {
                p.unit_dangling = Some(c.get(1).map_or("", |m| m.as_str()).to_string());
                meta = true;
            }
            if common.empty_markers.is_match(&line) {
                p.empty_marker = true;
                meta = true;
            }
            if !meta && p.lines == 0 && line.contains('。') {
                // The "title" was the first line of a sentence that goes on
                // ("…政府性基金支出预算" / "支出0万元。与上年相比…").
                self.pending = None;
                return;
            }
            if !meta {
                p.lines += 1;
                p.context.push(line.clone());
                if p.lines > MAX_LINES_AFTER_TITLE {
                    self.close_pending();
                }
            }
            return;
        }
        if let Some(open) = self.open.as_mut() {
            // Page furniture (page numbers, unit and amount-unit lines, notes,
            // 续表) does not end a table; any other line does.
            let furniture = is_page_number(&line)
                || open.table.label.as_deref() == Some(line.as_str())
                || common.unit_name.is_match(&line)
                || common.amount_unit.is_match(&line)
                || common.notes.is_match(&line)
                || line.starts_with("续表")
                || line == "(续)";
            if !furniture {
                open.text_since += 1;
            }
        }
    }

    /// True when `title` repeats the title of the open table at the top of
    /// its next page (not for kinds printed once per project, whose titles
    /// name the project).
    fn repeats_open_title(
        &self,
        pattern: usize,
        title: &str,
        label: Option<&str>,
        page: u32,
    ) -> bool {
        let Some(open) = &self.open else {
            return false;
        };
        let last_page = open.table.pages.last().copied().unwrap_or(page);
        open.pattern == pattern
            && self.pending.is_none()
            && !self.patterns.kinds[pattern].repeats
            && page == last_page + 1
            && squash(&open.table.title) == squash(title)
            && (label.is_none() || label == open.table.label.as_deref())
    }

    /// The best pattern whose title matches `line` (the longest match wins),
    /// with the title and any label printed on the same line.
    fn match_title(&self, line: &str) -> Option<(usize, String, Option<String>)> {
        // A sentence of the narrative ("…政府性基金支出预算支出0万元。与上年
        // 相比…") names a table without being its title.
        if line.chars().count() > MAX_TITLE_CHARS || line.contains(['。', '，', '；']) {
            return None;
        }
        let common = self.common();
        let mut label = None;
        let mut rest = line.to_string();
        if let Some(m) = common.label_in_title.0.iter().find_map(|r| r.find(&rest)) {
            if m.as_str().len() < rest.len() {
                label = Some(m.as_str().trim_end_matches([':', '.', '、']).to_string());
                rest = format!("{}{}", &rest[..m.start()], &rest[m.end()..]);
            }
        }
        let rest = header::strip_enumeration(&rest, common);
        let mut best: Option<(usize, usize)> = None;
        for (i, t) in self.patterns.kinds.iter().enumerate() {
            if let Some(m) = t.titles.longest(&rest) {
                // What precedes the title may be a unit name or a year, not a sentence.
                let prefix = &rest[..m.start()];
                if prefix.contains(['，', ',', '。', '；', ';']) || prefix.chars().count() > 40 {
                    continue;
                }
                let len = m.as_str().chars().count();
                if best.is_none_or(|(_, l)| len > l) {
                    best = Some((i, len));
                }
            }
        }
        best.map(|(i, _)| (i, line.to_string(), label))
    }

    /// The length of the title match of pattern `p` in `line` (labels and
    /// enumeration removed as in [`Self::match_title`]).
    fn title_match_len(&self, line: &str, p: usize) -> Option<usize> {
        let common = self.common();
        let mut rest = line.to_string();
        if let Some(m) = common.label_in_title.0.iter().find_map(|r| r.find(&rest)) {
            if m.as_str().len() < rest.len() {
                rest = format!("{}{}", &rest[..m.start()], &rest[m.end()..]);
            }
        }
        let rest = header::strip_enumeration(&rest, common);
        self.patterns
            .kinds
            .get(p)?
            .titles
            .longest(&rest)
            .map(|m| m.as_str().chars().count())
    }

    fn grid(&mut self, grid: &Grid) {
        self.last_line = None;
        let recent = std::mem::take(&mut self.recent);
        let g = self.grids.len();
        self.grids.push(coverage::GridUse::of(grid));
        let patterns = self.patterns;
        if let Some(p) = self.pending.take() {
            self.close_open();
            self.open_table(p, grid);
            if let Some(open) = self.open.as_mut() {
                let header_rows =
                    open.header
                        .non_data_rows(grid, open.header.rows, &patterns.common);
                open.grids.push((g, header_rows));
            }
            return;
        }
        // A title at the foot of a page whose grid there is its header alone
        // (项目名称 …): the body on the next page, in a grid of its own
        // layout, is the table, read from its own header.
        let restart = self.open.as_ref().is_some_and(|open| {
            let last_page = open.table.pages.last().copied().unwrap_or(grid.page);
            open.text_since == 0
                && open.rows.iter().all(|(_, r)| r.values.is_empty())
                && grid.width() != open.width
                && grid.page == last_page + 1
        });
        if restart {
            if let Some(open) = self.open.take() {
                let mut p = open.origin;
                p.page = grid.page;
                self.open_table(p, grid);
                if let Some(new) = self.open.as_mut() {
                    let header_rows =
                        new.header
                            .non_data_rows(grid, new.header.rows, &patterns.common);
                    new.grids = open.grids;
                    new.grids.push((g, header_rows));
                    new.table.pages = open.table.pages;
                    if !new.table.pages.contains(&grid.page) {
                        new.table.pages.push(grid.page);
                    }
                }
                return;
            }
        }
        if let Some(open) = self.open.as_mut() {
            let last_page = open.table.pages.last().copied().unwrap_or(grid.page);
            let follows =
                open.text_since == 0 && (grid.page == last_page + 1 || grid.page == last_page);
            // A layout without ruling lines finds the columns page by page:
            // the next page's rows, in columns of their own, refitted.
            let refitted = (follows && grid.width() != open.width && grid.page == last_page + 1)
                .then(|| header::refit(grid, &open.header, open.width, &patterns.common))
                .flatten();
            let grid = refitted.as_ref().unwrap_or(grid);
            let continues = follows && grid.width() == open.width;
            if continues {
                let pattern = &patterns.kinds[open.pattern];
                let unit = open.table.amount_unit.unwrap_or(AmountUnit::Yuan);
                open.reader.read(
                    (grid, 0),
                    &open.header,
                    pattern,
                    &patterns.common,
                    unit,
                    &mut open.rows,
                );
                if !open.table.pages.contains(&grid.page) {
                    open.table.pages.push(grid.page);
                }
                let header_rows = open.header.non_data_rows(grid, 0, &patterns.common);
                open.grids.push((g, header_rows));
                return;
            }
        }
        self.close_open();
        tracing::debug!(
            page = grid.page,
            rows = grid.rows.len(),
            "grid with no recognized title"
        );
        let here = &self.grids[g];
        if self
            .read_elsewhere
            .iter()
            .any(|(page, amounts)| *page == here.page && *amounts == here.amounts)
        {
            self.grids[g].elsewhere = true;
            return;
        }
        // Its caption: the last line before it that is no metadata line.
        let common = self.common();
        let caption = recent.iter().rev().find(|l| {
            !(common.labels.is_match(l)
                || common.unit_name.is_match(l)
                || common.amount_unit.is_match(l)
                || common.amount_unit_dangling.is_match(l)
                || common.year.is_match(l) && l.chars().count() <= 12)
        });
        if let Some(table) = coverage::unrecognized(grid, here, caption.map(String::as_str)) {
            self.grids[g].table = Some(self.tables.len());
            self.orphans
                .push((self.tables.len(), g, grid.clone(), recent));
            self.tables.push(table);
        }
    }

    fn open_table(&mut self, p: Pending, grid: &Grid) {
        let origin = p.clone();
        let pattern: &TablePattern = &self.patterns.kinds[p.pattern];
        let common = self.common();
        let split = header::split_inline_code_headings(grid, common);
        let grid = split.as_ref().unwrap_or(grid);
        let header = header::analyse(grid, pattern, common);
        let mut reader = RowReader::default();
        let context: Vec<Vec<GridCell>> = p
            .context
            .iter()
            .map(|t| vec![GridCell::new(t.clone())])
            .collect();
        reader.seed_sections(&context, pattern, common);
        reader.seed_sections(&grid.rows[..header.rows], pattern, common);
        let mut p = p;
        if p.amount_unit.is_none() {
            // A unit printed in the header rows ("单位：元" in a cell).
            let found = grid.rows[..header.rows]
                .iter()
                .flatten()
                .filter(|c| c.origin)
                .find_map(|c| common.amount_unit.capture(&squash(&c.text)))
                .and_then(|u| parse_unit(&u));
            if let Some(u) = found {
                p.amount_unit = Some(u);
                p.unit_source = Some(UnitSource::HeaderCell);
            }
        }
        let unit = p.amount_unit.unwrap_or(AmountUnit::Yuan);
        let mut rows = Vec::new();
        reader.read(
            (grid, header.rows),
            &header,
            pattern,
            common,
            unit,
            &mut rows,
        );
        let paths = &header.paths;
        let columns = header
            .blocks
            .iter()
            .flat_map(|b| {
                b.columns.iter().filter_map(move |(c, role)| match role {
                    header::Role::Value(key) => Some(Column {
                        key: key.clone(),
                        header: paths[*c].clone(),
                        unit: column_unit(&paths[*c]),
                        not_money: common.count_columns.is_match(&squash(&paths[*c])),
                        side: b.side,
                    }),
                    _ => None,
                })
            })
            .collect();
        let table = Table {
            kind: pattern.kind.clone(),
            label: p.label,
            title: p.title,
            unit_name: p.unit_name,
            year: p.year,
            amount_unit: p.amount_unit,
            unit_source: p.unit_source,
            recognized_by: None,
            pages: vec![grid.page],
            // Decided when the table closes, by its amounts.
            empty: false,
            columns,
            rows: Vec::new(),
        };
        self.open = Some(Open {
            rows,
            pattern: p.pattern,
            width: grid.width(),
            header,
            reader,
            table,
            text_since: 0,
            grids: Vec::new(),
            origin,
        });
    }

    fn close_open(&mut self) {
        if let Some(open) = self.open.take() {
            let mut table = open.table;
            let mut rows = open.rows;
            // Side-by-side blocks of a one-sided table read block by block.
            if table.columns.iter().all(|c| c.side.is_none()) {
                rows.sort_by_key(|(b, _)| *b);
            }
            table.rows = rows.into_iter().map(|(_, r)| r).collect();
            settle_units(&mut table, &self.patterns.common);
            let line_no_columns: Vec<usize> = open
                .header
                .blocks
                .iter()
                .flat_map(|b| b.columns.iter())
                .filter(|(_, role)| matches!(role, header::Role::LineNo))
                .map(|(c, _)| *c)
                .collect();
            for (g, header_rows) in &open.grids {
                self.grids[*g].drop_cells(header_rows, &line_no_columns);
                self.grids[*g].table = Some(self.tables.len());
            }
            // Empty only when no amount is printed: an empty-table marker
            // under a table that prints amounts (万里街道 2024: "故本表为空表"
            // under a 三公 row of 47.91 万元) does not empty it. (A row of a
            // text rendering whose amounts could not be placed is noted
            // after this and makes its table non-empty there.)
            table.empty = !table.rows.iter().any(|r| !r.values.is_empty());
            // Columns that never hold a value and have no header are slivers.
            table.columns.retain(|c| {
                !c.key.starts_with("col")
                    || table.rows.iter().any(|r| r.printed.contains_key(&c.key))
            });
            self.tables.push(table);
        }
    }

    /// A title that never got a grid: a table declared empty when a marker
    /// followed it, otherwise dropped (a heading or a contents entry).
    fn close_pending(&mut self) {
        if let Some(p) = self.pending.take() {
            if p.empty_marker {
                let pattern = &self.patterns.kinds[p.pattern];
                self.tables.push(Table {
                    kind: pattern.kind.clone(),
                    label: p.label,
                    title: p.title,
                    unit_name: p.unit_name,
                    year: p.year,
                    amount_unit: p.amount_unit,
                    unit_source: p.unit_source,
                    recognized_by: None,
                    pages: vec![p.page],
                    empty: true,
                    columns: Vec::new(),
                    rows: Vec::new(),
                });
            }
        }
    }

    fn finish(&mut self) {
        self.close_pending();
        self.close_open();
    }
}

/// Fewest distinct value-column keys of a pattern a header must match for
/// a grid with no known title to be read as that pattern's table.
const HEADER_MIN_KEYS: usize = 2;

/// Grids no title introduced (an unfamiliar caption: older wording,
/// 批复表, 附件 captions) read by their header instead: the pattern of the
/// document's kind whose value columns the header matches best (at least
/// [`HEADER_MIN_KEYS`] of them, with a code or name column, and no other
/// pattern as good) among the kinds the document does not have yet. The table
/// says so (`recognized_by = "header"`); the others stay unrecognized.
fn recognize_by_header(walker: &mut Walker, kind: Option<DocumentKind>) {
    let patterns = walker.patterns;
    let common = &patterns.common;
    for (t, g, grid, recent) in std::mem::take(&mut walker.orphans) {
        let mut best: Vec<(usize, usize)> = Vec::new();
        for (i, p) in patterns.kinds.iter().enumerate() {
            // Of the document's kind, and not already in it (a kind printed
            // once per project may be).
            if kind.is_some_and(|k| p.document != k)
                || (!p.repeats && walker.tables.iter().any(|x| x.kind == p.kind))
            {
                continue;
            }
            let header = header::analyse(&grid, p, common);
            let roles: Vec<&header::Role> = header
                .blocks
                .iter()
                .flat_map(|b| b.columns.iter().map(|(_, r)| r))
                .collect();
            let labelled = roles.iter().any(|r| {
                matches!(
                    r,
                    header::Role::Code | header::Role::CodeClass | header::Role::Name
                )
            });
            let keys: std::collections::BTreeSet<&str> = roles
                .iter()
                .filter_map(|r| match r {
                    header::Role::Value(k) if !k.starts_with("col") => Some(k.as_str()),
                    _ => None,
                })
                .collect();
            if !labelled || keys.len() < HEADER_MIN_KEYS {
                continue;
            }
            match best.first() {
                Some((_, n)) if *n > keys.len() => {}
                Some((_, n)) if *n == keys.len() => best.push((i, keys.len())),
                _ => best = vec![(i, keys.len())],
            }
        }
        let [(pattern, _)] = best[..] else { continue };
        let title = walker.tables[t].title.clone();
        let mut sub = Walker::new(patterns);
        sub.pending = Some(Pending {
            pattern,
            title: title.clone(),
            label: None,
            unit_name: None,
            year: None,
            amount_unit: None,
            unit_source: None,
            unit_dangling: None,
            empty_marker: false,
            page: grid.page,
            lines: 0,
            context: Vec::new(),
        });
        // The lines after its caption: label, unit name, year, amount unit.
        let after = recent
            .iter()
            .rposition(|l| *l == title)
            .map_or(0, |i| i + 1);
        for line in &recent[after..] {
            sub.text(line, grid.page);
        }
        sub.grid(&grid);
        sub.finish();
        if let (Some(mut table), Some(mut used)) = (sub.tables.pop(), sub.grids.pop()) {
            table.recognized_by = Some(RecognizedBy::Header);
            used.table = Some(t);
            walker.grids[g] = used;
            walker.tables[t] = table;
        }
    }
}

/// The year, kind and scope a title line names (`document_title`'s groups).
fn title_facts(c: &regex::Captures) -> (Option<i32>, Option<DocumentKind>, Option<Scope>) {
    let year = c.name("year").and_then(|m| m.as_str().parse().ok());
    let kind = if c.name("final_account").is_some() {
        Some(DocumentKind::FinalAccount)
    } else if c.name("budget").is_some() {
        Some(DocumentKind::Budget)
    } else {
        None
    };
    let scope = if c.name("department").is_some() {
        Some(Scope::Department)
    } else if c.name("unit").is_some() {
        Some(Scope::Unit)
    } else {
        None
    };
    (year, kind, scope)
}

/// The document's title, unit, year, kind and scope, from its first lines,
/// falling back on what its tables say.
fn document_meta(blocks: &[Block], tables: &[Table], patterns: &TablePatterns) -> DocumentMeta {
    let common = &patterns.common;
    let mut meta = DocumentMeta::default();
    let title_re = &common.document_title;
    let lines: Vec<&str> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Text(t) => Some(t.text.as_str()),
            Block::Grid(_) => None,
        })
        .take(DOCUMENT_HEAD_LINES)
        .collect();
    let titles = Walker::new(patterns);
    let mut part: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        let mut squashed = squash(line);
        if squashed.contains("....") {
            continue;
        }
        // A part of the contents ("第二部分 2019年度部门预算表") gives the
        // year and kind when nothing else does, never the title.
        if common.not_document_title.is_match(&squashed) {
            if part.is_none() && title_re.is_match(&squashed) {
                part = Some(squashed);
            }
            continue;
        }
        // A title wrapped after its year ("江苏省政协办公厅 2018 年度" +
        // "部门预算公开").
        if !title_re.is_match(&squashed) && squashed.ends_with(['年', '度']) {
            if let Some(next) = lines.get(i + 1) {
                let joined = format!("{squashed}{}", squash(next));
                if title_re.is_match(&joined) {
                    squashed = joined;
                }
            }
        }
        // A table's caption ("2019年政府采购预算表") is no document title.
        if titles.match_title(&squashed).is_some() || titles.match_title(&squash(line)).is_some() {
            continue;
        }
        if let Some(c) = title_re.captures_all(&squashed) {
            let whole = c.get(0).map_or("", |m| m.as_str());
            (meta.year, meta.kind, meta.scope) = title_facts(&c);
            let start = squashed.find(whole).unwrap_or(0);
            let before = squashed[..start].trim();
            meta.unit = if is_unit_name(before, common) {
                Some(before.to_string())
            } else {
                // The unit name on the lines above, possibly wrapped over two.
                let is_name = |l: &str| {
                    l.chars().count() <= 40
                        && is_unit_name(l, common)
                        && !l
                            .chars()
                            .any(|c| c.is_ascii_digit() || "，。,:：".contains(c))
                };
                let mut parts: Vec<String> = Vec::new();
                for k in (i.saturating_sub(2)..i).rev() {
                    let prev = squash(lines[k]);
                    if !is_name(&prev) {
                        break;
                    }
                    parts.insert(0, prev);
                }
                (!parts.is_empty()).then(|| parts.concat())
            };
            meta.title = Some(if squashed == squash(line) {
                line.to_string()
            } else {
                squashed.clone()
            });
            break;
        }
    }
    if meta.title.is_none() {
        if let Some(c) = part.as_deref().and_then(|p| title_re.captures_all(p)) {
            (meta.year, meta.kind, meta.scope) = title_facts(&c);
        }
    }
    // A "预算单位：…" line at the head, else the name most tables print.
    if meta.unit.is_none() {
        meta.unit = lines.iter().find_map(|l| {
            common
                .unit_name
                .capture(&squash(l))
                .filter(|u| parse_unit(u).is_none() && is_unit_name(u, common))
        });
    }
    if meta.unit.is_none() {
        meta.unit = most_common(
            tables
                .iter()
                .filter_map(|t| t.unit_name.clone())
                .filter(|u| is_unit_name(u, common)),
        );
    }
    if meta.year.is_none() {
        meta.year = most_common(tables.iter().filter_map(|t| t.year));
    }
    if meta.kind.is_none() {
        meta.kind = tables
            .first()
            .and_then(|t| patterns.table(&t.kind))
            .map(|p| p.document);
    }
    meta.region = meta
        .unit
        .as_deref()
        .and_then(|u| crate::normalize::region_of(u, &common.region));
    meta
}

/// A table that prints no amount unit takes the unit under which its
/// largest amount (its total) equals an amount of a table whose unit is
/// printed — the same total printed twice — when exactly one unit does;
/// its amounts are rescaled and the unit marked inferred. Otherwise its
/// amounts stay as 元 with no unit.
fn infer_amount_units(tables: &mut [Table]) {
    let known: std::collections::BTreeSet<Decimal> = tables
        .iter()
        .filter(|t| t.amount_unit.is_some())
        .flat_map(|t| t.rows.iter())
        .flat_map(|r| r.values.iter().filter(|(k, _)| !r.counts.contains(k)))
        .map(|(_, v)| v.normalize())
        .collect();
    if known.is_empty() {
        return;
    }
    for table in tables.iter_mut().filter(|t| t.amount_unit.is_none()) {
        let Some(largest) = table.largest_amount() else {
            continue;
        };
        let fitting = fitting_units(
            largest,
            &known,
            &[
                AmountUnit::Yuan,
                AmountUnit::ThousandYuan,
                AmountUnit::TenThousandYuan,
            ],
        );
        if let [unit] = fitting[..] {
            take_unit(table, unit, UnitSource::InferredTable);
        }
    }
}

/// Tables whose unit is still unknown (`Assumed`) take the unit in which
/// their largest amount is a figure the narrative states (the narrative
/// prints its unit with every amount): 2,940.05 read as 元 is the narrative's
/// 2940.05万元. Stated as printed, the 元 they were read in holds; otherwise
/// only a single fitting unit is taken.
pub fn infer_units_from_narrative(tables: &mut [Table], facts: &[crate::record::NarrativeFact]) {
    let stated: std::collections::BTreeSet<Decimal> = facts
        .iter()
        .filter_map(|f| f.amount_yuan)
        .filter(|v| !v.is_zero())
        .map(|v| v.normalize())
        .collect();
    for table in tables
        .iter_mut()
        .filter(|t| t.unit_source == Some(UnitSource::Assumed))
    {
        let Some(largest) = table.largest_amount() else {
            continue;
        };
        let unit = if stated.contains(&largest.normalize()) {
            Some(AmountUnit::Yuan)
        } else {
            match fitting_units(
                largest,
                &stated,
                &[AmountUnit::ThousandYuan, AmountUnit::TenThousandYuan],
            )[..]
            {
                [unit] => Some(unit),
                _ => None,
            }
        };
        if let Some(unit) = unit {
            take_unit(table, unit, UnitSource::InferredNarrative);
        }
    }
}

/// The units of `candidates` in which `largest` (read as 元) is one of the
/// `evidence` amounts (yuan, normalized).
fn fitting_units(
    largest: Decimal,
    evidence: &std::collections::BTreeSet<Decimal>,
    candidates: &[AmountUnit],
) -> Vec<AmountUnit> {
    candidates
        .iter()
        .copied()
        .filter(|u| evidence.contains(&(largest * u.factor()).normalize()))
        .collect()
}

/// A table read as 元 takes `unit`, inferred from `source`: its amounts are
/// converted.
fn take_unit(table: &mut Table, unit: AmountUnit, source: UnitSource) {
    table.scale_money(unit.factor());
    table.amount_unit = Some(unit);
    table.unit_source = Some(source);
}

/// The unit a column header prints ("项目资金（万元）", "金额(元)").
fn column_unit(header: &str) -> Option<AmountUnit> {
    let h = squash(header);
    let open = h.rfind(['(', '（'])?;
    let inner = h[open..]
        .trim_start_matches(['(', '（'])
        .trim_end_matches([')', '）']);
    parse_unit(
        inner
            .trim_start_matches("单位")
            .trim_start_matches([':', '：']),
    )
}

/// Settles the units of a table just read: columns of scores and weights
/// are not money (their values as printed, listed in the rows' `counts`);
/// a table that printed no unit of its own takes the one its value columns'
/// headers agree on; a column whose header prints another unit than the
/// table's is converted from its own. What is still unknown is `Assumed`
/// (the amounts were read as 元).
fn settle_units(table: &mut Table, common: &Common) {
    use crate::normalize::{parse_amount, to_yuan};
    let money: Vec<&Column> = table.columns.iter().filter(|c| !c.not_money).collect();
    let mut rescale = None;
    if table.amount_unit.is_none() {
        let units: std::collections::BTreeSet<_> = money.iter().filter_map(|c| c.unit).collect();
        if let (1, Some(u)) = (units.len(), units.first()) {
            table.amount_unit = Some(*u);
            table.unit_source = Some(UnitSource::ColumnHeader);
            // Read as 元: every money column is converted below.
            rescale = Some(u.factor());
        }
    }
    if table.amount_unit.is_none() {
        // A form-like table (项目绩效目标表) prints its unit in a label cell
        // ("项目资金（万元）") beside the amounts it applies to.
        let units: std::collections::BTreeSet<AmountUnit> = table
            .rows
            .iter()
            .flat_map(|r| r.printed.values().chain(r.name.iter()))
            .filter_map(|t| column_unit(t))
            .collect();
        if let (1, Some(u)) = (units.len(), units.first()) {
            table.amount_unit = Some(*u);
            table.unit_source = Some(UnitSource::HeaderCell);
            rescale = Some(u.factor());
        }
    }
    let table_unit = table.amount_unit.unwrap_or(AmountUnit::Yuan);
    // The reader converted every value from the table's unit (元 when none):
    // columns in another unit, and columns that are not money, are read
    // again from their printed text.
    let redo: Vec<(String, Option<AmountUnit>)> = table
        .columns
        .iter()
        .filter_map(|c| {
            if c.not_money {
                Some((c.key.clone(), None))
            } else {
                c.unit
                    .filter(|u| *u != table_unit)
                    .map(|u| (c.key.clone(), Some(u)))
            }
        })
        .collect();
    if let Some(f) = rescale {
        table.scale_money(f);
    }
    let mut any_amount = false;
    let mut score_columns: Vec<String> = Vec::new();
    for row in &mut table.rows {
        for (key, unit) in &redo {
            let Some(v) = row
                .printed
                .get(key)
                .filter(|t| !common.placeholders.is_match(t))
                .and_then(|t| parse_amount(t))
            else {
                continue;
            };
            match unit {
                Some(u) if !row.counts.contains(key) => {
                    row.values.insert(key.clone(), to_yuan(v, *u));
                }
                Some(_) => {}
                None => {
                    row.values.insert(key.clone(), v);
                    if !row.counts.contains(key) {
                        row.counts.push(key.clone());
                    }
                }
            }
        }
        // A label cell in the body naming scores ("分值(90)" above the
        // indicator rows of a 绩效 form) makes its column one of scores from
        // that row on.
        for (key, text) in &row.printed {
            let label = squash(text);
            if parse_amount(&label).is_none()
                && common.count_columns.is_match(&label)
                && !score_columns.contains(key)
            {
                score_columns.push(key.clone());
            }
        }
        for key in &score_columns {
            if !row.values.contains_key(key) {
                continue;
            }
            if let Some(v) = row.printed.get(key).and_then(|t| parse_amount(t)) {
                row.values.insert(key.clone(), v);
                if !row.counts.contains(key) {
                    row.counts.push(key.clone());
                }
            }
        }
        any_amount |= row.values.keys().any(|k| !row.counts.contains(k));
    }
    if table.unit_source.is_none() && any_amount {
        table.unit_source = Some(UnitSource::Assumed);
    }
}

/// "3", "- 3 -", "第3页", "3/21": a page number line.
fn is_page_number(line: &str) -> bool {
    let core = line.trim_matches(|c: char| c == '-' || c == '—' || c == '第' || c == '页');
    !core.is_empty() && core.chars().all(|c| c.is_ascii_digit() || c == '/')
}

/// A text that can name the publishing unit: two characters at least, not a
/// section heading, a table caption or a region alone.
fn is_unit_name(s: &str, common: &Common) -> bool {
    s.chars().count() >= 2 && !common.not_unit_name.is_match(s)
}

/// The most frequent item.
fn most_common<T: Ord + Clone>(items: impl Iterator<Item = T>) -> Option<T> {
    let mut counts = std::collections::BTreeMap::new();
    for y in items {
        *counts.entry(y).or_insert(0usize) += 1;
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(y, _)| y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Row;
    use rust_decimal::Decimal;

    #[test]
    fn unit_names_are_never_headings_captions_or_regions() {
        let patterns = crate::patterns::Patterns::bundled()
            .unwrap_or_else(|e| panic!("{e}"))
            .tables;
        let common = &patterns.common;
        for not in [
            "第二部分",
            "表十二",
            "公开01表",
            "上海市普陀区",
            "江苏省",
            "封面",
            "市",
        ] {
            assert!(!is_unit_name(not, common), "{not}");
        }
        for unit in [
            "上海市普陀区司法局",
            "江苏省人民检察院",
            "西南大学",
            "上海市XX局",
        ] {
            assert!(is_unit_name(unit, common), "{unit}");
        }
    }

    fn recognize_text(text: &str) -> (DocumentMeta, Vec<Table>) {
        let patterns = crate::patterns::Patterns::bundled()
            .unwrap_or_else(|e| panic!("{e}"))
            .tables;
        let decoded =
            crate::decode::text::decode(text.as_bytes(), None).unwrap_or_else(|e| panic!("{e}"));
        let r = recognize(&decoded, &patterns, &[]);
        (r.meta, r.tables)
    }

    /// One-sided table text with the unit lines given.
    fn with_unit(unit_lines: &str, headers: &str, amount: &str) -> Table {
        let text = format!(
            "一般公共预算财政拨款支出决算表\n公开05表\n{unit_lines}\n\
             科目编码\t科目名称\t{headers}\n\
             合计\t\t{amount}\t{amount}\t\n\
             201\t一般公共服务支出\t{amount}\t{amount}\t\n"
        );
        let (_, tables) = recognize_text(&text);
        tables
            .into_iter()
            .find(|t| t.kind == "general_budget_expenditure")
            .unwrap_or_else(|| panic!("no table in {text}"))
    }

    fn total(t: &Table) -> Option<String> {
        t.rows
            .first()
            .and_then(|r| r.values.get("total"))
            .map(|v| v.normalize().to_string())
    }

    #[test]
    fn a_unit_is_read_wherever_the_template_prints_it_and_says_where() {
        let cols = "合计\t基本支出\t项目支出";
        let t = with_unit("金额单位：万元", cols, "12.5");
        assert_eq!(
            (t.unit_source, total(&t).as_deref()),
            (Some(UnitSource::UnitLine), Some("125000"))
        );
        // Split over two lines, at the colon or inside the unit.
        for split in ["单位：\n万元", "单位：万\n元"] {
            let t = with_unit(split, cols, "12.5");
            assert_eq!(t.amount_unit, Some(AmountUnit::TenThousandYuan), "{split}");
            assert_eq!(t.unit_source, Some(UnitSource::SplitLine), "{split}");
            assert_eq!(total(&t).as_deref(), Some("125000"), "{split}");
        }
        let t = with_unit("金额单位：\n元", cols, "12.5");
        assert_eq!(
            (t.amount_unit, t.unit_source),
            (Some(AmountUnit::Yuan), Some(UnitSource::SplitLine))
        );
        // In the value columns' headers.
        let t = with_unit(
            "",
            "合计（万元）\t基本支出（万元）\t项目支出（万元）",
            "12.5",
        );
        assert_eq!(t.unit_source, Some(UnitSource::ColumnHeader));
        assert_eq!(total(&t).as_deref(), Some("125000"));
        assert_eq!(t.columns[0].unit, Some(AmountUnit::TenThousandYuan));
        // Printed nowhere: taken as 元, and said so.
        let t = with_unit("", cols, "12.5");
        assert_eq!(
            (t.amount_unit, t.unit_source),
            (None, Some(UnitSource::Assumed))
        );
        assert_eq!(total(&t).as_deref(), Some("12.5"));
    }

    #[test]
    fn a_unit_in_a_header_row_cell_is_read() {
        let text = "一般公共预算财政拨款支出决算表\n公开05表\n\
                    \t\t\t\t单位：万元\n\
                    科目编码\t科目名称\t合计\t基本支出\t项目支出\n\
                    合计\t\t1.50\t1.50\t\n";
        let (_, tables) = recognize_text(text);
        let t = &tables[0];
        assert_eq!(t.unit_source, Some(UnitSource::HeaderCell), "{t:?}");
        assert_eq!(total(t).as_deref(), Some("15000"));
    }

    #[test]
    fn score_columns_are_not_money() {
        let text = "某某项目绩效目标表\n单位：万元\n\
                    项目\t预算总额\t指标值\t分值\n\
                    年度预算\t2112.76\t\t\n\
                    课程数\t\t20门\t5\n";
        let (_, tables) = recognize_text(text);
        let t = tables
            .iter()
            .find(|t| t.kind == "budget_performance_targets")
            .unwrap_or_else(|| panic!("{tables:?}"));
        let key = t
            .columns
            .iter()
            .find(|c| c.not_money)
            .map(|c| c.key.clone())
            .unwrap_or_else(|| panic!("no score column in {:?}", t.columns));
        let money = t.rows[0]
            .values
            .get("budget_total")
            .map(|v| v.normalize().to_string());
        assert_eq!(money.as_deref(), Some("21127600"), "{:?}", t.rows);
        let score = &t.rows[1];
        assert_eq!(
            score.values.get(&key).map(|v| v.to_string()).as_deref(),
            Some("5")
        );
        assert!(score.counts.contains(&key));
    }

    #[test]
    fn a_part_of_the_contents_is_never_the_document_title() {
        let m = recognize_text(
            "目录\n第一部分 部门概况\n第二部分 2019年度部门预算表\n第三部分 情况说明\n",
        )
        .0;
        assert_eq!(m.title, None);
        assert_eq!((m.year, m.kind), (Some(2019), Some(DocumentKind::Budget)));
        let m =
            recognize_text("江苏省政协办公厅2019年度部门预算\n目录\n第二部分 2019年度部门预算表\n")
                .0;
        assert_eq!(m.title.as_deref(), Some("江苏省政协办公厅2019年度部门预算"));
    }

    #[test]
    fn a_table_caption_is_never_the_document_title() {
        let meta = |text: &str| recognize_text(text).0;
        // A tables-only document: its first caption reads like a title.
        let tables = "公开12表\n2019年政府采购预算表\n单位：万元\n项目\t金额\n合计\t12.00\n";
        let m = meta(tables);
        assert_eq!(m.title, None);
        assert_eq!(m.year, Some(2019));
        // The real title, when printed, is still taken.
        let m = meta(&format!("江苏省政协办公厅2019年度部门预算\n{tables}"));
        assert_eq!(m.title.as_deref(), Some("江苏省政协办公厅2019年度部门预算"));
    }

    #[test]
    fn a_table_is_empty_only_when_it_prints_no_amount() {
        // The marker under a table that prints amounts (万里街道 2024) does
        // not empty it; under a table without amounts it agrees.
        let title =
            "部门“三公”经费和机关运行经费预算表\n单位:万元\n“三公”经费预算数\t机关运行经费预算数\n";
        let marker = "注:本部门无“三公”经费和机关运行经费预算，故本表为空表。\n";
        let (_, tables) = recognize_text(&format!("{title}47.91\t443.18\n{marker}"));
        assert_eq!(tables.len(), 1);
        assert!(!tables[0].empty, "{:?}", tables[0]);
        assert_eq!(tables[0].rows[0].values.len(), 2);
        let (_, tables) = recognize_text(&format!("{title}\t\n{marker}"));
        assert!(tables.iter().all(|t| t.empty), "{tables:?}");
    }

    #[test]
    fn an_unlabelled_row_of_a_collapsed_table_is_kept_even_when_nothing_is_placed() {
        let header = "2026年单位“三公”经费和机关运行经费预算表\n单位:万元\n“三公”经费预算数\n机关运行经费预算\n\
            数合计 因公出国(境)费 公务接待费公务用车购置及运行费\n小计 购置费 运行费\n";
        // Placed in part: the one (total) row, unlabelled as in the PDFs.
        let (_, tables) = recognize_text(&format!("{header}8.53 1.53 7 7 386.02\n"));
        let [table] = &tables[..] else {
            panic!("{tables:?}")
        };
        assert!(!table.empty);
        let [row] = &table.rows[..] else {
            panic!("{:?}", table.rows)
        };
        assert_eq!((row.code.as_deref(), row.name.as_deref()), (None, None));
        assert_eq!(
            row.values.get("total").copied(),
            Some(Decimal::new(85_300, 0))
        );
        assert!(row.note.as_deref().is_some_and(|n| n.contains("1.53")));
        // 10 over parts that can never add up to it: nothing placed, the
        // row kept with its note, the table not empty.
        let (_, tables) = recognize_text(&format!("{header}10 2 100\n"));
        let [table] = &tables[..] else {
            panic!("{tables:?}")
        };
        assert!(!table.empty);
        let [row] = &table.rows[..] else {
            panic!("{:?}", table.rows)
        };
        assert!(row.values.is_empty());
        assert!(
            row.note.as_deref().is_some_and(|n| n.contains("10 2 100")),
            "{row:?}"
        );
    }

    fn table(kind: &str, unit: Option<AmountUnit>, amounts: &[i64]) -> Table {
        Table {
            kind: kind.into(),
            label: None,
            title: kind.into(),
            unit_name: None,
            year: None,
            amount_unit: unit,
            unit_source: unit.map(|_| UnitSource::Title),
            recognized_by: None,
            pages: vec![1],
            empty: false,
            columns: Vec::new(),
            rows: amounts
                .iter()
                .map(|a| Row {
                    values: [("total".to_string(), Decimal::new(*a, 2))].into(),
                    ..Row::default()
                })
                .collect(),
        }
    }

    #[test]
    fn a_missing_amount_unit_is_inferred_from_a_total_printed_elsewhere() {
        // 390,140.45 (no unit) is the 3,901,404,500.00 元 of a 万元 table.
        let mut tables = vec![
            table("a", Some(AmountUnit::TenThousandYuan), &[390_140_450_000]),
            table("b", None, &[39_014_045, 1_000]),
            table("c", None, &[12_345]),
        ];
        infer_amount_units(&mut tables);
        assert_eq!(tables[1].amount_unit, Some(AmountUnit::TenThousandYuan));
        assert_eq!(tables[1].unit_source, Some(UnitSource::InferredTable));
        assert_eq!(
            tables[1].rows[1].values.get("total").copied(),
            Some(Decimal::new(100_000, 0))
        );
        // No total in common: no unit, amounts untouched.
        assert_eq!(tables[2].amount_unit, None);
        assert_eq!(
            tables[2].rows[0].values.get("total").copied(),
            Some(Decimal::new(12_345, 2))
        );
    }
}
