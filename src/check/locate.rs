//! What makes a flag actionable, filled in once every check has run: each
//! location's page, the table's printed label and title, the row's printed
//! name, the column's printed header and the cell as printed; the flag's
//! pages and its snippet as printed in the file; the amounts in the unit
//! the document prints them in; a stable id; and one flag per root cause
//! (a cell that is in several failing relations carries them as `related`).

use std::collections::HashSet;

use rust_decimal::Decimal;

use super::find_table;
use super::text::Text;
use crate::record::{
    AmountUnit, Flag, Location, PrintedAmounts, Record, RelatedFlag, Row, Severity, Table,
};
use crate::text::{sha256_hex, squash};

/// Hex digits of a flag id.
const ID_HEX: usize = 16;

/// Fills in every flag's locations, pages, snippet, printed amounts and id,
/// then folds the flags one wrong cell explains into one.
pub fn finish(record: &Record, text: &Text, flags: &mut Vec<Flag>) {
    let mut ids = HashSet::new();
    for flag in flags.iter_mut() {
        for l in &mut flag.locations {
            locate(record, text, l);
        }
        let pages: Vec<u32> = flag.locations.iter().filter_map(|l| l.page).collect();
        for p in pages {
            if !flag.pages.contains(&p) {
                flag.pages.push(p);
            }
        }
        if flag.snippet.is_none() {
            flag.snippet = snippet(record, text, &flag.locations);
        }
        if flag.printed_unit.is_none() {
            flag.printed_unit = printed_amounts(record, flag);
        }
        flag.id = unique_id(&record.source.sha256, flag, &mut ids);
    }
    fold_root_causes(flags);
}

/// Marks the flags whose id is in `accepted` (findings a user reviewed).
pub fn accept(record: &mut Record, accepted: &HashSet<String>) {
    for f in &mut record.flags {
        f.accepted = accepted.contains(&f.id);
    }
}

fn unique_id(sha256: &str, flag: &Flag, seen: &mut HashSet<String>) -> String {
    let key = flag.locations.first().map_or_else(String::new, |l| {
        [&l.table, &l.row, &l.column, &l.section, &l.sentence]
            .iter()
            .map(|p| p.as_deref().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\u{1f}")
    });
    let mut n = 0u32;
    loop {
        let id = sha256_hex(format!("{sha256}\u{1e}{}\u{1e}{key}\u{1e}{n}", flag.check).as_bytes())
            [..ID_HEX]
            .to_string();
        if seen.insert(id.clone()) {
            return id;
        }
        n += 1;
    }
}

fn find_row<'a>(table: &'a Table, row: &str) -> Option<&'a Row> {
    table
        .rows
        .iter()
        .find(|r| r.code.as_deref() == Some(row))
        .or_else(|| table.rows.iter().find(|r| r.line.as_deref() == Some(row)))
        .or_else(|| table.rows.iter().find(|r| r.name.as_deref() == Some(row)))
}

fn locate(record: &Record, text: &Text, l: &mut Location) {
    if let Some(kind) = &l.table {
        if let Some(t) = find_table(&record.tables, kind) {
            l.label = l.label.take().or_else(|| t.label.clone());
            if l.title.is_none() && !t.title.is_empty() {
                l.title = Some(t.title.clone());
            }
            l.page = l.page.or_else(|| t.pages.first().copied());
            let row = l.row.as_deref().and_then(|r| find_row(t, r));
            if let Some(row) = row {
                l.row_name = l.row_name.take().or_else(|| row.name.clone());
            }
            if let Some(col) = &l.column {
                if let Some(c) = t.columns.iter().find(|c| &c.key == col) {
                    if l.column_header.is_none() && !c.header.is_empty() {
                        l.column_header = Some(c.header.clone());
                    }
                }
                if let Some(p) = row.and_then(|r| r.printed.get(col)) {
                    l.printed = Some(p.clone());
                }
            }
        }
    }
    if let Some(sentence) = &l.sentence {
        if l.page.is_none() {
            l.page = text
                .find(&squash(sentence))
                .and_then(|s| s.pages.first().copied());
        }
    }
}

/// The flag's text as printed: the first sentence it names, else the cells
/// of its first row ("行政运行 … 项目支出 1,234.56").
fn snippet(record: &Record, text: &Text, locations: &[Location]) -> Option<String> {
    if let Some(span) = locations
        .iter()
        .filter_map(|l| l.sentence.as_deref())
        .find_map(|s| text.find(&squash(s)))
    {
        return Some(span.printed);
    }
    let l = locations.iter().find(|l| l.table.is_some())?;
    let t = find_table(&record.tables, l.table.as_deref()?)?;
    let row = find_row(t, l.row.as_deref()?)?;
    let mut parts: Vec<String> = Vec::new();
    if let Some(code) = &row.code {
        parts.push(code.clone());
    }
    if let Some(name) = &row.name {
        parts.push(name.clone());
    }
    for c in &t.columns {
        if let Some(p) = row.printed.get(&c.key) {
            if row.side.is_none() || c.side.is_none() || c.side == row.side {
                parts.push(format!("{} {p}", c.header));
            }
        }
    }
    (!parts.is_empty()).then(|| parts.join(" | "))
}

/// The unit a flag's amounts are printed in, and the amounts in it: the
/// first table it names, else the narrative figure of its sentence.
fn printed_amounts(record: &Record, flag: &Flag) -> Option<PrintedAmounts> {
    // Relations between amounts state a difference; metadata flags (years,
    // names) carry no amounts.
    flag.difference.as_ref()?;
    let unit = flag
        .locations
        .iter()
        .filter_map(|l| l.table.as_deref())
        .filter_map(|k| find_table(&record.tables, k))
        .find_map(|t| t.amount_unit)
        .or_else(|| {
            let sentence = flag.locations.iter().find_map(|l| l.sentence.as_deref())?;
            record
                .narrative
                .iter()
                .filter(|f| f.sentence == sentence && f.amount_yuan.is_some())
                .find_map(|f| unit_of_printed(&f.printed))
        })?;
    let convert = |v: &Option<String>| -> Option<String> {
        let yuan: Decimal = v.as_deref()?.parse().ok()?;
        Some((yuan / unit.factor()).normalize().to_string())
    };
    Some(PrintedAmounts {
        unit: unit.name().to_string(),
        expected: convert(&flag.expected),
        found: convert(&flag.found),
        difference: convert(&flag.difference),
    })
}

/// The unit a printed amount ends in ("36.89万元"); none for 亿元 or none.
pub(crate) fn unit_of_printed(printed: &str) -> Option<AmountUnit> {
    if printed.contains('亿') {
        None
    } else if printed.contains('万') {
        Some(AmountUnit::TenThousandYuan)
    } else if printed.contains('千') {
        Some(AmountUnit::ThousandYuan)
    } else if printed.contains('元') {
        Some(AmountUnit::Yuan)
    } else {
        None
    }
}

/// A table cell a flag names.
fn cells(flag: &Flag) -> Vec<(String, String, String)> {
    flag.locations
        .iter()
        .filter_map(|l| Some((l.table.clone()?, l.row.clone()?, l.column.clone()?)))
        .collect()
}

/// One root cause, one flag: while some cell is in two or more failing
/// relations (warnings and errors between table cells), the first of them
/// keeps it and names the cell; the others become its `related` entries.
fn fold_root_causes(flags: &mut Vec<Flag>) {
    let eligible = |f: &Flag| f.severity >= Severity::Warning && f.difference.is_some();
    loop {
        let mut counts: Vec<((String, String, String), Vec<usize>)> = Vec::new();
        for (i, f) in flags.iter().enumerate().filter(|(_, f)| eligible(f)) {
            let mut mine = cells(f);
            mine.dedup();
            for c in mine {
                match counts.iter_mut().find(|(k, _)| *k == c) {
                    Some((_, v)) => {
                        if !v.contains(&i) {
                            v.push(i)
                        }
                    }
                    None => counts.push((c, vec![i])),
                }
            }
        }
        let Some((cell, members)) = counts
            .into_iter()
            .filter(|(_, v)| v.len() >= 2)
            .max_by_key(|(_, v)| (v.len(), std::cmp::Reverse(v[0])))
        else {
            return;
        };
        let primary = members[0];
        let mut related = Vec::new();
        for &i in members[1..].iter().rev() {
            let f = flags.remove(i);
            related.push(RelatedFlag {
                id: f.id,
                check: f.check,
                severity: f.severity,
                message: f.message,
            });
            related.extend(f.related);
        }
        related.reverse();
        let p = &mut flags[primary];
        let at = p
            .locations
            .iter()
            .find(|l| {
                l.table.as_deref() == Some(&cell.0)
                    && l.row.as_deref() == Some(&cell.1)
                    && l.column.as_deref() == Some(&cell.2)
            })
            .map(describe)
            .unwrap_or_default();
        p.severity = p.severity.max(
            related
                .iter()
                .map(|r| r.severity)
                .max()
                .unwrap_or(p.severity),
        );
        p.message = format!(
            "{} (one cell, {at}, is in all {} failing relations: the others are listed as related)",
            p.message,
            related.len() + 1
        );
        p.related.extend(related);
    }
}

/// A cell as a person finds it: label, title, row, column, printed value.
fn describe(l: &Location) -> String {
    let mut parts = Vec::new();
    if let Some(x) = l.label.as_ref().or(l.title.as_ref()) {
        parts.push(x.clone());
    }
    if let Some(r) = l.row_name.as_ref().or(l.row.as_ref()) {
        parts.push(r.clone());
    }
    if let Some(c) = l.column_header.as_ref().or(l.column.as_ref()) {
        parts.push(c.clone());
    }
    if let Some(p) = &l.printed {
        parts.push(format!("printed {p}"));
    }
    parts.join(" ")
}
