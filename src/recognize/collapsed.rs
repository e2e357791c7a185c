//! Text renderings whose table columns were collapsed into single spaces and
//! whose blank cells were dropped ("201 一般公共服务支出 3,353,072 3,353,072"
//! under a header "合计 基本支出 项目支出"). The lines after a table title
//! are rebuilt into a grid: the header lines give the value columns (each
//! heading the table pattern knows, in printed order), each row line its
//! label and amounts. A multi-level header linearized line by line (the
//! 三公 table's) takes the column order of the template layout it names
//! completely (`layouts` of the pattern). Which column an amount belongs to
//! is decided by what the template knows: the amounts in printed order, the
//! table's column identities (合计 = 基本支出 + 项目支出, within rounding)
//! and a leading 合计 column. An
//! amount whose column stays ambiguous is placed nowhere and the row gets
//! a note saying so.

use rust_decimal::Decimal;

use crate::check::printed_half_unit as half_unit;
use crate::model::{Block, Grid, GridCell, TextLine};
use crate::normalize::parse_amount;
use crate::text::squash;

use super::header::strip_enumeration;
use crate::patterns::{AnyOf, Common, Identity, TablePattern, TablePatterns};

/// The key of a code heading (科目编码, 类, 款, 项) among the headings.
const LABEL: &str = "#";
/// The key of a total word heading (合计, 小计) under a group heading.
const SUBTOTAL: &str = "=";
/// Longest header heading tried, in characters.
const MAX_HEADING_CHARS: usize = 16;
/// Most header lines before the first row.
const MAX_HEADER_LINES: usize = 8;

/// A row whose amounts could not all be placed: (table kind, row label, note).
pub type RowNote = (String, String, String);

/// Rebuilds collapsed tables in a text document's blocks.
pub fn rebuild(blocks: &[Block], patterns: &TablePatterns) -> (Vec<Block>, Vec<RowNote>) {
    let mut out = Vec::with_capacity(blocks.len());
    let mut notes = Vec::new();
    let mut open: Option<Building> = None;
    for block in blocks {
        let Block::Text(line) = block else {
            if let Some(b) = open.take() {
                b.finish(patterns, &mut out, &mut notes);
            }
            out.push(block.clone());
            continue;
        };
        let squashed = squash(&line.text);
        if patterns.common.page_markers.is_match(&squashed) {
            continue;
        }
        let row_like = open.is_some()
            && split_row(&line.text, &patterns.common)
                .is_some_and(|r| r.segments.iter().any(|(_, a)| !a.is_empty()));
        if let Some(p) = title_pattern(&squashed, patterns).filter(|_| !row_like) {
            if let Some(b) = open.take() {
                b.finish(patterns, &mut out, &mut notes);
            }
            out.push(block.clone());
            open = Some(Building::new(p, line.page));
            continue;
        }
        let Some(b) = open.as_mut() else {
            out.push(block.clone());
            continue;
        };
        match b.take(line, &squashed, patterns) {
            Taken::Kept => {}
            Taken::Passed => out.push(block.clone()),
            Taken::Ends => {
                if let Some(b) = open.take() {
                    b.finish(patterns, &mut out, &mut notes);
                }
                out.push(block.clone());
            }
        }
    }
    if let Some(b) = open.take() {
        b.finish(patterns, &mut out, &mut notes);
    }
    (out, notes)
}

/// The pattern whose title matches a line best (the longest match).
fn title_pattern(line: &str, patterns: &TablePatterns) -> Option<usize> {
    if line.chars().count() > 60 {
        return None;
    }
    let common = &patterns.common;
    let rest = strip_enumeration(line, common);
    patterns
        .kinds
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.titles.longest(&rest).map(|m| (i, m.as_str().len())))
        .max_by_key(|(_, n)| *n)
        .map(|(i, _)| i)
}

enum Taken {
    /// Read into the table.
    Kept,
    /// Page furniture or metadata: stays a text line, the table goes on.
    Passed,
    /// Not part of the table: the table ends before it.
    Ends,
}

/// One printed row: its label and amounts (possibly two of each, side by side).
#[derive(Debug, Clone)]
struct Printed {
    segments: Vec<(String, Vec<String>)>,
}

struct Building {
    pattern: usize,
    page: u32,
    /// Header lines: squashed, as printed, page.
    header: Vec<(String, String, u32)>,
    rows: Vec<(Printed, u32)>,
}

impl Building {
    fn new(pattern: usize, page: u32) -> Self {
        Building {
            pattern,
            page,
            header: Vec::new(),
            rows: Vec::new(),
        }
    }

    fn take(&mut self, line: &TextLine, squashed: &str, patterns: &TablePatterns) -> Taken {
        let common = &patterns.common;
        let pattern = &patterns.kinds[self.pattern];
        if common.unit_name.is_match(squashed)
            || common.amount_unit.is_match(squashed)
            // "金额单位：" / "元": the unit line split in two.
            || (common.amount_unit_dangling.is_match(squashed) && squashed.chars().count() <= 6)
            || common.year.is_match(squashed) && squashed.chars().count() <= 12
        {
            return Taken::Passed;
        }
        if common.notes.is_match(squashed) || common.empty_markers.is_match(squashed) {
            return Taken::Ends;
        }
        if self.rows.is_empty() && self.header.iter().any(|(h, _, _)| h == squashed) {
            return Taken::Kept;
        }
        let printed = split_row(&line.text, common);
        let sided = !pattern.sides.is_empty();
        let fits = printed
            .as_ref()
            .is_some_and(|p| p.segments.len() == 1 || (sided && p.segments.len() == 2));
        let has_amounts = printed
            .as_ref()
            .is_some_and(|p| p.segments.iter().any(|(_, a)| !a.is_empty()));
        let label = printed
            .as_ref()
            .and_then(|p| p.segments.first())
            .map(|(l, _)| squash(l))
            .unwrap_or_default();
        let coded = label.chars().take(3).all(|c| c.is_ascii_digit()) && label.len() >= 3;
        let stripped = strip_enumeration(&label, common);
        let named = |totals_only: bool| {
            pattern
                .lines
                .iter()
                .chain(common.lines.iter())
                .filter(|l| !totals_only || l.id.ends_with("total"))
                .any(|l| l.names.is_match(&stripped))
        };
        let named_line = named(self.rows.is_empty());
        if self.rows.is_empty() {
            if fits && (has_amounts || coded) {
                if let Some(p) = printed {
                    self.rows.push((p, line.page));
                }
                return Taken::Kept;
            }
            if fits && named_line && !self.header.is_empty() {
                if let Some(p) = printed {
                    self.rows.push((p, line.page));
                }
                return Taken::Kept;
            }
            if self.header.len() < MAX_HEADER_LINES && squashed.chars().count() <= 60 {
                self.header
                    .push((squashed.to_string(), line.text.clone(), line.page));
                return Taken::Kept;
            }
            return Taken::Ends;
        }
        // A header repeated on a continuation page.
        if self.header.iter().any(|(h, _, _)| h == squashed) {
            return Taken::Kept;
        }
        if fits && (has_amounts || coded || named_line) {
            if let Some(p) = printed {
                self.rows.push((p, line.page));
            }
            return Taken::Kept;
        }
        Taken::Ends
    }

    /// Emits the table as a grid, or the lines as they were when no row was read.
    fn finish(self, patterns: &TablePatterns, out: &mut Vec<Block>, notes: &mut Vec<RowNote>) {
        let pattern = &patterns.kinds[self.pattern];
        if self.rows.is_empty() {
            out.extend(self.header.into_iter().map(|(_, text, page)| {
                Block::Text(TextLine {
                    page,
                    text,
                    printed: None,
                })
            }));
            return;
        }
        let text: String = self.header.iter().map(|(h, _, _)| h.as_str()).collect();
        let layout = layout_columns(&text, pattern, &patterns.common);
        let (headings, uncovered) = headings(&text, pattern, &patterns.common, false);
        // Side words and the 类/款/项 of a split code are no columns; any other
        // text no heading covers means the header was not understood and its
        // order cannot place amounts.
        let unknown: String = if layout.is_some() {
            String::new()
        } else {
            uncovered
                .replace("本年", "")
                .replace("收入", "")
                .replace("支出", "")
                .chars()
                .filter(|c| !"类款项".contains(*c))
                .collect()
        };
        let sides = if pattern.sides.is_empty() {
            vec![None]
        } else {
            pattern.sides.iter().map(|s| Some(*s)).collect()
        };
        let columns = match layout {
            Some(columns) => vec![columns],
            None => split_sides(&headings, sides.len()),
        };
        let width: usize = columns.iter().map(|c| c.len() + 2).sum();
        let mut header_rows = vec![Vec::with_capacity(width), Vec::with_capacity(width)];
        for (s, cols) in columns.iter().enumerate() {
            let side = match sides.get(s).copied().flatten() {
                Some(crate::record::Side::Income) => "收入",
                Some(crate::record::Side::Expenditure) => "支出",
                None => "",
            };
            header_rows[0].push(GridCell::new(side));
            header_rows[0].push(GridCell::new(side));
            header_rows[1].push(GridCell::new("科目编码"));
            header_rows[1].push(GridCell::new("科目名称"));
            for (_, heading) in cols {
                header_rows[0].push(GridCell::new(side));
                header_rows[1].push(GridCell::new(heading.clone()));
            }
        }
        let identities = &pattern.identities;
        let mut grid_rows: Vec<Vec<GridCell>> = if sides.len() > 1 {
            header_rows
        } else {
            header_rows.split_off(1)
        };
        // Each side of each row: its label and the placements its amounts allow.
        let mut read: Vec<Vec<Option<Side>>> = self
            .rows
            .iter()
            .map(|(printed, _)| {
                assign_sides(&printed.segments, columns.len(), pattern)
                    .into_iter()
                    .enumerate()
                    .map(|(s, seg)| {
                        let (label, amounts) = seg?;
                        let keys: Vec<&str> = columns
                            .get(s)
                            .map(|c| c.iter().map(|(k, _)| k.as_str()).collect())
                            .unwrap_or_default();
                        let candidates = if unknown.is_empty() {
                            candidates(&amounts, &keys, identities)
                        } else {
                            Vec::new()
                        };
                        Some(Side {
                            label,
                            amounts,
                            candidates,
                        })
                    })
                    .collect()
            })
            .collect();
        if columns.len() == 1 {
            resolve_by_hierarchy(&mut read, columns[0].len(), pattern, patterns);
        }
        for row in &read {
            let mut cells = vec![GridCell::new(""); width];
            let mut offset = 0;
            for (s, cols) in columns.iter().enumerate() {
                if let Some(Some(side)) = row.get(s) {
                    let (code, name) = split_label(&side.label);
                    cells[offset] = GridCell::new(code);
                    cells[offset + 1] = GridCell::new(name);
                    let keys: Vec<&str> = cols.iter().map(|(k, _)| k.as_str()).collect();
                    let (slots, mut note) = settle(&side.amounts, &keys, &side.candidates);
                    if !unknown.is_empty() && !side.amounts.is_empty() {
                        note = Some(format!(
                            "blank cells dropped and the header not understood (\"{unknown}\"): {} not placed",
                            side.amounts.join(" ")
                        ));
                    }
                    for (a, slot) in side.amounts.iter().zip(slots) {
                        if let Some(slot) = slot {
                            cells[offset + 2 + slot] = GridCell::new(a.clone());
                        }
                    }
                    if let Some(note) = note {
                        notes.push((pattern.kind.clone(), squash(&side.label), note));
                    }
                }
                offset += cols.len() + 2;
            }
            grid_rows.push(cells);
        }
        let mut grid = Grid::from_strings(self.page, Vec::new());
        let heads = grid_rows.len().saturating_sub(read.len());
        if self.rows.iter().any(|(_, page)| *page != self.page) {
            grid.row_pages = std::iter::repeat_n(self.page, heads)
                .chain(self.rows.iter().map(|(_, page)| *page))
                .collect();
        }
        grid.rows = grid_rows;
        out.push(Block::Grid(grid));
    }
}

/// One side of a printed row.
struct Side {
    label: String,
    amounts: Vec<String>,
    candidates: Vec<Placement>,
}

/// "2010506统计管理" → ("2010506", "统计管理"); "301 01基本工资" →
/// ("30101", "基本工资"); a label without a leading code has an empty code.
fn split_label(label: &str) -> (String, String) {
    let squashed = squash(label);
    let digits: String = squashed.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() >= 3 {
        (digits.clone(), squashed[digits.len()..].to_string())
    } else {
        (String::new(), label.trim().to_string())
    }
}

/// Splits a row line into label and amount segments; `None` when it holds
/// no label and no amount. A digit run followed by label text is a code
/// ("301 01基本工资"); an enumerated name after a label without amounts
/// starts the other side's label ("3、国有资本经营预算 四、科学技术支出").
fn split_row(text: &str, common: &Common) -> Option<Printed> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut segments: Vec<(String, Vec<String>)> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let next_is_label = tokens.get(i + 1).is_some_and(|t| !is_amount(t));
        let code = token.chars().all(|c| c.is_ascii_digit()) && token.len() <= 7 && next_is_label;
        let amount = is_amount(token) && !code;
        let enumerated = strip_enumeration(&squash(token), common).len() < squash(token).len();
        match segments.last_mut() {
            Some((_, amounts)) if amount => amounts.push(token.to_string()),
            Some((label, amounts)) if amounts.is_empty() && (label.is_empty() || !enumerated) => {
                label.push(' ');
                label.push_str(token);
            }
            _ if amount => segments.push((String::new(), vec![token.to_string()])),
            _ => segments.push((token.to_string(), Vec::new())),
        }
    }
    (!segments.is_empty()).then_some(Printed { segments })
}

/// An amount as printed ("1,234", "8.53", "-7"); a bare code-length digit
/// run at the start of a label is not reached here (labels come first).
fn is_amount(token: &str) -> bool {
    let t = token.trim_start_matches('-');
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        && t.chars().next().is_some_and(|c| c.is_ascii_digit())
        && parse_amount(token).is_some()
}

/// The value-column headings in the header text, in printed order: the
/// segmentation covering the most characters with headings the pattern
/// knows (each heading matched as a whole; of equal cover,
/// the fewest and longest headings), with the text no heading covers.
/// A name heading (项目) has an empty key: it marks where a side's columns
/// start; a code heading has the key [`LABEL`].
///
/// With `subtotals`, a piece that is a total word (合计, 小计: the `total`
/// line of `common.toml`) and no heading of the pattern is taken as a
/// sub-heading with the key [`SUBTOTAL`] (the total column of the group
/// heading above it in a multi-level header).
fn headings(
    text: &str,
    pattern: &TablePattern,
    common: &Common,
    subtotals: bool,
) -> (Vec<(String, String)>, String) {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    // best[i] = (covered characters, pieces) from i to the end, and the choice.
    let mut best: Vec<Best> = vec![(0, 0, None); n + 1];
    for i in (0..n).rev() {
        best[i] = (best[i + 1].0, best[i + 1].1, None);
        for j in (i + 1)..=(i + MAX_HEADING_CHARS).min(n) {
            let piece: String = chars[i..j].iter().collect();
            let whole = |any: &AnyOf| {
                any.0.iter().any(|re| {
                    re.find(&piece)
                        .is_some_and(|m| m.start() == 0 && m.end() == piece.len())
                })
            };
            let r = &common.roles;
            let key = pattern
                .columns
                .iter()
                .find(|c| c.matches(&piece) && whole(&c.header))
                .map(|c| c.key.clone())
                .or_else(|| whole(&r.name).then(String::new))
                .or_else(|| (subtotals && is_total_word(&piece, common)).then(|| SUBTOTAL.into()))
                .or_else(|| {
                    (piece.chars().count() >= 2
                        && [&r.code, &r.code_class, &r.code_section, &r.code_item]
                            .into_iter()
                            .any(whole))
                    .then(|| LABEL.to_string())
                });
            let Some(key) = key else {
                continue;
            };
            let covered = best[j].0 + (j - i);
            let pieces = best[j].1 + 1;
            if covered > best[i].0 || (covered == best[i].0 && pieces < best[i].1) {
                best[i] = (covered, pieces, Some((j, key)));
            }
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    // Characters that no heading covers, between two value headings (text
    // before a code or name heading belongs to it; text before the first
    // value heading is a caption or a group heading).
    let mut uncovered = String::new();
    let mut gap = String::new();
    let mut i = 0;
    while i < n {
        match best[i].2.clone() {
            Some((j, key)) => {
                let value = !key.is_empty() && key != LABEL;
                if value && out.last().is_some_and(|(k, _)| !k.is_empty() && k != LABEL) {
                    uncovered.push_str(&gap);
                }
                gap.clear();
                out.push((key, chars[i..j].iter().collect()));
                i = j;
            }
            None => {
                gap.push(chars[i]);
                i += 1;
            }
        }
    }
    (out, uncovered)
}

/// A total word (合计, 小计, 总计): the names of the common `total` line.
fn is_total_word(text: &str, common: &Common) -> bool {
    common
        .lines
        .iter()
        .any(|l| l.id == "total" && l.names.is_match(text))
}

/// The value columns of a multi-level header linearized line by line (the
/// 三公 table: "“三公”经费预算数 / 机关运行经费预算数 / 合计 因公出国(境)费
/// 公务接待费 公务用车购置及运行费 / 小计 购置费 运行费"), whose reading
/// order is not the columns' order: the layout of the pattern (its keys in
/// printed order) that the header names completely — every layout key named
/// by a heading, every other heading a total word (the 合计 or 小计 column
/// of the group above it), no text left uncovered. Of several, the one with
/// the most columns. Each column keeps the heading that named it.
fn layout_columns(
    text: &str,
    pattern: &TablePattern,
    common: &Common,
) -> Option<Vec<(String, String)>> {
    if pattern.layouts.is_empty() || !pattern.sides.is_empty() {
        return None;
    }
    let (headings, uncovered) = headings(text, pattern, common, true);
    if !uncovered.is_empty() {
        return None;
    }
    let values: Vec<&(String, String)> = headings
        .iter()
        .filter(|(k, _)| !k.is_empty() && k != LABEL)
        .collect();
    let layout = pattern
        .layouts
        .iter()
        .filter(|layout| {
            layout.iter().all(|k| values.iter().any(|(v, _)| v == k))
                && values
                    .iter()
                    .all(|(k, t)| layout.contains(k) || is_total_word(t, common))
        })
        .max_by_key(|layout| layout.len())?;
    Some(
        layout
            .iter()
            .filter_map(|k| {
                let named = || values.iter().filter(|(v, _)| v == k);
                named()
                    .find(|(_, t)| !is_total_word(t, common))
                    .or_else(|| named().next())
                    .map(|h| (*h).clone())
            })
            .collect(),
    )
}

/// The headings of each side: a two-sided table prints the income side's
/// columns first; the second side starts at its own name heading (项目), or
/// else at the first heading repeated.
fn split_sides(headings: &[(String, String)], sides: usize) -> Vec<Vec<(String, String)>> {
    if sides < 2 {
        return vec![dedupe(headings)];
    }
    let names: Vec<usize> = (0..headings.len())
        .filter(|&i| headings[i].0.is_empty())
        .collect();
    let split = names.get(1).copied().unwrap_or_else(|| {
        (1..headings.len())
            .find(|&i| headings[..i].iter().any(|(k, _)| *k == headings[i].0))
            .unwrap_or(headings.len().min(1))
    });
    vec![dedupe(&headings[..split]), dedupe(&headings[split..])]
}

/// Each key once; a generic heading (金额, 预算数) beside specific ones is
/// a group heading and dropped.
fn dedupe(headings: &[(String, String)]) -> Vec<(String, String)> {
    let mut keys: Vec<&str> = headings
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !k.is_empty() && *k != LABEL)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let generic = keys.len() > 1;
    let mut out: Vec<(String, String)> = Vec::new();
    for h in headings {
        let label = h.0.is_empty() || h.0 == LABEL;
        let drop = label || (generic && h.0 == "amount") || out.iter().any(|(k, _)| *k == h.0);
        if !drop {
            out.push(h.clone());
        }
    }
    out
}

/// The segments of a row by side: one segment of a two-sided table goes to
/// the side whose lines or names it reads as (支出 for expenditure).
fn assign_sides(
    segments: &[(String, Vec<String>)],
    sides: usize,
    pattern: &TablePattern,
) -> Vec<Option<(String, Vec<String>)>> {
    if sides < 2 || segments.len() >= 2 {
        return segments.iter().cloned().map(Some).collect();
    }
    let Some(seg) = segments.first() else {
        return Vec::new();
    };
    let label = squash(&seg.0);
    let expenditure = pattern
        .lines
        .iter()
        .any(|l| l.side == Some(crate::record::Side::Expenditure) && l.names.is_match(&label))
        || label.contains("支出");
    if expenditure {
        vec![None, Some(seg.clone())]
    } else {
        vec![Some(seg.clone()), None]
    }
}

/// Covered characters, pieces, and the heading taken (its end and key).
type Best = (usize, usize, Option<(usize, String)>);

/// A placement of each amount into a column slot.
type Placement = Vec<usize>;

/// Most partial sums kept while matching children to a parent.
const MAX_PARTIAL_SUMS: usize = 10_000;

/// Every order-keeping placement of `amounts` (in printed order) into the
/// columns `keys` that satisfies the column identities within rounding (an
/// absent column is zero) and puts the first amount under a leading 合计.
/// Rows of every table go through it, a one-row table's total row too.
fn candidates(amounts: &[String], keys: &[&str], identities: &[Identity]) -> Vec<Placement> {
    let values: Vec<(Decimal, Decimal)> = amounts
        .iter()
        .map(|a| (parse_amount(a).unwrap_or_default(), half_unit(a)))
        .collect();
    if amounts.len() > keys.len() {
        return Vec::new();
    }
    let mut all: Vec<Placement> = Vec::new();
    combinations(keys.len(), amounts.len(), 0, &mut Vec::new(), &mut all);
    all.retain(|slots| {
        if keys.first() == Some(&"total") && slots.first().is_some_and(|s| *s != 0) {
            return false;
        }
        identities.iter().all(|id| {
            let applies = keys.contains(&id.total.as_str())
                && id.requires.iter().all(|r| keys.contains(&r.as_str()))
                && id.parts.iter().any(|p| keys.contains(&p.as_str()));
            if !applies {
                return true;
            }
            // Within rounding: each printed term may be off by half a unit
            // of its last printed digit (as the checks allow).
            let (total, mut tolerance) = value_of(&id.total, keys, slots, &values);
            let mut sum = Decimal::ZERO;
            for p in &id.parts {
                let (v, t) = value_of(p, keys, slots, &values);
                sum += v;
                tolerance += t;
            }
            (total - sum).abs() <= tolerance
        })
    });
    all
}

/// The amount a placement puts under column `key` and half a unit of its
/// last printed digit (both zero when none).
fn value_of(
    key: &str,
    keys: &[&str],
    slots: &[usize],
    values: &[(Decimal, Decimal)],
) -> (Decimal, Decimal) {
    keys.iter()
        .position(|k| *k == key)
        .and_then(|c| slots.iter().position(|s| *s == c))
        .and_then(|a| values.get(a).copied())
        .unwrap_or_default()
}

/// The column of each amount that every remaining candidate agrees on, and
/// a note when some amount has none.
fn settle(
    amounts: &[String],
    keys: &[&str],
    candidates: &[Placement],
) -> (Vec<Option<usize>>, Option<String>) {
    let Some(first) = candidates.first() else {
        let note = (!amounts.is_empty()).then(|| {
            format!(
                "blank cells dropped: no placement of {} into {} satisfies the column identities; none placed",
                amounts.join(" "),
                keys.join(", ")
            )
        });
        return (vec![None; amounts.len()], note);
    };
    let slots: Vec<Option<usize>> = (0..amounts.len())
        .map(|a| {
            candidates
                .iter()
                .all(|c| c[a] == first[a])
                .then_some(first[a])
        })
        .collect();
    let open: Vec<String> = (0..amounts.len())
        .filter(|a| slots[*a].is_none())
        .map(|a| {
            let mut cols: Vec<&str> = candidates.iter().map(|c| keys[c[a]]).collect();
            cols.sort_unstable();
            cols.dedup();
            format!("{} is {}", amounts[a], cols.join(" or "))
        })
        .collect();
    let note = (!open.is_empty()).then(|| {
        format!(
            "blank cells dropped, column ambiguous: {}; left unplaced",
            open.join("; ")
        )
    });
    (slots, note)
}

/// Narrows the candidates of coded rows by the hierarchy: a parent's
/// amounts equal the sums of its children's, column by column, and the
/// total line the sum of the classes. Only placements that take part in
/// some consistent assignment of a parent and its children are kept.
fn resolve_by_hierarchy(
    rows: &mut [Vec<Option<Side>>],
    width: usize,
    pattern: &TablePattern,
    patterns: &TablePatterns,
) {
    let common = &patterns.common;
    let codes: Vec<Option<String>> = rows
        .iter()
        .map(|r| {
            let side = r.first()?.as_ref()?;
            let (code, name) = split_label(&side.label);
            if !code.is_empty() {
                return Some(code);
            }
            let stripped = strip_enumeration(&squash(&name), common);
            pattern
                .lines
                .iter()
                .chain(common.lines.iter())
                .any(|l| l.id.ends_with("total") && l.names.is_match(&stripped))
                .then(String::new)
        })
        .collect();
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for (p, code) in codes.iter().enumerate() {
        let Some(code) = code else { continue };
        let children: Vec<usize> = codes
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.as_deref().is_some_and(|c| {
                    if code.is_empty() {
                        c.len() == 3
                    } else {
                        c.len() == code.len() + 2 && c.starts_with(code.as_str())
                    }
                })
            })
            .map(|(i, _)| i)
            .collect();
        if !children.is_empty() {
            groups.push((p, children));
        }
    }
    let mut changed = true;
    while changed {
        changed = false;
        for (parent, children) in &groups {
            let members: Vec<usize> = std::iter::once(*parent)
                .chain(children.iter().copied())
                .collect();
            let sets: Vec<Vec<Vec<Decimal>>> = members
                .iter()
                .map(|&m| {
                    rows[m]
                        .first()
                        .and_then(Option::as_ref)
                        .map(|s| {
                            s.candidates
                                .iter()
                                .map(|c| columns_of(s, c, width))
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect();
            if sets.iter().any(Vec::is_empty) || sets.iter().all(|s| s.len() == 1) {
                continue;
            }
            let Some(keep) = consistent_choices(&sets) else {
                continue;
            };
            if keep.iter().all(|k| !k.iter().any(|x| *x)) {
                continue;
            }
            for (m, &row) in members.iter().enumerate() {
                if let Some(Some(side)) = rows[row].first_mut() {
                    let before = side.candidates.len();
                    let mut k = keep[m].iter();
                    side.candidates.retain(|_| *k.next().unwrap_or(&false));
                    changed |= side.candidates.len() != before;
                }
            }
        }
    }
}

/// Which candidate of each member (the parent first, then its children)
/// takes part in an assignment where the parent's columns equal the sums of
/// the children's. Partial sums of the children are built forwards and
/// backwards (a candidate is kept when some forward sum before it and some
/// backward sum after it complete the parent); `None` when no assignment is
/// consistent or the sums grow too many.
fn consistent_choices(sets: &[Vec<Vec<Decimal>>]) -> Option<Vec<Vec<bool>>> {
    use std::collections::HashSet;
    let (parent, children) = sets.split_first()?;
    let width = parent.first()?.len();
    let add = |a: &[Decimal], b: &[Decimal]| -> Vec<Decimal> {
        a.iter().zip(b).map(|(x, y)| *x + *y).collect()
    };
    let sub = |a: &[Decimal], b: &[Decimal]| -> Vec<Decimal> {
        a.iter().zip(b).map(|(x, y)| *x - *y).collect()
    };
    // Sums never exceed the largest parent amount of a column when every
    // amount is non-negative: prune those.
    let nonnegative = sets
        .iter()
        .flatten()
        .flatten()
        .all(|v| !v.is_sign_negative());
    let cap: Vec<Decimal> = (0..width)
        .map(|c| parent.iter().map(|p| p[c]).max().unwrap_or_default())
        .collect();
    let fits = |v: &[Decimal]| !nonnegative || v.iter().zip(&cap).all(|(x, m)| x <= m);
    let step = |from: &HashSet<Vec<Decimal>>, set: &Vec<Vec<Decimal>>| {
        let mut next = HashSet::new();
        for f in from {
            for c in set {
                let v = add(f, c);
                if fits(&v) {
                    next.insert(v);
                }
            }
        }
        next
    };
    let zero: HashSet<Vec<Decimal>> = std::iter::once(vec![Decimal::ZERO; width]).collect();
    let mut forward = vec![zero.clone()];
    for set in children {
        let next = step(forward.last()?, set);
        if next.len() > MAX_PARTIAL_SUMS {
            return None;
        }
        forward.push(next);
    }
    let mut backward = vec![zero];
    for set in children.iter().rev() {
        let next = step(backward.last()?, set);
        if next.len() > MAX_PARTIAL_SUMS {
            return None;
        }
        backward.push(next);
    }
    backward.reverse();
    let n = children.len();
    let mut keep: Vec<Vec<bool>> = sets.iter().map(|s| vec![false; s.len()]).collect();
    for (pi, p) in parent.iter().enumerate() {
        if !forward[n].contains(p) {
            continue;
        }
        keep[0][pi] = true;
        for (i, set) in children.iter().enumerate() {
            for (ci, c) in set.iter().enumerate() {
                let rest = sub(p, c);
                if forward[i]
                    .iter()
                    .any(|f| backward[i + 1].contains(&sub(&rest, f)))
                {
                    keep[i + 1][ci] = true;
                }
            }
        }
    }
    keep[0].iter().any(|k| *k).then_some(keep)
}

/// The amount of each column under a placement (zero where none).
fn columns_of(side: &Side, slots: &[usize], width: usize) -> Vec<Decimal> {
    let mut out = vec![Decimal::ZERO; width];
    for (a, s) in slots.iter().enumerate() {
        if let (Some(v), Some(o)) = (
            side.amounts.get(a).and_then(|t| parse_amount(t)),
            out.get_mut(*s),
        ) {
            *o = v;
        }
    }
    out
}

/// Every increasing choice of `k` slots out of `n`.
fn combinations(n: usize, k: usize, start: usize, cur: &mut Vec<usize>, out: &mut Vec<Placement>) {
    if cur.len() == k {
        out.push(cur.clone());
        return;
    }
    for s in start..n {
        if n - s < k - cur.len() {
            break;
        }
        cur.push(s);
        combinations(n, k, s + 1, cur, out);
        cur.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds_and_grids(text: &str) -> (Vec<Block>, Vec<RowNote>) {
        let patterns = crate::patterns::Patterns::bundled()
            .unwrap_or_else(|e| panic!("{e}"))
            .tables;
        let blocks = crate::decode::text::blocks_from_text(text);
        rebuild(&blocks, &patterns)
    }

    #[test]
    fn identities_place_dropped_blanks_and_ambiguity_is_noted() {
        let (blocks, notes) = kinds_and_grids(
            "2026年预算单位支出预算总表\n单位：元\n项目 支出预算\n功能分类科目编码\n功能分类科目名称 合计 基本支出 项目支出\n类款项\n\
             208 社会保障和就业支出 8,568,532 4,787,960 3,780,572\n2080501行政单位离退休 2,301,360 2,301,360\n合计 10 4 6\n",
        );
        let grid = blocks
            .iter()
            .find_map(|b| match b {
                Block::Grid(g) => Some(g),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no grid: {blocks:?}"));
        let texts: Vec<Vec<&str>> = grid
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(
            texts[0],
            ["科目编码", "科目名称", "合计", "基本支出", "项目支出"]
        );
        assert_eq!(
            texts[1],
            [
                "208",
                "社会保障和就业支出",
                "8,568,532",
                "4,787,960",
                "3,780,572"
            ]
        );
        // The total is certain; the second amount is basic or project.
        assert_eq!(texts[2], ["2080501", "行政单位离退休", "2,301,360", "", ""]);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].2.contains("basic or project"), "{notes:?}");
    }

    /// The 三公 header of the Shanghai template, linearized line by line
    /// (the 机关运行经费 heading wrapped, its last character on the next line).
    const THREE_PUBLIC: &str = "2026年单位“三公”经费和机关运行经费预算表\n编制单位：某单位 单位:万元\n\
        “三公”经费预算数\n机关运行经费预算\n数合计 因公出国(境)费 公务接待费公务用车购置及运行费\n小计 购置费 运行费\n";

    fn three_public_keys(patterns: &TablePatterns) -> (usize, Vec<String>) {
        let p = patterns
            .kinds
            .iter()
            .position(|t| t.kind == "budget_three_public")
            .unwrap_or_else(|| panic!("no budget_three_public pattern"));
        let keys = patterns.kinds[p].layouts[0].clone();
        (p, keys)
    }

    #[test]
    fn a_linearized_multi_level_header_takes_its_template_layout() {
        let patterns = crate::patterns::Patterns::bundled()
            .unwrap_or_else(|e| panic!("{e}"))
            .tables;
        let (p, _) = three_public_keys(&patterns);
        let pattern = &patterns.kinds[p];
        let keys = |text: &str| {
            layout_columns(&squash(text), pattern, &patterns.common)
                .map(|c| c.into_iter().map(|(k, _)| k).collect::<Vec<_>>())
        };
        let shanghai = "“三公”经费预算数机关运行经费预算数合计 因公出国(境)费 公务接待费公务用车购置及运行费小计 购置费 运行费";
        assert_eq!(
            keys(shanghai).as_deref(),
            Some(
                &[
                    "total",
                    "outbound",
                    "reception",
                    "vehicle_total",
                    "vehicle_purchase",
                    "vehicle_operation",
                    "operating_expenses"
                ]
                .map(String::from)[..]
            )
        );
        let jiangsu = "合计 “三公”经费 会议费 培训费 小计 因公出国(境)费 公务用车购置及运行维护费 公务接待费 小计 公务用车购置费 公务用车运行维护费";
        assert_eq!(
            keys(jiangsu).map(|k| k.len()),
            Some(9),
            "{:?}",
            keys(jiangsu)
        );
        // Text no heading covers, or a layout key not named: no layout.
        assert_eq!(keys(&shanghai.replace("小计", "其他费用小计")), None);
        assert_eq!(keys(&shanghai.replace("机关运行经费预算数", "")), None);
    }

    /// The grid row rebuilt from a one-row 三公 table and its note.
    fn three_public_row(amounts: &str) -> (Vec<String>, Vec<String>, Vec<RowNote>) {
        let (blocks, notes) = kinds_and_grids(&format!("{THREE_PUBLIC}{amounts}\n"));
        let grid = blocks
            .iter()
            .find_map(|b| match b {
                Block::Grid(g) => Some(g),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no grid: {blocks:?}"));
        let texts = |r: usize| grid.rows[r].iter().map(|c| c.text.clone()).collect();
        (texts(0), texts(1), notes)
    }

    #[test]
    fn a_one_row_table_places_what_the_identities_settle_and_notes_the_rest() {
        // 石泉路街道 2026: 7 columns, 5 amounts. 8.53 = 1.53 + 7 (合计 =
        // 出国 + 接待 + 用车) and 7 = 7 (小计 = 购置 + 运行) leave 1.53 出国 or
        // 接待 and the second 7 购置 or 运行.
        let (header, row, notes) = three_public_row("8.53 1.53 7 7 386.02");
        assert_eq!(
            header,
            [
                "科目编码",
                "科目名称",
                "“三公”经费预算数",
                "因公出国(境)费",
                "公务接待费",
                "公务用车购置及运行费",
                "购置费",
                "运行费",
                "机关运行经费预算数"
            ]
        );
        assert_eq!(row, ["", "", "8.53", "", "", "7", "", "", "386.02"]);
        assert_eq!(notes.len(), 1);
        let (kind, label, note) = &notes[0];
        assert_eq!((kind.as_str(), label.as_str()), ("budget_three_public", ""));
        assert!(
            note.contains("1.53 is outbound or reception")
                && note.contains("7 is vehicle_operation or vehicle_purchase"),
            "{note}"
        );
    }

    #[test]
    fn a_one_row_table_with_a_single_consistent_assignment_is_placed_whole() {
        // 10 = 2 + 3 + 5 and 5 = 1 + 4: only 机关运行经费 is blank.
        let (_, row, notes) = three_public_row("10 2 3 5 1 4");
        assert_eq!(row, ["", "", "10", "2", "3", "5", "1", "4", ""]);
        assert!(notes.is_empty(), "{notes:?}");
        // Within rounding: 10.01 万元 over parts adding up to 10.00 (four
        // printed terms of 0.005 each allow 0.02).
        let (_, row, notes) = three_public_row("10.01 2.00 3.00 5.00 1.00 4.00");
        assert_eq!(
            row,
            ["", "", "10.01", "2.00", "3.00", "5.00", "1.00", "4.00", ""]
        );
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn an_amount_that_breaks_every_identity_is_not_placed() {
        let keys = ["total", "basic", "project"];
        let ids = vec![Identity {
            total: "total".into(),
            parts: vec!["basic".into(), "project".into()],
            requires: Vec::new(),
        }];
        let amounts = vec!["10".to_string(), "3".to_string()];
        assert!(candidates(&amounts, &keys, &ids).is_empty());
        let amounts = vec!["10".to_string(), "3".to_string(), "7".to_string()];
        assert_eq!(candidates(&amounts, &keys, &ids), vec![vec![0, 1, 2]]);
        let amounts = vec!["10".to_string(), "10".to_string()];
        assert_eq!(candidates(&amounts, &keys, &ids).len(), 2);
    }
}
