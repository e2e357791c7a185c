//! Reading the data rows of a grid, block by block, into record rows.

use std::collections::BTreeMap;

use crate::model::{Grid, GridCell};
use crate::normalize::{
    code_level, compact_code, join_split_code, parent_code, parse_amount, to_yuan,
};
use crate::record::{AmountUnit, Row, Side};
use crate::text::squash;

use super::header::{strip_enumeration, ColumnBlock, Header, Role};
use crate::patterns::{Common, TablePattern};

/// State carried from row to row while reading one table.
#[derive(Debug, Default)]
pub struct RowReader {
    /// Line ids seen so far, with their side (for `after` rules).
    seen_lines: Vec<(Option<Side>, String)>,
    /// The code of the previous row in each block (for split codes that
    /// leave the higher parts blank).
    prev_code: Vec<Option<String>>,
}

/// A read row with the block it came from.
pub type BlockRow = (usize, Row);

/// One block's reading of one grid row.
#[derive(Debug, Default)]
struct Partial {
    block: usize,
    row: Row,
    has_label: bool,
    has_value_cells: bool,
}

impl RowReader {
    /// Reads the rows of a grid after its header (or every row of a
    /// continuation grid, dropping repeated header rows).
    pub fn read(
        &mut self,
        (grid, from): (&Grid, usize),
        header: &Header,
        pattern: &TablePattern,
        common: &Common,
        unit: AmountUnit,
        out: &mut Vec<BlockRow>,
    ) {
        let rows = grid.rows.get(from..).unwrap_or_default();
        if self.prev_code.len() < header.blocks.len() {
            self.prev_code.resize(header.blocks.len(), None);
        }
        for (i, row) in rows.iter().enumerate() {
            if header.repeats(row, common) {
                continue;
            }
            let first = row.iter().map(|c| squash(&c.text)).find(|t| !t.is_empty());
            let Some(first) = first else { continue };
            if is_repeated_header(row, common) {
                continue;
            }
            if common.notes.is_match(&first) || row_is_marker(row, common) {
                continue;
            }
            let mut partials: Vec<Partial> = header
                .blocks
                .iter()
                .enumerate()
                .map(|(b, block)| self.read_block(b, row, block, header, pattern, common, unit))
                .collect();
            partials.retain(|p| !self.continues_name(p, out, pattern, common));
            for p in &mut partials {
                mark_sub_line(p, out, common);
            }
            let before = out.len();
            out.extend(merge_carried(partials));
            for (_, r) in &mut out[before..] {
                r.page.get_or_insert(grid.row_page(from + i));
            }
        }
    }

    /// A name wrapped onto the next row of a narrow column ("八、社会保障和就"
    /// then "业支出", nothing else on that row): when the joined name is a
    /// named line or a function class the previous row of the block is not,
    /// the fragment completes that row's name and is no row of its own.
    fn continues_name(
        &mut self,
        p: &Partial,
        out: &mut [BlockRow],
        pattern: &TablePattern,
        common: &Common,
    ) -> bool {
        if !p.has_label || p.has_value_cells || p.row.code.is_some() || p.row.line.is_some() {
            return false;
        }
        let Some(name) = p.row.name.as_deref() else {
            return false;
        };
        if strip_enumeration(name, common).len() < name.len() {
            return false;
        }
        let Some((_, prev)) = out.iter_mut().rev().find(|(b, _)| *b == p.block) else {
            return false;
        };
        if prev.code.is_some() || prev.line.is_some() || prev.side != p.row.side {
            return false;
        }
        let Some(prev_name) = prev.name.as_deref() else {
            return false;
        };
        let joined = format!("{prev_name}{name}");
        let stripped = strip_enumeration(&joined, common);
        let side = prev.side;
        if let Some(l) = pattern
            .lines
            .iter()
            .chain(common.lines.iter())
            .find(|l| l.matches(&stripped, side, &self.seen_lines))
        {
            prev.line = Some(l.id.clone());
            self.seen_lines.push((side, l.id.clone()));
        } else if pattern.name_codes {
            let Some(code) = common
                .function_classes
                .iter()
                .find(|(_, names)| names.is_match(&stripped))
                .map(|(c, _)| c.clone())
            else {
                return false;
            };
            prev.level = code_level(&code);
            prev.parent = parent_code(&code);
            prev.code = Some(code);
        } else {
            return false;
        }
        prev.name = Some(joined);
        true
    }

    /// Section rows printed in the header ("一、政府采购情况") open the
    /// context that `after` line rules look for.
    pub fn seed_sections(
        &mut self,
        header_rows: &[Vec<GridCell>],
        pattern: &TablePattern,
        common: &Common,
    ) {
        for row in header_rows {
            let Some(first) = row.iter().map(|c| squash(&c.text)).find(|t| !t.is_empty()) else {
                continue;
            };
            let stripped = strip_enumeration(&first, common);
            if let Some(l) = pattern
                .lines
                .iter()
                .find(|l| l.after.is_none() && l.names.is_match(&stripped))
            {
                self.seen_lines.push((None, l.id.clone()));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn read_block(
        &mut self,
        b: usize,
        row: &[GridCell],
        block: &ColumnBlock,
        header: &Header,
        pattern: &TablePattern,
        common: &Common,
        unit: AmountUnit,
    ) -> Partial {
        let mut code_text = String::new();
        let mut split: [Option<String>; 3] = [None, None, None];
        let mut name = String::new();
        let mut line_no = None;
        let mut values = BTreeMap::new();
        let mut printed = BTreeMap::new();
        let mut value_cells = Vec::new();
        for (c, role) in &block.columns {
            let Some(cell) = row.get(*c) else { continue };
            let text = label_text(row, *c);
            match role {
                Role::Code => code_text = text,
                Role::CodeClass => split[0] = Some(text),
                // A cell merged across 类/款/项 ("205" over all three) is
                // the class column's alone.
                Role::CodeSection => {
                    split[1] = Some(if cell.origin { text } else { String::new() })
                }
                Role::CodeItem => split[2] = Some(if cell.origin { text } else { String::new() }),
                Role::Name => {
                    if !text.is_empty() && !name.contains(&text) {
                        name.push_str(&text);
                    }
                }
                Role::LineNo => {
                    if !text.is_empty() {
                        line_no = Some(text);
                    }
                }
                Role::Value(key) => {
                    let t = if cell.origin {
                        squash(&cell.text)
                    } else {
                        String::new()
                    };
                    if !t.is_empty() {
                        value_cells.push((key.clone(), t));
                    }
                }
                Role::Unknown => {}
            }
        }
        // Row identity: a code from the code column(s); every other label
        // text (a total spanning the code and name columns, a name printed in
        // the code column) joins the name, each distinct text once.
        let mut code = None;
        let mut texts: Vec<String> = Vec::new();
        if split.iter().any(Option::is_some) {
            let parts: Vec<&str> = split.iter().map(|p| p.as_deref().unwrap_or("")).collect();
            code = join_split_code(&parts, self.prev_code[b].as_deref());
            if code.is_none() {
                texts.extend(
                    parts
                        .iter()
                        .filter(|p| !p.is_empty() && parse_amount(p).is_none())
                        .map(|p| p.to_string()),
                );
            }
        }
        if !code_text.is_empty() {
            match compact_code(&code_text) {
                Some(c) => code = Some(c),
                None => {
                    // A code cell may hold "2010301 行政运行".
                    let (digits, rest) = split_leading_code(&code_text);
                    match digits.and_then(|d| compact_code(&d)) {
                        Some(c) if !rest.is_empty() => {
                            code = Some(c);
                            texts.push(rest);
                        }
                        _ => texts.push(code_text.clone()),
                    }
                }
            }
        }
        texts.push(std::mem::take(&mut name));
        for t in texts {
            if !t.is_empty() && !name.contains(&t) {
                name.push_str(&t);
            }
        }
        if code.is_none() && !name.is_empty() {
            // Names that start with their code ("2010301行政运行").
            let (digits, rest) = split_leading_code(&name);
            if let (Some(c), false) = (digits.and_then(|d| compact_code(&d)), rest.is_empty()) {
                code = Some(c);
                name = rest;
            }
        }
        let has_label = code.is_some() || !name.is_empty();
        let stripped = strip_enumeration(&name, common);
        let count_row = !name.is_empty() && pattern.count_rows.is_match(&name);
        let mut counts = Vec::new();
        for (key, text) in &value_cells {
            printed.insert(key.clone(), text.clone());
            if common.placeholders.is_match(text) {
                continue;
            }
            if let Some(v) = parse_amount(text) {
                if count_row {
                    values.insert(key.clone(), v);
                    counts.push(key.clone());
                } else {
                    values.insert(key.clone(), to_yuan(v, unit));
                }
            }
        }
        let side = block.side;
        let line = if name.is_empty() || code.is_some() {
            None
        } else {
            pattern
                .lines
                .iter()
                .chain(common.lines.iter())
                .find(|l| l.matches(&stripped, side, &self.seen_lines))
                .map(|l| l.id.clone())
        };
        if let Some(l) = &line {
            self.seen_lines.push((side, l.clone()));
        }
        if code.is_none() && line.is_none() && pattern.name_codes && !stripped.is_empty() {
            code = common
                .function_classes
                .iter()
                .find(|(_, names)| names.is_match(&stripped))
                .map(|(c, _)| c.clone());
        }
        if let Some(c) = &code {
            self.prev_code[b] = Some(c.clone());
        }
        let _ = header;
        Partial {
            block: b,
            has_label,
            has_value_cells: !value_cells.is_empty(),
            row: Row {
                level: code.as_deref().and_then(code_level),
                parent: code.as_deref().and_then(parent_code),
                code,
                name: (!name.is_empty()).then_some(name),
                line,
                line_no,
                sub_of: None,
                note: None,
                page: None,
                side,
                values,
                printed,
                counts,
            },
        }
    }
}

/// An "of which" row (其中:…) is part of the nearest row above it in its
/// block that is no such row itself.
fn mark_sub_line(p: &mut Partial, out: &[BlockRow], common: &Common) {
    let is_sub = p
        .row
        .name
        .as_deref()
        .is_some_and(|n| common.sub_line.is_match(&squash(n)));
    if !is_sub {
        return;
    }
    p.row.sub_of = out
        .iter()
        .rev()
        .filter(|(b, r)| *b == p.block && r.side == p.row.side)
        .find(|(_, r)| r.sub_of.is_none())
        .and_then(|(_, r)| r.code.clone().or(r.line.clone()).or(r.name.clone()));
}

/// The text of a label cell: its own text, or a horizontal span's copy
/// (a copy from the row above is a vertical span and belongs to that row).
fn label_text(row: &[GridCell], c: usize) -> String {
    let cell = &row[c];
    if cell.origin {
        return squash(&cell.text);
    }
    let mut k = c;
    while k > 0 {
        k -= 1;
        if row[k].text != cell.text {
            return String::new();
        }
        if row[k].origin {
            return squash(&cell.text);
        }
    }
    String::new()
}

/// A header printed again inside the table ("项目 | 行次 | 统计数"): every
/// non-empty cell is a column-role header, and there is no amount.
fn is_repeated_header(row: &[GridCell], common: &Common) -> bool {
    let texts: Vec<String> = row
        .iter()
        .filter(|c| c.origin)
        .map(|c| squash(&c.text))
        .filter(|t| !t.is_empty())
        .collect();
    let roles = &common.roles;
    !texts.is_empty()
        && texts.iter().all(|t| parse_amount(t).is_none())
        && roles.name.is_match(&texts[0])
        && texts[0].chars().count() <= 6
}

/// A row whose only content is a declared-empty marker or a note.
fn row_is_marker(row: &[GridCell], common: &Common) -> bool {
    let texts: Vec<String> = row
        .iter()
        .filter(|c| c.origin)
        .map(|c| squash(&c.text))
        .filter(|t| !t.is_empty())
        .collect();
    texts.len() == 1 && common.empty_markers.is_match(&texts[0]) && texts[0].chars().count() > 3
}

/// Splits "2010301行政运行" into ("2010301", "行政运行").
fn split_leading_code(s: &str) -> (Option<String>, String) {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return (None, s.to_string());
    }
    (Some(digits.clone()), s[digits.len()..].to_string())
}

/// Merges blocks whose label has no values with the next block that has
/// values but no label (a total line printed across blocks: "公用经费合计"
/// in one block, its amounts in the last one). Drops blocks with neither.
fn merge_carried(partials: Vec<Partial>) -> Vec<BlockRow> {
    let mut out: Vec<BlockRow> = Vec::new();
    let mut carry: Option<BlockRow> = None;
    for p in partials {
        match (p.has_label, p.has_value_cells) {
            (true, false) => {
                if let Some(c) = carry.take() {
                    out.push(c);
                }
                carry = Some((p.block, p.row));
            }
            (false, true) => match carry.take() {
                Some((b, mut c)) if c.side == p.row.side => {
                    c.values.extend(p.row.values);
                    c.printed.extend(p.row.printed);
                    c.counts.extend(p.row.counts);
                    out.push((b, c));
                }
                Some(c) => {
                    out.push(c);
                    out.push((p.block, p.row));
                }
                None => out.push((p.block, p.row)),
            },
            (true, true) => {
                if let Some(c) = carry.take() {
                    out.push(c);
                }
                out.push((p.block, p.row));
            }
            (false, false) => {}
        }
    }
    if let Some(c) = carry {
        out.push(c);
    }
    out
}
