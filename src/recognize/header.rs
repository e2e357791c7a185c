//! Header analysis: which leading rows of a grid are the header, what each
//! column is (a row-identity role or a value column with a key), and how the
//! columns split into side-by-side blocks.

use crate::model::{Grid, GridCell};
use crate::normalize::{compact_code, parse_amount};
use crate::record::Side;
use crate::text::squash;

use crate::patterns::{Common, TablePattern};

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A whole code.
    Code,
    /// 类 of a split code.
    CodeClass,
    /// 款 of a split code.
    CodeSection,
    /// 项 of a split code.
    CodeItem,
    /// The row name.
    Name,
    /// The printed line number.
    LineNo,
    /// A value column with its key.
    Value(String),
    /// A column with no header and no role.
    Unknown,
}

impl Role {
    fn is_label(&self) -> bool {
        matches!(
            self,
            Role::Code | Role::CodeClass | Role::CodeSection | Role::CodeItem | Role::Name
        )
    }
}

/// A side-by-side group of columns that reads as one row per grid row.
#[derive(Debug, Clone, Default)]
pub struct ColumnBlock {
    /// Side of a two-sided table.
    pub side: Option<Side>,
    /// Column indexes with their roles, left to right.
    pub columns: Vec<(usize, Role)>,
}

/// The analysed header of a grid.
#[derive(Debug, Clone)]
pub struct Header {
    /// Number of leading rows that are header (column-number rows included).
    pub rows: usize,
    /// The header path of each column.
    pub paths: Vec<String>,
    /// The blocks.
    pub blocks: Vec<ColumnBlock>,
    /// The squashed texts of the header rows, to drop repeats on continuation pages.
    pub signatures: Vec<String>,
}

impl Header {
    /// A row the reader skips as header under this header: a row of column
    /// numbers, or a header row printed again (on a continuation page).
    pub fn repeats(&self, row: &[GridCell], common: &Common) -> bool {
        is_column_number_row(row, common) || self.signatures.contains(&row_signature(row))
    }

    /// The rows of `grid` that hold no data under this header: its first
    /// `leading` rows (the header itself, on the table's first grid) and
    /// those the reader skips.
    pub fn non_data_rows(&self, grid: &Grid, leading: usize, common: &Common) -> Vec<usize> {
        grid.rows
            .iter()
            .enumerate()
            .filter(|(i, r)| *i < leading || self.repeats(r, common))
            .map(|(i, _)| i)
            .collect()
    }
}

/// The squashed text of a row (cells joined with `|`).
pub fn row_signature(row: &[GridCell]) -> String {
    row.iter()
        .map(|c| squash(&c.text))
        .collect::<Vec<_>>()
        .join("|")
}

/// A row of column numbers ("栏次 | 1 | 2 | 3", "1 2 3 4=1+2"; the label
/// words are `column_number_labels`): a header artefact, never data.
pub fn is_column_number_row(row: &[GridCell], common: &Common) -> bool {
    let texts: Vec<String> = row
        .iter()
        .filter(|c| c.origin)
        .map(|c| squash(&c.text))
        .filter(|t| !t.is_empty())
        .collect();
    let label = |t: &String| common.column_number_labels.is_match(t);
    if texts.iter().any(label) && texts.iter().all(|t| is_column_number(t) || label(t)) {
        return true;
    }
    let numbers: Vec<u32> = texts.iter().filter_map(|t| small_integer(t)).collect();
    numbers.len() >= 2
        && texts.iter().all(|t| is_column_number(t))
        && numbers.windows(2).all(|w| w[0] < w[1])
}

fn small_integer(t: &str) -> Option<u32> {
    let t = t
        .strip_suffix(".00")
        .or_else(|| t.strip_suffix(".0"))
        .unwrap_or(t);
    t.parse::<u32>().ok().filter(|n| *n <= 99)
}

fn is_column_number(t: &str) -> bool {
    small_integer(t).is_some()
        || (t
            .chars()
            .all(|c| c.is_ascii_digit() || "=+-*/()".contains(c))
            && t.contains('='))
}

/// True when a row carries data: an amount with a fraction or separators,
/// a classification code first, or a total line with nothing else but values.
pub fn is_data_row(row: &[GridCell], common: &Common) -> bool {
    let texts: Vec<String> = row.iter().map(|c| squash(&c.text)).collect();
    if texts
        .iter()
        .any(|t| (t.contains('.') || t.contains(',')) && parse_amount(t).is_some())
    {
        return true;
    }
    let non_empty: Vec<&String> = texts.iter().filter(|t| !t.is_empty()).collect();
    let Some(first) = non_empty.first() else {
        return false;
    };
    if compact_code(first).is_some() && !is_column_number_row(row, common) {
        return true;
    }
    // A named line ("合计", "一、…收入"): data when every other text of the
    // row is a named line too (the other side of a two-sided table) or a
    // line number; a header row ("合计 | 因公出国(境)费 | …") has headings.
    let named = |t: &str| {
        let stripped = strip_enumeration(t, common);
        common.lines.iter().any(|l| l.names.is_match(&stripped))
    };
    let is_line = |t: &str| named(t) || strip_enumeration(t, common).len() < t.len();
    if non_empty.len() == 1 {
        // A lone "合计" is the (empty) total line; a lone "一、政府采购情况"
        // is a section heading.
        return named(first);
    }
    if !is_line(first) {
        return false;
    }
    non_empty
        .iter()
        .skip(1)
        .all(|t| parse_amount(t).is_some() || is_line(t) || *t == *first)
}

/// A row whose only text is an enumerated heading ("一、政府采购情况").
pub fn is_section_heading(row: &[GridCell], common: &Common) -> bool {
    let texts: Vec<String> = row
        .iter()
        .map(|c| squash(&c.text))
        .filter(|t| !t.is_empty())
        .collect();
    match texts.as_slice() {
        [only] => strip_enumeration(only, common).len() < only.len(),
        _ => false,
    }
}

/// Removes one leading enumeration ("一、", "(一)", "1.", "其中:").
pub fn strip_enumeration(s: &str, common: &Common) -> String {
    let mut out = s.to_string();
    for _ in 0..2 {
        let Some(m) = common.enumeration.0.iter().find_map(|r| r.find(&out)) else {
            break;
        };
        if m.end() >= out.len() {
            break;
        }
        out = out[m.end()..].to_string();
    }
    out
}

/// Some layouts print the split-code headings 类 | 款 | 项 on the same row
/// as the total line ("类 | 款 | 项 | 合计 | 2,946.25 …"). That row is split
/// in two: the headings become a header row of their own, the rest stays data.
pub fn split_inline_code_headings(grid: &Grid, common: &Common) -> Option<Grid> {
    let limit = grid.rows.len().min(8);
    for r in 0..limit {
        let row = &grid.rows[r];
        if !is_data_row(row, common) {
            continue;
        }
        let heading = |t: &str| {
            let roles = &common.roles;
            !t.is_empty()
                && t.chars().count() == 1
                && (roles.code_class.is_match(t)
                    || roles.code_section.is_match(t)
                    || roles.code_item.is_match(t))
        };
        let cols: Vec<usize> = (0..row.len())
            .filter(|&c| heading(&squash(&row[c].text)))
            .collect();
        if cols.len() < 2 {
            return None;
        }
        let mut head: Vec<GridCell> = vec![GridCell::new(""); row.len()];
        let mut data = row.clone();
        for &c in &cols {
            head[c] = row[c].clone();
            data[c] = GridCell::new("");
        }
        let mut rows = grid.rows.clone();
        rows[r] = data;
        rows.insert(r, head);
        let mut row_pages = grid.row_pages.clone();
        if r < row_pages.len() {
            row_pages.insert(r, row_pages[r]);
        }
        return Some(Grid {
            page: grid.page,
            rows,
            spans_known: grid.spans_known,
            row_pages,
        });
    }
    None
}

/// Analyses the header of `grid` for `pattern`.
pub fn analyse(grid: &Grid, pattern: &TablePattern, common: &Common) -> Header {
    let limit = grid.rows.len().min(8);
    let mut rows = 0;
    while rows < limit && !is_data_row(&grid.rows[rows], common) {
        rows += 1;
    }
    if rows == limit && limit == grid.rows.len() {
        // No data row at all (an empty table): the header is every row
        // before the first note.
        rows = grid
            .rows
            .iter()
            .position(|r| {
                r.iter()
                    .find(|c| !c.text.is_empty())
                    .is_some_and(|c| common.notes.is_match(&squash(&c.text)))
            })
            .unwrap_or(grid.rows.len())
            .min(limit);
    }
    // Column-number rows and section headings ("一、政府采购情况" alone on
    // its row) are not column headings.
    let header_rows: Vec<&Vec<GridCell>> = grid.rows[..rows]
        .iter()
        .filter(|r| !is_column_number_row(r, common) && !is_section_heading(r, common))
        .collect();
    let width = grid.width();
    let mut texts: Vec<Vec<String>> = header_rows
        .iter()
        .map(|r| r.iter().map(|c| squash(&c.text)).collect())
        .collect();
    // Merged header cells often reach us as text followed by empty
    // neighbours (tab-separated text, renderers that draw every border);
    // where spans are known the covered slots hold copies and stay as they are.
    fill_spans(&mut texts);
    let paths: Vec<String> = (0..width)
        .map(|c| {
            let mut segs: Vec<&str> = Vec::new();
            for row in &texts {
                let t = row[c].as_str();
                if !t.is_empty() && segs.last() != Some(&t) {
                    segs.push(t);
                }
            }
            segs.join("/")
        })
        .collect();
    let mut roles: Vec<Role> = paths.iter().map(|p| role_of(p, pattern, common)).collect();
    // A name heading over two columns whose merge went undetected: a column
    // with no heading right of the name column, holding text and never an
    // amount, is part of the name (category | item).
    for c in 1..width {
        if roles[c] == Role::Unknown && paths[c].is_empty() && roles[c - 1] == Role::Name {
            let cells: Vec<String> = grid.rows[rows..]
                .iter()
                .filter_map(|r| r.get(c))
                .filter(|cell| cell.origin)
                .map(|cell| squash(&cell.text))
                .filter(|t| !t.is_empty())
                .collect();
            if !cells.is_empty() && cells.iter().all(|t| parse_amount(t).is_none()) {
                roles[c] = Role::Name;
            }
        }
    }
    apply_groups(&mut roles, &paths, pattern);
    let blocks = split_blocks(&roles, &paths, pattern);
    Header {
        rows,
        signatures: grid.rows[..rows].iter().map(|r| row_signature(r)).collect(),
        paths,
        blocks,
    }
}

/// Without span information a merged header cell shows as text followed by
/// empty neighbours. An empty header cell takes the text on its left when a
/// lower header row has text in that column (it is then a group heading).
fn fill_spans(texts: &mut [Vec<String>]) {
    let n = texts.len();
    for r in 0..n {
        let width = texts[r].len();
        for c in 1..width {
            // A left cell that continues the cell above (a vertical merge)
            // is not a group heading.
            let left_continues = r > 0 && texts[r - 1][c - 1] == texts[r][c - 1];
            if texts[r][c].is_empty() && !texts[r][c - 1].is_empty() && !left_continues {
                let below = (r + 1..n).any(|rr| !texts[rr][c].is_empty());
                // Never fill from a column whose own lower rows are empty:
                // that column is a leaf, not a group heading.
                let left_is_group = (r + 1..n).any(|rr| !texts[rr][c - 1].is_empty()) || r + 1 == n;
                if below && left_is_group {
                    texts[r][c] = texts[r][c - 1].clone();
                }
            }
        }
    }
}

/// A unit printed in a column heading ("合计（万元）"): read as the column's
/// unit, not as part of its name.
static HEADING_UNIT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"[(（](?:单位[:：])?(?:万元|千元|元)[)）]").expect("a valid regex")
});

fn role_of(path: &str, pattern: &TablePattern, common: &Common) -> Role {
    let unitless = HEADING_UNIT.replace_all(path, "");
    let path: &str = &unitless;
    // A total line printed inside the header ("项目/科目名称/合计") does not
    // change what the column is.
    let mut trimmed = path;
    while let Some((head, last)) = trimmed.rsplit_once('/') {
        if common.header_totals.is_match(last) {
            trimmed = head;
        } else {
            break;
        }
    }
    if trimmed != path {
        let role = label_role(trimmed, common);
        if role != Role::Unknown {
            return role;
        }
    }
    let roles = &common.roles;
    if path.is_empty() {
        return Role::Unknown;
    }
    if roles.line_no.is_match(path) {
        return Role::LineNo;
    }
    if roles.code_class.is_match(path) {
        return Role::CodeClass;
    }
    if roles.code_section.is_match(path) {
        return Role::CodeSection;
    }
    if roles.code_item.is_match(path) {
        return Role::CodeItem;
    }
    if roles.code.is_match(path) {
        return Role::Code;
    }
    if let Some(rule) = pattern.columns.iter().find(|r| r.matches(path)) {
        return Role::Value(rule.key.clone());
    }
    if roles.name.is_match(path) {
        return Role::Name;
    }
    Role::Unknown
}

/// Prefixes value keys with their group (budget/actual). When every key
/// occurs exactly once per group, the n-th occurrence goes to the n-th
/// group; otherwise each column's header path decides.
fn apply_groups(roles: &mut [Role], paths: &[String], pattern: &TablePattern) {
    let groups = &pattern.groups;
    if groups.is_empty() {
        return;
    }
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for role in roles.iter() {
        if let Role::Value(k) = role {
            *counts.entry(k.clone()).or_default() += 1;
        }
    }
    let by_order = !counts.is_empty() && counts.values().all(|n| *n == groups.len());
    let mut seen: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for (role, path) in roles.iter_mut().zip(paths) {
        if let Role::Value(k) = role {
            let n = seen.entry(k.clone()).or_default();
            let group = if by_order {
                groups.get(*n)
            } else {
                groups.iter().find(|g| g.header.is_match(path))
            };
            *n += 1;
            if let Some(g) = group {
                *k = format!("{}{}", g.prefix, k);
            }
        }
    }
}

/// The identity role of a header path, or `Unknown`.
fn label_role(path: &str, common: &Common) -> Role {
    let roles = &common.roles;
    if roles.line_no.is_match(path) {
        Role::LineNo
    } else if roles.code_class.is_match(path) {
        Role::CodeClass
    } else if roles.code_section.is_match(path) {
        Role::CodeSection
    } else if roles.code_item.is_match(path) {
        Role::CodeItem
    } else if roles.code.is_match(path) {
        Role::Code
    } else if roles.name.is_match(path) {
        Role::Name
    } else {
        Role::Unknown
    }
}

fn side_of(paths: &[&String]) -> Option<Side> {
    let first: Vec<&str> = paths.iter().filter_map(|p| p.split('/').next()).collect();
    if first.iter().any(|s| s.starts_with("收入") || *s == "收") {
        Some(Side::Income)
    } else if first.iter().any(|s| s.starts_with("支出") || *s == "支") {
        Some(Side::Expenditure)
    } else {
        None
    }
}

fn split_blocks(roles: &[Role], paths: &[String], pattern: &TablePattern) -> Vec<ColumnBlock> {
    let mut blocks: Vec<ColumnBlock> = Vec::new();
    let mut current = ColumnBlock::default();
    let mut seen_value = false;
    for (c, role) in roles.iter().enumerate() {
        if role.is_label() && seen_value {
            blocks.push(std::mem::take(&mut current));
            seen_value = false;
        }
        if matches!(role, Role::Value(_) | Role::LineNo)
            && current.columns.iter().any(|(_, r)| r.is_label())
        {
            seen_value = true;
        }
        if matches!(role, Role::Value(_)) {
            seen_value = true;
        }
        current.columns.push((c, role.clone()));
    }
    blocks.push(current);
    let n = blocks.len();
    for (i, block) in blocks.iter_mut().enumerate() {
        // Unknown columns without a header are slivers; keep them only as
        // values with a positional key so no printed amount is dropped.
        for (c, role) in block.columns.iter_mut() {
            if *role == Role::Unknown {
                *role = Role::Value(format!("col{}", *c + 1));
            }
        }
        dedupe_keys(block);
        if !pattern.sides.is_empty() {
            let block_paths: Vec<&String> = block.columns.iter().map(|(c, _)| &paths[*c]).collect();
            block.side = side_of(&block_paths).or_else(|| {
                if n == pattern.sides.len() {
                    pattern.sides.get(i).copied()
                } else {
                    None
                }
            });
        }
    }
    blocks
}

fn dedupe_keys(block: &mut ColumnBlock) {
    let mut seen: Vec<String> = Vec::new();
    for (_, role) in block.columns.iter_mut() {
        if let Role::Value(key) = role {
            let mut k = key.clone();
            let mut n = 2;
            while seen.contains(&k) {
                k = format!("{key}_{n}");
                n += 1;
            }
            seen.push(k.clone());
            *key = k;
        }
    }
}

/// The rows of a table's continuation on its next page, found in columns of
/// their own (a layout without ruling lines finds the columns page by page,
/// and a column empty on a page is not found there), refitted to the table's
/// `width` columns: amounts from the right into the value columns, the code
/// and name from the left. Only for a one-sided table whose value columns
/// are its rightmost, and a continuation that starts with a data row and
/// prints no amount left of its last value columns; otherwise `None`.
pub fn refit(grid: &Grid, header: &Header, width: usize, common: &Common) -> Option<Grid> {
    let [block] = &header.blocks[..] else {
        return None;
    };
    let values: Vec<usize> = block
        .columns
        .iter()
        .filter(|(_, r)| matches!(r, Role::Value(_)))
        .map(|(c, _)| *c)
        .collect();
    let v = values.len();
    if v == 0 || width <= v || values != (width - v..width).collect::<Vec<_>>() {
        return None;
    }
    let w = grid.width();
    if w <= v || w == width || !grid.rows.first().is_some_and(|r| is_data_row(r, common)) {
        return None;
    }
    let labels = w - v;
    let is_money = |t: &str| {
        let t = squash(t);
        crate::normalize::is_amount(&t) && t.contains(['.', ','])
    };
    if grid
        .rows
        .iter()
        .any(|r| r.iter().take(labels).any(|c| is_money(&c.text)))
    {
        return None;
    }
    let role_col =
        |want: &dyn Fn(&Role) -> bool| block.columns.iter().find(|(_, r)| want(r)).map(|(c, _)| *c);
    let code = role_col(&|r| matches!(r, Role::Code | Role::CodeClass));
    let name = role_col(&|r| matches!(r, Role::Name));
    let targets: Vec<usize> = if labels == width - v {
        (0..labels).collect()
    } else {
        match (labels, code, name) {
            (2, Some(c), Some(n)) => vec![c, n],
            (1, _, Some(n)) => vec![n],
            _ => return None,
        }
    };
    let rows = grid
        .rows
        .iter()
        .map(|r| {
            let mut out = vec![GridCell::new(""); width];
            for (j, cell) in r.iter().enumerate() {
                let to = if j < labels {
                    targets[j]
                } else {
                    width - v + (j - labels)
                };
                out[to] = cell.clone();
            }
            out
        })
        .collect();
    Some(Grid {
        page: grid.page,
        rows,
        spans_known: grid.spans_known,
        row_pages: grid.row_pages.clone(),
    })
}
