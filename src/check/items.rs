//! The narrative's statements about one functional-classification item
//! ("“一般公共服务支出(类)-统计信息事务(款)-统计管理(项)”2026年度预算0.12万元",
//! "医疗卫生与计划生育支出（210类）行政事业单位医疗（11款）行政单位医疗（01项）114.97万元")
//! against the table row of that item: the amount it opens with, and the
//! 类/款/项 names against the names the table prints for the same codes.
//! The statement shapes are data (`[[item_statement]]` in
//! `patterns/checks/text.toml`).

use rust_decimal::Decimal;

use super::locate::unit_of_printed;
use super::text::Text;
use super::{half_unit, material, printed_half_unit};
use crate::patterns::checks::{CheckSet, ItemStatement};
use crate::record::{AmountUnit, Flag, Level, Location, Record, Row, Severity, Table};
use crate::text::squash;

/// One statement read from the text.
struct Statement {
    class: String,
    section: String,
    item: String,
    code: Option<String>,
    amount: Option<(Decimal, Decimal, String)>,
    start: usize,
    end: usize,
}

/// Runs the item checks.
pub fn check(record: &Record, text: &Text, set: &CheckSet, flags: &mut Vec<Flag>) {
    let Some(kind) = record.document.kind else {
        return;
    };
    for rule in set
        .item_statement
        .iter()
        .filter(|r| r.documents.contains(&kind))
    {
        let tables: Vec<&Table> = rule
            .tables
            .iter()
            .filter_map(|k| record.tables.iter().find(|t| &t.kind == k && !t.empty))
            .collect();
        if tables.is_empty() {
            continue;
        }
        for s in statements(rule, text) {
            one(rule, &tables, &s, text, flags);
        }
    }
}

fn clean(name: &str) -> String {
    let s = squash(name).replace("其它", "其他");
    // An enumeration before the name ("(一)", "1.", "11、").
    let s = s
        .strip_prefix('(')
        .and_then(|r| r.split_once(')'))
        .filter(|(n, _)| n.chars().all(|c| "一二三四五六七八九十".contains(c)))
        .map_or(s.as_str(), |(_, rest)| rest);
    s.trim_matches(|c: char| "“”\"'-—－:：、,，.0123456789".contains(c))
        .to_string()
}

fn statements(rule: &ItemStatement, text: &Text) -> Vec<Statement> {
    let stream = text.stream();
    let mut out = Vec::new();
    for c in rule.chain.captures_iter(stream) {
        let (Some(class), Some(section), Some(item), Some(whole)) =
            (c.name("class"), c.name("section"), c.name("item"), c.get(0))
        else {
            continue;
        };
        let code = match (
            c.name("class_code"),
            c.name("section_code"),
            c.name("item_code"),
        ) {
            (Some(a), Some(b), Some(i)) => {
                Some(format!("{}{}{}", a.as_str(), b.as_str(), i.as_str()))
            }
            _ => None,
        };
        let rest = &stream[whole.end()..];
        let amount = rule.amount.captures(rest).and_then(|a| {
            let number = a.name("amount")?.as_str();
            let unit = a.name("unit").map_or("元", |u| u.as_str());
            let factor = unit_of_printed(unit).map_or(Decimal::ONE, AmountUnit::factor);
            let value: Decimal = number.replace(',', "").parse().ok()?;
            Some((
                value * factor,
                printed_half_unit(number) * factor,
                format!("{number}{unit}"),
            ))
        });
        out.push(Statement {
            class: clean(class.as_str()),
            section: clean(section.as_str()),
            item: clean(item.as_str()),
            code,
            amount,
            start: text.char_at(whole.start()),
            end: text.char_at(whole.end()),
        });
    }
    out
}

fn row<'a>(t: &'a Table, code: &str) -> Option<&'a Row> {
    t.rows.iter().find(|r| r.code.as_deref() == Some(code))
}

fn name_of(t: &Table, code: &str) -> Option<String> {
    row(t, code).and_then(|r| r.name.as_deref()).map(clean)
}

/// The item's code in a table: the printed code, else the item row whose
/// name and whose 款's and 类's names are the statement's.
fn resolve(t: &Table, s: &Statement) -> Option<String> {
    if let Some(code) = &s.code {
        return row(t, code).map(|_| code.clone());
    }
    t.rows
        .iter()
        .filter(|r| r.level == Some(Level::Item))
        .filter(|r| r.name.as_deref().map(clean).as_deref() == Some(s.item.as_str()))
        .filter_map(|r| r.code.clone())
        .filter(|code| {
            code.len() == 7 && name_of(t, &code[..5]).as_deref() == Some(s.section.as_str())
        })
        // The class name breaks a tie (it may be an old name, which is
        // `text.outdated_name`'s finding, not this one's).
        .max_by_key(|code| {
            name_of(t, &code[..3]).is_some_and(|c| c.contains(&s.class) || s.class.contains(&c))
        })
}

/// The first of `columns` the row prints: its key and value.
fn value<'a>(row: &Row, columns: &'a [String]) -> Option<(&'a str, Decimal)> {
    columns
        .iter()
        .find_map(|c| row.values.get(c).map(|v| (c.as_str(), *v)))
}

fn one(rule: &ItemStatement, tables: &[&Table], s: &Statement, text: &Text, flags: &mut Vec<Flag>) {
    let span = text.sentence_around(s.start, s.end);
    let sentence = text.normalized(span.start, span.end).to_string();
    let at = |table: &Table, code: &str| Location {
        table: Some(table.kind.clone()),
        row: Some(code.to_string()),
        column: None,
        ..Location::default()
    };
    let narrative_location = Location {
        sentence: Some(sentence.clone()),
        page: span.pages.first().copied(),
        ..Location::default()
    };
    let mk = |check: &str, severity: Severity, message: String, mut locations: Vec<Location>| {
        locations.insert(0, narrative_location.clone());
        Flag {
            locations,
            pages: span.pages.clone(),
            snippet: Some(span.printed.clone()),
            ..Flag::new(check, severity, message)
        }
    };
    let resolved: Vec<(&Table, String)> = tables
        .iter()
        .filter_map(|t| resolve(t, s).map(|c| (*t, c)))
        .collect();
    let Some((first, code)) = resolved.first().cloned() else {
        // A named chain no table prints, while the tables print items.
        let printed_items = tables
            .iter()
            .any(|t| t.rows.iter().any(|r| r.level == Some(Level::Item)));
        if printed_items && s.code.is_none() {
            flags.push(mk(
                "narrative.item_not_in_table",
                Severity::Warning,
                format!(
                    "the narrative speaks of {}(类)-{}(款)-{}(项); no row of {} has that item under that 款 and 类",
                    s.class,
                    s.section,
                    s.item,
                    tables
                        .iter()
                        .map(|t| t.label.clone().unwrap_or_else(|| t.title.clone()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Vec::new(),
            ));
        }
        return;
    };
    // Names printed with codes: the 款 and 项 against the table's names (a
    // class name of another year is `text.outdated_name`'s finding).
    if s.code.is_some() {
        for (len, name, level) in [(5, &s.section, "款"), (7, &s.item, "项")] {
            let Some(table_name) = name_of(first, &code[..len]) else {
                continue;
            };
            if &table_name != name {
                flags.push(mk(
                    "narrative.item_name",
                    Severity::Warning,
                    format!(
                        "the narrative names {} ({level}) “{name}”; {} names it “{table_name}”",
                        &code[..len],
                        first.label.clone().unwrap_or_else(|| first.title.clone())
                    ),
                    vec![at(first, &code[..len])],
                ));
            }
        }
    }
    let Some((amount, half, printed)) = &s.amount else {
        return;
    };
    // The cell of the table whose figure is nearest the narrative's.
    let mut nearest: Option<(Decimal, &Table, &str, &str)> = None;
    for (t, code) in &resolved {
        let Some(r) = row(t, code) else { continue };
        let Some((column, v)) = value(r, &rule.columns) else {
            continue;
        };
        if (v - amount).abs() <= *half + half_unit(r, column, t.amount_unit) {
            return;
        }
        if nearest
            .as_ref()
            .is_none_or(|(n, ..)| (v - amount).abs() < (*n - amount).abs())
        {
            nearest = Some((v, t, code.as_str(), column));
        }
    }
    let Some((v, t, code, column)) = nearest else {
        return;
    };
    let cell = row(t, code)
        .and_then(|r| r.printed.get(column))
        .cloned()
        .unwrap_or_default();
    let diff = amount - v;
    let severity = if diff.abs() <= *half * Decimal::from(3) {
        // Within one unit of the narrative's last digit beyond rounding:
        // truncated instead of rounded.
        Severity::Info
    } else {
        material(diff, amount.abs().max(v.abs()))
    };
    let label = t.label.clone().unwrap_or_else(|| t.title.clone());
    let location = Location {
        column: Some(column.to_string()),
        ..at(t, code)
    };
    flags.push(Flag {
        expected: Some(v.normalize().to_string()),
        found: Some(amount.normalize().to_string()),
        difference: Some(diff.normalize().to_string()),
        ..mk(
            "narrative.item_amount",
            severity,
            format!(
                "{}(项) {code}: the narrative states {printed}, {label} prints {cell} for that row ({} 元 against {} 元); no table of the document prints the narrative's figure",
                s.item,
                amount.normalize(),
                v.normalize()
            ),
            vec![location],
        )
    });
}
