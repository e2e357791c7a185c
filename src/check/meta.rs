//! Metadata checks: the year and unit name printed on each table against the
//! document's, the amount unit, required tables present.

use rust_decimal::Decimal;

use crate::patterns::Families;
use crate::record::{AmountUnit, Flag, Location, Record, Severity, UnitSource, UNRECOGNIZED};
use crate::text::squash;

/// Fewest significant digits an amount needs before a ×10⁴ match with
/// another is taken as a unit misread rather than a coincidence (100 元 and
/// 1,000,000 元 match by chance; 4,815.27 and 48,152,700.00 do not).
const UNIT_CHECK_MIN_DIGITS: u32 = 4;

fn significant_digits(v: Decimal) -> u32 {
    let digits = v.abs().normalize().mantissa().to_string();
    digits.trim_end_matches('0').len() as u32
}

/// The unit cross-check: a table's largest amount that is exactly 10⁴ or
/// 10³ times (or a 10⁴th, a 10³th of) another table's largest amount or a
/// narrative figure is one quantity read in two units: a unit misread (ours)
/// or misprinted (the document's). The flag names both.
pub fn unit_cross_check(record: &Record) -> Vec<Flag> {
    let mut flags = Vec::new();
    let tables: Vec<(usize, Decimal)> = record
        .tables
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind != UNRECOGNIZED)
        .filter_map(|(i, t)| t.largest_amount().map(|v| (i, v)))
        .filter(|(_, v)| significant_digits(*v) >= UNIT_CHECK_MIN_DIGITS)
        .collect();
    let factors = [Decimal::from(10_000), Decimal::from(1_000)];
    let mut seen = std::collections::BTreeSet::new();
    for &(i, v) in &tables {
        let t = &record.tables[i];
        for f in factors {
            for &(j, w) in &tables {
                if i != j && v * f == w && seen.insert((i.min(j), i.max(j))) {
                    let u = &record.tables[j];
                    let message = format!(
                        "the largest amount of {} ({}), {v} 元, is 1/{f} of the largest of {} ({}), {w} 元: one quantity read in two units (amount units {} and {})",
                        t.title,
                        t.kind,
                        u.title,
                        u.kind,
                        t.amount_unit.map_or("none", AmountUnit::name),
                        u.amount_unit.map_or("none", AmountUnit::name),
                    );
                    flags.push(Flag {
                        locations: vec![
                            Location {
                                table: Some(t.kind.clone()),
                                ..Location::default()
                            },
                            Location {
                                table: Some(u.kind.clone()),
                                ..Location::default()
                            },
                        ],
                        expected: Some(w.to_string()),
                        found: Some(v.to_string()),
                        ..Flag::new("meta.amount_unit_mismatch", Severity::Warning, message)
                    });
                }
            }
            for fact in &record.narrative {
                let Some(n) = fact.amount_yuan.filter(|n| !n.is_zero()) else {
                    continue;
                };
                let scaled = v * f == n || n * f == v;
                if scaled && significant_digits(n) >= UNIT_CHECK_MIN_DIGITS {
                    let message = format!(
                        "the largest amount of {} ({}), {v} 元, and the narrative's {} ({}, {n} 元) differ by a factor of exactly {f}: one quantity read in two units",
                        t.title, t.kind, fact.fact, fact.printed
                    );
                    flags.push(Flag {
                        locations: vec![
                            Location {
                                table: Some(t.kind.clone()),
                                ..Location::default()
                            },
                            Location {
                                section: fact.section.clone(),
                                sentence: Some(fact.sentence.clone()),
                                ..Location::default()
                            },
                        ],
                        expected: Some(n.to_string()),
                        found: Some(v.to_string()),
                        ..Flag::new("meta.amount_unit_mismatch", Severity::Warning, message)
                    });
                    break;
                }
            }
        }
    }
    flags
}

/// Tables of a document kind needed before missing ones are reported (a
/// document with fewer is a fragment, not a full disclosure).
const MIN_TABLES_FOR_COMPLETENESS: usize = 3;

fn flag(
    check: &str,
    severity: Severity,
    message: String,
    table: Option<&str>,
    expected: Option<String>,
    found: Option<String>,
) -> Flag {
    Flag {
        locations: vec![Location {
            table: table.map(str::to_string),
            ..Location::default()
        }],
        expected,
        found,
        ..Flag::new(check, severity, message)
    }
}

/// Runs the metadata checks.
pub fn check(record: &Record, families: &Families) -> Vec<Flag> {
    let mut flags = Vec::new();
    let doc = &record.document;
    for t in &record.tables {
        let label = t.label.clone().unwrap_or_else(|| t.title.clone());
        if let (Some(y), Some(dy)) = (t.year, doc.year) {
            if y != dy {
                flags.push(flag(
                    "meta.table_year",
                    Severity::Warning,
                    format!(
                        "{label} ({}) is dated {y}, the document covers {dy}",
                        t.kind
                    ),
                    Some(&t.kind),
                    Some(dy.to_string()),
                    Some(y.to_string()),
                ));
            }
        }
        if let (Some(u), Some(du)) = (&t.unit_name, &doc.unit) {
            let (a, b) = (squash(u), squash(du));
            if !a.contains(&b) && !b.contains(&a) {
                flags.push(flag(
                    "meta.table_unit_name",
                    Severity::Warning,
                    format!(
                        "{label} ({}) names the unit {u}, the document is of {du}",
                        t.kind
                    ),
                    Some(&t.kind),
                    Some(du.clone()),
                    Some(u.clone()),
                ));
            }
        }
        if t.kind == UNRECOGNIZED {
            // A statement about the reading, not the document (`read.*`):
            // the grid's figures were not read into a known table.
            flags.push(flag(
                "read.unrecognized_table",
                Severity::Info,
                format!(
                    "not read: a grid of figures on page {} {} matches no table pattern; kept as printed (kind {UNRECOGNIZED})",
                    t.pages.first().copied().unwrap_or(0),
                    super::read::captioned(&t.title)
                ),
                Some(&t.kind),
                None,
                None,
            ));
            continue;
        }
        if let Some(source) = t.unit_source.filter(|s| s.is_inferred()) {
            let unit = t.amount_unit.map_or("元", AmountUnit::name);
            let (severity, how) = match source {
                UnitSource::InferredTable => (
                    Severity::Info,
                    format!(
                        "{unit} inferred: its largest amount is printed in {unit} in another table"
                    ),
                ),
                UnitSource::InferredNarrative => (
                    Severity::Info,
                    format!("{unit} inferred: the narrative states its largest amount in {unit}"),
                ),
                _ => (
                    Severity::Warning,
                    "nothing in the document gives it; amounts were taken as 元".to_string(),
                ),
            };
            flags.push(flag(
                "meta.amount_unit_missing",
                severity,
                format!("{label} ({}) prints no amount unit; {how}", t.kind),
                Some(&t.kind),
                None,
                t.amount_unit.map(|u| AmountUnit::name(u).to_string()),
            ));
        }
    }
    let mut kinds: Vec<&str> = record
        .tables
        .iter()
        .filter(|t| t.kind != UNRECOGNIZED)
        .filter(|t| !families.kinds.iter().any(|k| k.kind == t.kind && k.repeats))
        .map(|t| t.kind.as_str())
        .collect();
    kinds.sort_unstable();
    for w in kinds.windows(2).filter(|w| w[0] == w[1]) {
        if !flags.iter().any(|f| {
            f.check == "meta.duplicate_table" && f.locations[0].table.as_deref() == Some(w[0])
        }) {
            flags.push(flag(
                "meta.duplicate_table",
                Severity::Info,
                format!(
                    "the table {} appears more than once; checks use the first with data",
                    w[0]
                ),
                Some(w[0]),
                None,
                None,
            ));
        }
    }
    if let Some(kind) = doc.kind {
        let found = record
            .tables
            .iter()
            .filter(|t| families.of_document(kind).any(|p| p.kind == t.kind))
            .count();
        // A template family with a table set of its own (the universities'
        // 高等学校 final accounts have four tables) decides what is required.
        let required = families.required(kind, record.tables.iter().map(|t| &t.title));
        if found >= MIN_TABLES_FOR_COMPLETENESS {
            for p in required {
                if !record.tables.iter().any(|t| t.kind == p.kind) {
                    flags.push(flag(
                        "meta.required_table_missing",
                        Severity::Warning,
                        format!(
                            "no {} ({}) was found, and no statement that it is empty",
                            p.name, p.kind
                        ),
                        Some(&p.kind),
                        Some(p.name.clone()),
                        None,
                    ));
                }
            }
        }
    }
    flags
}
