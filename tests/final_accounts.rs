//! Real final accounts of the shared corpus, read end to end: all nine
//! tables found and each table's own totals equal the sum of its detail
//! rows within rounding. Skips cleanly when `../shared` is absent.

use crate::util::*;
use gongkai::record::{Record, Severity};

const NINE: [&str; 9] = [
    "income_expenditure_summary",
    "income",
    "expenditure",
    "appropriation_summary",
    "general_budget_expenditure",
    "general_budget_basic_expenditure",
    "three_public_expenses",
    "government_fund",
    "state_capital",
];

/// Checks that relate cells within one table.
fn within_table(check: &str) -> bool {
    check == "hierarchy"
        || check.starts_with("income.")
        || check.starts_with("expenditure.")
        || check.starts_with("summary.")
        || check.starts_with("appropriation_summary.")
        || check.starts_with("general_budget_expenditure.")
        || check.starts_with("basic_expenditure.")
        || check.starts_with("three_public.")
        || check.starts_with("government_fund.")
        || check.starts_with("state_capital.")
        || check.starts_with("statistics.")
}

fn read(name: &str) -> Option<Record> {
    let path = shared()?.join("corpus/raw/govbudgetchecker").join(name);
    if !path.exists() {
        eprintln!("skipped: {} is absent", path.display());
        return None;
    }
    Some(extract(&path))
}

fn assert_nine_tables(record: &Record, name: &str) {
    assert!(record.error.is_none(), "{name}: {:?}", record.error);
    let kinds: Vec<&str> = record.tables.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, NINE, "{name}");
    for t in &record.tables {
        assert_eq!(
            t.amount_unit,
            Some(gongkai::record::AmountUnit::TenThousandYuan),
            "{name}: {}",
            t.kind
        );
    }
}

fn assert_totals_add_up(record: &Record, name: &str) {
    let bad: Vec<_> = record
        .flags
        .iter()
        .filter(|f| within_table(&f.check) && f.severity > Severity::Info)
        .collect();
    assert!(
        bad.is_empty(),
        "{name}: totals that do not add up beyond rounding: {bad:#?}"
    );
    let rounding = record
        .flags
        .iter()
        .filter(|f| within_table(&f.check))
        .count();
    eprintln!(
        "{name}: {} tables, {} rows, {rounding} rounding-level (info) flags",
        record.tables.len(),
        record.tables.iter().map(|t| t.rows.len()).sum::<usize>()
    );
}

#[test]
fn finance_bureau_2024() {
    let name = "上海市普陀区财政局2024年度部门决算.pdf";
    let Some(record) = read(name) else { return };
    assert_nine_tables(&record, name);
    assert_totals_add_up(&record, name);
    assert_eq!(record.document.unit.as_deref(), Some("上海市普陀区财政局"));
    assert_eq!(record.document.year, Some(2024));
    let income = record
        .tables
        .iter()
        .find(|t| t.kind == "income")
        .unwrap_or_else(|| panic!("no income table"));
    let row = income
        .rows
        .iter()
        .find(|r| r.code.as_deref() == Some("2010601"))
        .unwrap_or_else(|| panic!("no 2010601"));
    assert_eq!(row.name.as_deref(), Some("行政运行"));
    assert_eq!(row.values["total"].to_string(), "15119000.00");
    assert_eq!(row.values["appropriation"].to_string(), "15118900.00");
    assert_eq!(row.values["other_income"].to_string(), "100.00");
    // Wrapped names come out whole.
    assert!(income
        .rows
        .iter()
        .any(|r| r.name.as_deref() == Some("机关事业单位基本养老保险缴费支出")));
    // The declared-empty tables are empty.
    for kind in ["government_fund", "state_capital"] {
        assert!(
            record.tables.iter().any(|t| t.kind == kind && t.empty),
            "{kind}"
        );
    }
    // A real finding of this document: 一般公共服务支出 is 2106.66 of 2940.05 万元,
    // 71.65%, printed as 71.73%.
    assert!(record
        .flags
        .iter()
        .any(|f| f.check == "narrative.share" && f.found.as_deref() == Some("71.73")));
}

#[test]
fn planning_bureau_2024() {
    let name = "上海市普陀区规划和自然资源局 2024 年度部门决算.pdf";
    let Some(record) = read(name) else { return };
    assert_nine_tables(&record, name);
    assert_totals_add_up(&record, name);
    assert_eq!(
        record.document.unit.as_deref(),
        Some("上海市普陀区规划和自然资源局")
    );
    // A real finding: the narrative's 基本支出 5377.64 and 人员经费 4896.98 万元
    // against 5364.75 and 4884.09 in the tables.
    let narrative: Vec<_> = record
        .flags
        .iter()
        .filter(|f| f.check == "narrative.table_amount" && f.severity == Severity::Error)
        .collect();
    assert_eq!(narrative.len(), 2, "{narrative:#?}");
    assert_eq!(narrative[0].found.as_deref(), Some("53776400"));
    assert_eq!(narrative[0].expected.as_deref(), Some("53647500"));
}

#[test]
fn blank_template_has_nine_empty_tables() {
    let name = "附件2：部门决算模板.pdf";
    let Some(record) = read(name) else { return };
    assert_nine_tables(&record, name);
    for t in &record.tables {
        assert!(t.empty, "{}: not empty", t.kind);
        assert!(
            t.rows.iter().all(|r| r.values.is_empty()),
            "{}: has values",
            t.kind
        );
    }
}
