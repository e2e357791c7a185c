//! Consistency checks: relations between the cells of a record, declared
//! as data in `patterns/checks/`, plus metadata checks (years, unit names,
//! required tables). Each finding is a [`Flag`] about the document.
//!
//! Tolerance: every printed amount was rounded to its last printed digit, so
//! a relation over n printed terms may be off by up to the sum of their
//! half-units (0.005 万元 = 50 元 per term in a 万元 table). A difference
//! within that is an `info` flag (a rounding slip); beyond it, a `warning`
//! when it is under 1% and under 10,000 元, else an `error`. Relations marked
//! `cap = "warning"` (true for most units, not by definition) never raise
//! more than a warning. Every message says which rule decided.

pub mod items;
pub mod locate;
pub mod meta;
pub mod narrative;
pub mod read;
pub mod text;
pub mod wording;

pub use text::Text;

use rust_decimal::Decimal;

use crate::record::{AmountUnit, Flag, Level, Location, Record, Row, Severity, Side, Table};

use crate::patterns::checks::{table_and_side, ColumnSum, EachCode, Equal, Reference, RowSel};
use crate::patterns::Patterns;

/// Differences at or under this share of the larger amount (and under
/// [`WARNING_MAX_YUAN`]) are warnings, larger ones errors.
const WARNING_MAX_SHARE: Decimal = Decimal::from_parts(1, 0, 0, false, 2);
/// Differences over this many yuan are errors whatever their share.
const WARNING_MAX_YUAN: Decimal = Decimal::from_parts(10000, 0, 0, false, 0);

/// Runs every check on a record and the document's running text (an empty
/// [`Text`] when only the record is at hand: the wording checks then find
/// nothing) and returns its flags (metadata first, then the relations in
/// the order they are declared, then the wording), each located on its page
/// and quoted as printed, one per root cause.
pub fn run(record: &Record, text: &Text, patterns: &Patterns) -> Vec<Flag> {
    let (checks, families) = (&patterns.checks, &patterns.families);
    let mut flags = meta::check(record, families);
    flags.extend(meta::unit_cross_check(record));
    let tables = &record.tables;
    for rule in &checks.column_sum {
        column_sum(tables, rule, &mut flags);
    }
    for rule in &checks.hierarchy {
        for kind in &rule.tables {
            if let Some(t) = find_table(tables, kind) {
                hierarchy(t, &rule.id, &mut flags);
            }
        }
    }
    for rule in &checks.equal {
        equal(tables, rule, &mut flags);
    }
    for rule in &checks.each_code {
        each_code(tables, rule, &mut flags);
    }
    narrative::check(record, checks, &mut flags);
    wording::check(record, text, patterns, &mut flags);
    items::check(record, text, checks, &mut flags);
    locate::finish(record, text, &mut flags);
    flags
}

/// A difference beyond rounding: a warning when under 1% of `scale` and
/// under 10,000 元, else an error.
pub(crate) fn material(diff: Decimal, scale: Decimal) -> Severity {
    if diff.abs() <= scale * WARNING_MAX_SHARE && diff.abs() <= WARNING_MAX_YUAN {
        Severity::Warning
    } else {
        Severity::Error
    }
}

/// Half a unit of the last printed digit of an amount, in its printed unit
/// ("8.53" → 0.005, "7" → 0.5): how far the printed value may be from the
/// value it was rounded from. The tolerance every check allows per term, and
/// what rebuilding a collapsed text table may rely on.
pub fn printed_half_unit(printed: &str) -> Decimal {
    let decimals = printed.split_once('.').map_or(0, |(_, f)| {
        f.chars().take_while(char::is_ascii_digit).count()
    });
    Decimal::new(5, decimals as u32 + 1)
}

/// The first non-empty table of a kind (or the first of that kind).
pub fn find_table<'a>(tables: &'a [Table], kind: &str) -> Option<&'a Table> {
    tables
        .iter()
        .filter(|t| t.kind == kind)
        .find(|t| !t.empty)
        .or_else(|| tables.iter().find(|t| t.kind == kind))
}

/// One resolved cell.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub(crate) location: Location,
    pub(crate) value: Option<Decimal>,
    pub(crate) half_unit: Decimal,
    /// The label of the row an "of which" row is part of.
    pub(crate) sub_of: Option<String>,
    /// The row's amounts could not all be placed (see `Row::note`).
    pub(crate) unsettled: bool,
}

/// Row names compared without enumeration prefixes, brackets' width or a
/// trailing 支出 ("对个人和家庭的补助支出" is the row "对个人和家庭的补助").
fn names_match(row: Option<&str>, name: &str) -> bool {
    fn core(s: &str) -> String {
        let s = crate::text::squash(s);
        let s = s.trim_start_matches(|c: char| {
            c.is_ascii_digit() || "一二三四五六七八九十、.()".contains(c)
        });
        s.strip_suffix("支出").unwrap_or(s).to_string()
    }
    row.is_some_and(|r| {
        let (a, b) = (core(r), core(name));
        !a.is_empty() && a == b
    })
}

/// Half a unit of the last printed digit, in yuan.
pub(crate) fn half_unit(row: &Row, column: &str, unit: Option<AmountUnit>) -> Decimal {
    if row.counts.iter().any(|c| c == column) {
        return Decimal::ZERO;
    }
    let printed = row.printed.get(column).map_or("", String::as_str);
    printed_half_unit(printed) * unit.unwrap_or(AmountUnit::Yuan).factor()
}

fn row_label(row: &Row) -> String {
    row.code
        .clone()
        .or_else(|| row.line.clone())
        .or_else(|| row.name.clone())
        .unwrap_or_default()
}

fn location(table: &Table, row: Option<&Row>, column: &str) -> Location {
    Location {
        table: Some(table.kind.clone()),
        row: row.map(row_label),
        column: Some(column.to_string()),
        ..Location::default()
    }
}

fn cell(table: &Table, row: &Row, column: &str) -> Cell {
    Cell {
        location: location(table, Some(row), column),
        value: row.values.get(column).copied(),
        half_unit: half_unit(row, column, table.amount_unit),
        sub_of: row.sub_of.clone(),
        unsettled: row.note.is_some(),
    }
}

/// Resolves a reference; `None` when its table is absent or does not print
/// that column (the relation does not apply to this layout).
pub(crate) fn resolve(tables: &[Table], r: &Reference) -> Option<Vec<Cell>> {
    let table = find_table(tables, &r.table)?;
    // A column printed only on the other side of a two-sided table is not
    // printed on this one.
    let printed = table
        .columns
        .iter()
        .any(|c| c.key == r.column && (r.side.is_none() || c.side.is_none() || c.side == r.side));
    if !table.empty && !printed {
        return None;
    }
    let rows: Vec<&Row> = table
        .rows
        .iter()
        .filter(|row| r.side.is_none() || row.side == r.side)
        .collect();
    let selected: Vec<&Row> = match &r.rows {
        RowSel::Line(id) => {
            // A line printed in several side-by-side blocks (支出合计 under
            // both expenditure blocks) is the one that holds the amount.
            let named: Vec<&Row> = rows
                .iter()
                .copied()
                .filter(|row| row.line.as_deref() == Some(id.as_str()))
                .collect();
            named
                .iter()
                .copied()
                .find(|row| row.values.contains_key(&r.column))
                .or_else(|| named.first().copied())
                .into_iter()
                .collect()
        }
        RowSel::Code(c) => rows
            .iter()
            .copied()
            .filter(|row| row.code.as_deref() == Some(c.as_str()))
            .take(1)
            .collect(),
        RowSel::Index(n) => rows.get(*n).copied().into_iter().collect(),
        RowSel::Level(level) => rows
            .iter()
            .copied()
            .filter(|row| row.level == Some(*level))
            .collect(),
        RowSel::Name(name) => {
            // A name that matches no row is not a finding: the relation does not apply.
            let row = rows
                .iter()
                .copied()
                .find(|row| names_match(row.name.as_deref(), name))?;
            vec![row]
        }
    };
    if selected.is_empty() {
        let mut loc = location(table, None, &r.column);
        loc.row = Some(match &r.rows {
            RowSel::Line(id) => id.clone(),
            RowSel::Code(c) => c.clone(),
            RowSel::Index(n) => format!("row {n}"),
            RowSel::Level(l) => format!("{l:?}").to_lowercase(),
            RowSel::Name(n) => n.clone(),
        });
        return Some(vec![Cell {
            location: loc,
            value: None,
            half_unit: Decimal::ZERO,
            sub_of: None,
            unsettled: false,
        }]);
    }
    Some(
        selected
            .into_iter()
            .map(|row| cell(table, row, &r.column))
            .collect(),
    )
}

/// A side of a relation: the sum, its tolerance, whether anything was printed.
#[derive(Debug, Default)]
pub(crate) struct Sum {
    pub(crate) total: Decimal,
    pub(crate) tolerance: Decimal,
    pub(crate) any: bool,
    pub(crate) cells: Vec<Location>,
    pub(crate) terms: usize,
}

impl Sum {
    /// One printed value with its rounding allowance.
    pub(crate) fn single(total: Decimal, tolerance: Decimal) -> Sum {
        Sum {
            total,
            tolerance,
            any: true,
            cells: Vec::new(),
            terms: 1,
        }
    }

    pub(crate) fn add(&mut self, c: &Cell, negative: bool) {
        if let Some(v) = c.value {
            self.total += if negative { -v } else { v };
            self.tolerance += c.half_unit;
            self.any = true;
            self.terms += 1;
        }
        self.cells.push(c.location.clone());
    }
}

/// Compares two sums and pushes a flag when they differ.
#[allow(clippy::too_many_arguments)]
fn compare(
    id: &str,
    what: &str,
    found: &Sum,
    expected: &Sum,
    cap: Option<Severity>,
    locations: Vec<Location>,
    flags: &mut Vec<Flag>,
) {
    if !found.any && !expected.any {
        return;
    }
    let diff = found.total - expected.total;
    if diff.is_zero() {
        return;
    }
    let tolerance = found.tolerance + expected.tolerance;
    let scale = found.total.abs().max(expected.total.abs());
    let (mut severity, rule) = if diff.abs() <= tolerance {
        (
            Severity::Info,
            format!("rounding: |difference| {} ≤ tolerance {} ({} printed terms × half a unit of the last digit)", diff.abs().normalize(), tolerance.normalize(), found.terms + expected.terms),
        )
    } else if material(diff, scale) == Severity::Warning {
        (
            Severity::Warning,
            format!(
                "beyond rounding tolerance {} but under 1% and under 10000 元",
                tolerance.normalize()
            ),
        )
    } else {
        (
            Severity::Error,
            format!(
                "beyond rounding tolerance {} and over 1% or 10000 元",
                tolerance.normalize()
            ),
        )
    };
    if let Some(cap) = cap {
        if severity > cap {
            severity = cap;
        }
    }
    let message = format!(
        "{what}: printed {} but the relation gives {} — {rule}",
        found.total.normalize(),
        expected.total.normalize()
    );
    flags.push(Flag {
        locations,
        expected: Some(expected.total.normalize().to_string()),
        found: Some(found.total.normalize().to_string()),
        difference: Some(diff.normalize().to_string()),
        ..Flag::new(id, severity, message)
    });
}

fn column_sum(tables: &[Table], rule: &ColumnSum, flags: &mut Vec<Flag>) {
    let Some(table) = find_table(tables, &rule.table) else {
        return;
    };
    // A layout that prints the total but none of the parts (or no total)
    // does not state the relation.
    let printed = |key: &str| table.columns.iter().any(|c| c.key == key);
    let part_printed = rule
        .parts
        .iter()
        .any(|p| printed(p.strip_prefix('-').unwrap_or(p)));
    if !printed(&rule.total) || !part_printed || !rule.requires.iter().all(|k| printed(k)) {
        return;
    }
    // A row whose amounts could not all be placed states no relation.
    for row in table.rows.iter().filter(|r| r.note.is_none()) {
        let mut found = Sum::default();
        found.add(&cell(table, row, &rule.total), false);
        let mut expected = Sum::default();
        for part in &rule.parts {
            let (neg, key) = match part.strip_prefix('-') {
                Some(k) => (true, k),
                None => (false, part.as_str()),
            };
            expected.add(&cell(table, row, key), neg);
        }
        let mut locations = found.cells.clone();
        locations.extend(
            expected
                .cells
                .iter()
                .filter(|l| row.values.contains_key(l.column.as_deref().unwrap_or("")))
                .cloned(),
        );
        let what = format!(
            "{} row {}: {} vs {}",
            table.kind,
            row_label(row),
            rule.total,
            rule.parts.join(" + ").replace("+ -", "- ")
        );
        compare(
            &rule.id, &what, &found, &expected, rule.cap, locations, flags,
        );
    }
}

fn hierarchy(table: &Table, id: &str, flags: &mut Vec<Flag>) {
    let mut columns: Vec<&str> = Vec::new();
    for c in &table.columns {
        if !columns.contains(&c.key.as_str()) {
            columns.push(c.key.as_str());
        }
    }
    let coded: Vec<&Row> = table.rows.iter().filter(|r| r.code.is_some()).collect();
    let mut check_group = |parent: Option<&Row>, children: Vec<&Row>, label: String| {
        // Rows whose amounts could not all be placed state no sum.
        if children.is_empty()
            || parent.is_some_and(|p| p.note.is_some())
            || children.iter().any(|c| c.note.is_some())
        {
            return;
        }
        for col in &columns {
            let mut found = Sum::default();
            let mut locations = Vec::new();
            match parent {
                Some(p) => {
                    let c = cell(table, p, col);
                    found.add(&c, false);
                    locations.push(c.location);
                }
                None => continue,
            }
            let mut expected = Sum::default();
            for child in &children {
                let c = cell(table, child, col);
                if c.value.is_some() {
                    locations.push(c.location.clone());
                }
                expected.add(&c, false);
            }
            let what = format!(
                "{} {label} {col} vs the sum of its {} rows below",
                table.kind,
                children.len()
            );
            compare(id, &what, &found, &expected, None, locations, flags);
        }
    };
    for parent in &coded {
        let Some(code) = parent.code.as_deref() else {
            continue;
        };
        let child_level = match parent.level {
            Some(Level::Class) => Level::Section,
            Some(Level::Section) => Level::Item,
            _ => continue,
        };
        let children: Vec<&Row> = coded
            .iter()
            .copied()
            .filter(|r| r.level == Some(child_level) && r.parent.as_deref() == Some(code))
            .collect();
        let label = format!("{code} {}", parent.name.clone().unwrap_or_default());
        check_group(Some(parent), children, label);
    }
    // The total line is the sum of the classes.
    if let Some(total) = table
        .rows
        .iter()
        .find(|r| matches!(r.line.as_deref(), Some("total" | "grand_total")) && r.side.is_none())
    {
        let classes: Vec<&Row> = coded
            .iter()
            .copied()
            .filter(|r| r.level == Some(Level::Class))
            .collect();
        // Tables that split classes over named sub-totals (personnel/public) are checked by their own rules.
        if table
            .rows
            .iter()
            .all(|r| !matches!(r.line.as_deref(), Some("personnel_total" | "public_total")))
        {
            check_group(Some(total), classes, "total".to_string());
        }
    }
}

fn equal(tables: &[Table], rule: &Equal, flags: &mut Vec<Flag>) {
    let columns = if rule.each_column.is_empty() {
        vec![String::new()]
    } else {
        rule.each_column.clone()
    };
    'col: for col in columns {
        let mut sums = [Sum::default(), Sum::default()];
        let mut any_right_row = false;
        for (i, side) in [&rule.left, &rule.right].into_iter().enumerate() {
            let mut terms = Vec::new();
            for term in side {
                let Ok(r) = Reference::parse(&term.replace("{column}", &col)) else {
                    continue 'col;
                };
                let Some(cells) = resolve(tables, &r) else {
                    continue 'col;
                };
                terms.extend(cells.into_iter().map(|c| (c, r.negative)));
            }
            // A row whose amounts could not all be placed states no relation.
            if terms.iter().any(|(c, _)| c.unsettled) {
                continue 'col;
            }
            // An "of which" row is already counted in the row it is part of.
            let counted = |c: &Cell| {
                c.sub_of.as_ref().is_none_or(|of| {
                    !terms.iter().any(|(o, _)| {
                        o.location.table == c.location.table && o.location.row.as_ref() == Some(of)
                    })
                })
            };
            let kept: Vec<&(Cell, bool)> = terms.iter().filter(|(c, _)| counted(c)).collect();
            for (c, negative) in kept {
                if i == 1 && c.location.row.is_some() {
                    any_right_row |= c.value.is_some();
                }
                sums[i].add(c, *negative);
            }
        }
        if (rule.skip_if_parts_absent && !any_right_row)
            || (rule.skip_if_left_absent && !sums[0].any)
        {
            continue;
        }
        let [found, expected] = sums;
        if rule.at_most && found.total <= expected.total + found.tolerance + expected.tolerance {
            continue;
        }
        let mut locations: Vec<Location> = found.cells.clone();
        locations.extend(expected.cells.iter().cloned());
        let what = format!(
            "{}{}{}",
            rule.id,
            if col.is_empty() {
                String::new()
            } else {
                format!(" [{col}]")
            },
            if rule.at_most {
                " (may not exceed the right-hand side)"
            } else {
                ""
            }
        );
        compare(
            &rule.id, &what, &found, &expected, rule.cap, locations, flags,
        );
    }
}

fn each_code(tables: &[Table], rule: &EachCode, flags: &mut Vec<Flag>) {
    let parse = |s: &str| -> Option<(String, Option<Side>, String)> {
        let (t, c) = s.split_once(' ')?;
        let (table, side) = table_and_side(t).ok()?;
        Some((table, side, c.trim().to_string()))
    };
    let (Some(l), Some(r)) = (parse(&rule.left), parse(&rule.right)) else {
        return;
    };
    let (Some(lt), Some(rt)) = (find_table(tables, &l.0), find_table(tables, &r.0)) else {
        return;
    };
    let codes_of = |t: &Table, side: Option<Side>| -> Vec<String> {
        t.rows
            .iter()
            .filter(|row| (side.is_none() || row.side == side) && row.level == Some(rule.level))
            .filter_map(|row| row.code.clone())
            .collect()
    };
    let mut codes = codes_of(lt, l.1);
    for c in codes_of(rt, r.1) {
        if !codes.contains(&c) {
            codes.push(c);
        }
    }
    for code in codes {
        let mk = |kind: &str, side: Option<Side>, col: &str| Reference {
            negative: false,
            table: kind.to_string(),
            side,
            rows: RowSel::Code(code.clone()),
            column: col.to_string(),
        };
        let (Some(lc), Some(rc)) = (
            resolve(tables, &mk(&l.0, l.1, &l.2)),
            resolve(tables, &mk(&r.0, r.1, &r.2)),
        ) else {
            continue;
        };
        let mut found = Sum::default();
        lc.iter().for_each(|c| found.add(c, false));
        let mut expected = Sum::default();
        rc.iter().for_each(|c| expected.add(c, false));
        let mut locations = found.cells.clone();
        locations.extend(expected.cells.iter().cloned());
        let what = format!("class {code}: {} {} vs {} {}", l.0, l.2, r.0, r.2);
        compare(
            &rule.id, &what, &found, &expected, rule.cap, locations, flags,
        );
    }
}
