//! Consistency checks on the seed: the real inconsistencies are found,
//! nothing is flagged where a relation holds, and a change to any single
//! amount is caught.

use std::sync::OnceLock;

use crate::util::*;
use gongkai::record::{Record, Severity};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn seed() -> Record {
    static SEED: OnceLock<Record> = OnceLock::new();
    SEED.get_or_init(|| extract(&sample("seed_changzhi_2022_final.txt")))
        .clone()
}

fn rerun_checks(record: &Record) -> Vec<gongkai::record::Flag> {
    gongkai::check::run(record, &gongkai::check::Text::default(), patterns())
}

#[test]
fn seed_table_flags_are_exactly_the_real_findings() {
    let record = seed();
    let table_flags: Vec<_> = record
        .flags
        .iter()
        .filter(|f| !f.check.starts_with("narrative") && !f.check.starts_with("text."))
        .collect();
    let checks: Vec<&str> = table_flags.iter().map(|f| f.check.as_str()).collect();
    // The only table-level inconsistency of the seed: 公开04表 is dated 2023.
    assert_eq!(checks, vec!["meta.table_year"], "{table_flags:#?}");
    assert_eq!(table_flags[0].found.as_deref(), Some("2023"));
    assert_eq!(
        table_flags[0].locations[0].table.as_deref(),
        Some("appropriation_summary")
    );
}

/// Every (table index, row index, column key) holding an amount.
fn amount_cells(record: &Record) -> Vec<(usize, usize, String)> {
    let mut cells = Vec::new();
    for (t, table) in record.tables.iter().enumerate() {
        for (r, row) in table.rows.iter().enumerate() {
            for key in row.values.keys() {
                cells.push((t, r, key.clone()));
            }
        }
    }
    cells
}

fn caught(record: &Record, (t, r, key): &(usize, usize, String), delta: Decimal) -> bool {
    let mut changed = record.clone();
    let kind = changed.tables[*t].kind.clone();
    if let Some(v) = changed.tables[*t].rows[*r].values.get_mut(key) {
        *v += delta;
    }
    // Every finding, folded ones included (one wrong cell is one flag
    // with the relations it breaks as related entries).
    let findings = |flags: &[gongkai::record::Flag]| -> Vec<(String, String)> {
        flags
            .iter()
            .flat_map(|f| {
                std::iter::once((f.check.clone(), f.message.clone())).chain(
                    f.related
                        .iter()
                        .map(|r| (r.check.clone(), r.message.clone())),
                )
            })
            .collect()
    };
    let before = findings(&rerun_checks(record));
    let flags = rerun_checks(&changed);
    findings(&flags).iter().any(|f| !before.contains(f))
        && flags.iter().any(|f| {
            f.locations
                .iter()
                .any(|l| l.table.as_deref() == Some(kind.as_str()))
        })
}

#[test]
fn changing_any_single_amount_raises_a_flag_on_its_table() {
    let record = seed();
    let cells = amount_cells(&record);
    assert!(cells.len() > 200, "{} amounts", cells.len());
    let missed: Vec<_> = cells
        .iter()
        .filter(|c| !caught(&record, c, Decimal::new(10000, 2)))
        .collect();
    let rate = 1.0 - missed.len() as f64 / cells.len() as f64;
    eprintln!(
        "single-amount changes caught: {}/{} ({:.2}%)",
        cells.len() - missed.len(),
        cells.len(),
        rate * 100.0
    );
    assert!(
        rate >= 0.99,
        "caught {:.2}% of {} changes; missed: {missed:?}",
        rate * 100.0,
        cells.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_changes_are_caught(index in 0usize..10_000, cents in 1i64..100_000_000) {
        let record = seed();
        let cells = amount_cells(&record);
        let cell = &cells[index % cells.len()];
        let delta = Decimal::new(cents, 2);
        let minus = -delta;
        prop_assert!(caught(&record, cell, delta) || caught(&record, cell, minus), "{cell:?} +{delta}");
    }
}

#[test]
fn severity_follows_the_rounding_rule() {
    let record = seed();
    // A one-fen change in a 元 table is within the rounding allowance of a
    // sum of several printed terms: info, never more.
    let cells = amount_cells(&record);
    let (t, r, key) = cells
        .iter()
        .find(|(t, _, _)| record.tables[*t].kind == "expenditure")
        .cloned()
        .unwrap_or_default();
    let mut changed = record.clone();
    if let Some(v) = changed.tables[t].rows[r].values.get_mut(&key) {
        *v += Decimal::new(1, 2);
    }
    let flags = rerun_checks(&changed);
    let unchanged = rerun_checks(&record);
    let new: Vec<_> = flags.iter().filter(|f| !unchanged.contains(f)).collect();
    assert!(!new.is_empty());
    assert!(
        new.iter().all(|f| f.severity <= Severity::Warning),
        "{new:#?}"
    );
    // A large change is an error.
    let mut changed = record.clone();
    if let Some(v) = changed.tables[t].rows[r].values.get_mut(&key) {
        *v += Decimal::new(5_000_000, 0);
    }
    assert!(rerun_checks(&changed)
        .iter()
        .any(|f| f.severity == Severity::Error));
}

/// The seed's narrative contradicts itself or its tables in exactly these
/// places (each verified by hand against the printed numbers).
#[test]
fn seed_narrative_flags_are_exactly_the_real_findings() {
    let record = seed();
    let found: Vec<(String, Severity, Option<String>, Option<String>)> = record
        .flags
        .iter()
        .filter(|f| f.check.starts_with("narrative"))
        .map(|f| {
            (
                f.check.clone(),
                f.severity,
                f.found.clone(),
                f.expected.clone(),
            )
        })
        .collect();
    let want = vec![
        // 差旅费 83,700 of 公用经费 420,054.88 is 19.926%: printed 19.92 (truncated).
        (
            "narrative.share",
            Severity::Info,
            Some("19.92"),
            Some("19.926"),
        ),
        // 1,050,000 evaluated of 4,155,777.60 project spending is 25.27%, not 24.71%.
        (
            "narrative.table_share",
            Severity::Warning,
            Some("24.71"),
            Some("25.266"),
        ),
        // 年初预算 by class adds up to 4,519,200, not the stated total 3,649,100.
        (
            "narrative.sum",
            Severity::Error,
            Some("3649100"),
            Some("4519200"),
        ),
        // Income and expenditure totals balance (8,638,621.12 both), so their
        // changes must be equal; the narrative gives +3,781,830.18 and +3,778,696.38
        // (sections 一 and 四).
        (
            "narrative.balanced_change",
            Severity::Warning,
            Some("3781830.18"),
            Some("3778696.38"),
        ),
        (
            "narrative.balanced_change",
            Severity::Warning,
            Some("3781830.18"),
            Some("3778696.38"),
        ),
    ];
    let want: Vec<(String, Severity, Option<String>, Option<String>)> = want
        .into_iter()
        .map(|(c, s, f, e)| {
            (
                c.to_string(),
                s,
                f.map(str::to_string),
                e.map(str::to_string),
            )
        })
        .collect();
    assert_eq!(found, want, "{:#?}", record.flags);
}

#[test]
fn a_narrative_amount_that_disagrees_with_its_table_is_flagged() {
    let mut record = seed();
    let fact = record
        .narrative
        .iter_mut()
        .find(|f| f.fact == "three_public_actual")
        .unwrap_or_else(|| panic!("no three_public_actual fact"));
    fact.amount_yuan = Some(Decimal::new(1_903_904, 2));
    let flags = rerun_checks(&record);
    let f = flags
        .iter()
        .find(|f| f.check == "narrative.table_amount")
        .unwrap_or_else(|| panic!("not flagged: {flags:#?}"));
    assert_eq!(f.found.as_deref(), Some("19039.04"));
    assert_eq!(f.expected.as_deref(), Some("18039.04"));
    assert!(f
        .locations
        .iter()
        .any(|l| l.table.as_deref() == Some("three_public_expenses")));
    assert!(f.locations.iter().any(|l| l.sentence.is_some()));
}

/// An "of which" row (其中:…) is part of the row above it: a sum of sources
/// does not count it beside that row, and counts it when it is a line of
/// its own.
#[test]
fn a_sub_line_is_not_counted_beside_its_row() {
    let mut record = seed();
    let Some(summary) = record
        .tables
        .iter_mut()
        .find(|t| t.kind == "income_expenditure_summary")
    else {
        panic!("no summary");
    };
    // 8,638,621.12 of appropriation, of which 1,000.00 government fund.
    let Some(fund) = summary
        .rows
        .iter_mut()
        .find(|r| r.line.as_deref() == Some("government_fund_appropriation"))
    else {
        panic!("no government fund line");
    };
    fund.values.insert("amount".into(), Decimal::new(100000, 2));
    fund.name = Some("其中:政府性基金预算财政拨款".into());
    let flagged = |record: &Record| {
        rerun_checks(record)
            .iter()
            .any(|f| f.check == "summary.income_total_is_sum_of_sources")
    };
    assert!(flagged(&record), "counted as a source of its own");
    for t in record.tables.iter_mut() {
        for r in t.rows.iter_mut() {
            if r.line.as_deref() == Some("government_fund_appropriation") {
                r.sub_of = Some("general_budget_appropriation".into());
            }
        }
    }
    assert!(!flagged(&record), "a sub-line counted twice");
}
