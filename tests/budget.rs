//! Budget disclosures (部门预算 / 单位预算) of the corpus families
//! (`../shared/corpus`): every table found with its kind, and no
//! within-table relation (column sums, hierarchy, named-line sums) off beyond
//! rounding — except the true findings listed per document, each verified
//! against the printed numbers. Skips cleanly when the corpus is absent.

use std::path::{Path, PathBuf};

use gongkai::recognize::PatternSet;
use gongkai::record::{DocumentKind, Record, Severity};
use gongkai::settings::Limits;

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("{} absent: skipped", p.display());
        None
    }
}

fn extract(path: &Path) -> Record {
    let patterns = PatternSet::bundled().unwrap_or_else(|e| panic!("patterns: {e}"));
    gongkai::extract::extract_path(path, &patterns, &Limits::default())
}

/// The nine tables of the Shanghai template.
const SHANGHAI: &[&str] = &[
    "budget_summary",
    "budget_income",
    "budget_expenditure",
    "budget_appropriation_summary",
    "budget_general_expenditure",
    "budget_government_fund",
    "budget_state_capital",
    "budget_general_basic_expenditure",
    "budget_three_public",
];

/// The twelve tables of the Jiangsu provincial template (公开01表…公开12表).
const JIANGSU: &[&str] = &[
    "budget_summary",
    "budget_income",
    "budget_expenditure",
    "budget_appropriation_summary",
    "budget_appropriation_expenditure",
    "budget_appropriation_basic_expenditure",
    "budget_general_expenditure",
    "budget_general_basic_expenditure",
    "budget_three_public",
    "budget_government_fund",
    "budget_operating_expenses",
    "budget_procurement",
];

/// Flags of severity warning or error from relations within one table,
/// as "check row" (row = the first location's row).
fn within_table_flags(r: &Record) -> Vec<String> {
    let mut out: Vec<String> = r
        .flags
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .filter(|f| !f.check.starts_with("meta.") && !f.check.starts_with("budget_cross."))
        .map(|f| {
            let row = f
                .locations
                .first()
                .and_then(|l| l.row.clone())
                .unwrap_or_default();
            format!("{} {row}", f.check)
        })
        .collect();
    out.sort();
    out
}

fn check(rel: &str, kinds: &[&str], findings: &[&str]) -> Option<Record> {
    let root = corpus()?;
    let r = extract(&root.join(rel));
    assert!(r.error.is_none(), "{rel}: {:?}", r.error);
    assert_eq!(r.document.kind, Some(DocumentKind::Budget), "{rel}");
    let found: Vec<&str> = r.tables.iter().map(|t| t.kind.as_str()).collect();
    let missing: Vec<&&str> = kinds.iter().filter(|k| !found.contains(k)).collect();
    assert!(
        missing.is_empty(),
        "{rel}: missing {missing:?}; found {found:?}"
    );
    let mut want: Vec<String> = findings.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(within_table_flags(&r), want, "{rel}");
    Some(r)
}

// ---- Shanghai (普陀区 / 上海市) ------------------------------------------------

#[test]
fn shanghai_sfj_2026_department() {
    check(
        "raw/govbudgetchecker/shpt_sfj_2026_budget.pdf",
        SHANGHAI,
        &[],
    );
}

/// 2040601 行政运行 prints 14,348,853.34 合计 and 基本支出 but also
/// 64,840,547.00 项目支出 (the 项目支出 of its 款 20406), in both the 支出预算总表
/// and the 一般公共预算支出功能分类预算表: the row does not add up and 20406's
/// 项目支出 is counted twice below it.
#[test]
fn shanghai_sfj_2026_unit_with_true_findings() {
    let Some(r) = check(
        "raw/govbudgetchecker/unit_budget.pdf",
        SHANGHAI,
        &[
            "budget_expenditure.total_is_sum_of_parts 2040601",
            "budget_general_expenditure.total_is_basic_plus_project 2040601",
            "budget.hierarchy 20406",
            "budget.hierarchy 20406",
        ],
    ) else {
        return;
    };
    assert_eq!(
        r.document.scope,
        Some(gongkai::record::Scope::Unit),
        "单位预算"
    );
}

#[test]
fn shanghai_wanli_2024() {
    check(
        "raw/govbudgetchecker/上海市普陀区人民政府万里街道办事处24年预算.pdf",
        SHANGHAI,
        &[],
    );
}

#[test]
fn shanghai_wanli_2025() {
    check(
        "raw/govbudgetchecker/上海市普陀区人民政府万里街道办事处25年预算.pdf",
        SHANGHAI,
        &[],
    );
}

#[test]
fn shanghai_government_office_2025() {
    check(
        "raw/govbudgetchecker/上海市普陀区人民政府办公室25年预算.pdf",
        SHANGHAI,
        &[],
    );
}

#[test]
fn shanghai_government_office_unit_2025() {
    check(
        "raw/govbudgetchecker/上海市普陀区人民政府办公室单位25年预算.pdf",
        SHANGHAI,
        &[],
    );
}

#[test]
fn shanghai_commerce_2025() {
    check(
        "raw/govbudgetchecker/上海市普陀区商务委员会25年预算.pdf",
        SHANGHAI,
        &[],
    );
}

#[test]
fn shanghai_commerce_unit_2025() {
    check(
        "raw/govbudgetchecker/上海市普陀区商务委员会单位25年预算.pdf",
        SHANGHAI,
        &[],
    );
}

#[test]
fn shanghai_finance_bureau_2025() {
    check(
        "raw/tianbaoxitong/上海市普陀区财政局部门25年预算.pdf",
        SHANGHAI,
        &[],
    );
}

#[test]
fn shanghai_2023_with_performance_targets() {
    let mut kinds = SHANGHAI.to_vec();
    kinds.push("budget_performance_targets");
    check(
        "raw/tianbaoxitong/uploads_archives/1770007475548-818404804.pdf",
        &kinds,
        &[],
    );
}

// ---- Jiangsu provincial (tables-only PDFs) ---------------------------------

#[test]
fn jiangsu_npc_office_2019_tables() {
    check(
        "raw/open-budget-jiangsu/江苏省人大办公厅/江苏省人大常委会办公厅2019年部门预算公开表.pdf",
        JIANGSU,
        &[],
    );
}

#[test]
fn jiangsu_npc_office_2018() {
    check(
        "raw/open-budget-jiangsu/江苏省人大办公厅/省人大办公厅2018预算公开.pdf",
        JIANGSU,
        &[],
    );
}

#[test]
fn jiangsu_procuratorate_2018() {
    check(
        "raw/open-budget-jiangsu/江苏省人民检察院/2018年省检察院部门预算公开.pdf",
        JIANGSU,
        &[],
    );
}

#[test]
fn jiangsu_party_office_2017_tables() {
    check(
        "raw/open-budget-jiangsu/江苏省委办公厅/江苏省委办公厅2017年预算公开表格.pdf",
        JIANGSU,
        &[],
    );
}

#[test]
fn jiangsu_party_office_2018_tables() {
    check(
        "raw/open-budget-jiangsu/江苏省委办公厅/江苏省委办公厅2018年度部门预算公开表.pdf",
        JIANGSU,
        &[],
    );
}

#[test]
fn jiangsu_party_office_2019_tables() {
    check(
        "raw/open-budget-jiangsu/江苏省委办公厅/江苏省委办公厅2019年度部门预算公开表格.pdf",
        JIANGSU,
        &[],
    );
}

#[test]
fn jiangsu_cppcc_office_2018_tables() {
    check(
        "raw/open-budget-jiangsu/江苏省政协办公厅/江苏省政协办公厅2018度部门预算公开表.pdf",
        JIANGSU,
        &[],
    );
}

#[test]
fn jiangsu_cppcc_office_2019_tables() {
    check(
        "raw/open-budget-jiangsu/江苏省政协办公厅/江苏省政协办公厅2019年预算公开表.pdf",
        JIANGSU,
        &[],
    );
}

#[test]
fn jiangsu_npc_office_2017() {
    check(
        "raw/open-budget-jiangsu/江苏省人大办公厅/江苏省人大办公厅2017年度预算公开.pdf",
        JIANGSU,
        &[],
    );
}

#[test]
fn jiangsu_procuratorate_2017() {
    check(
        "raw/open-budget-jiangsu/江苏省人民检察院/2017年省检察院部门预算.pdf",
        JIANGSU,
        &[],
    );
}

#[test]
fn jiangsu_cppcc_office_2017_tables() {
    check(
        "raw/open-budget-jiangsu/江苏省政协办公厅/2017年度部门预算公开表.pdf",
        JIANGSU,
        &[],
    );
}

// ---- Universities (西南大学) ---------------------------------------------------

const UNIVERSITY: &[&str] = &[
    "budget_summary",
    "budget_income",
    "budget_expenditure",
    "budget_appropriation_expenditure",
];

#[test]
fn swu_2021_department_budget() {
    check(
        "raw/swu-xinan-daxue/04_swu_2021_department_budget.pdf",
        UNIVERSITY,
        &[],
    );
}

/// 收入预算表 row 2050202 小学教育 prints 本年收入合计 9,645.51 万元, but its
/// sources add up to 9,646.01 (上年结转 14.33, 财政拨款 8,201.15, 事业收入 0.50,
/// 使用非财政拨款结余 1,430.03); 20502 普通教育's 520,603.91 agrees with the
/// parts, so it is 0.50 万元 more than its three 项 as printed.
#[test]
fn swu_2023_department_budget_with_true_findings() {
    let mut kinds = UNIVERSITY.to_vec();
    kinds.push("budget_performance_targets");
    check(
        "raw/swu-xinan-daxue/20_swu_2023_department_budget__download.jsp.pdf",
        &kinds,
        &[
            "budget_income.total_is_sum_of_sources 2050202",
            "budget.hierarchy 20502",
        ],
    );
}

#[test]
fn swu_2024_department_budget() {
    let mut kinds = UNIVERSITY.to_vec();
    kinds.push("budget_performance_targets");
    check(
        "raw/swu-xinan-daxue/27_swu_2024_department_budget__download.jsp.pdf",
        &kinds,
        &[],
    );
}

/// The university final account (高等学校…决算表) maps onto the final-account kinds.
#[test]
fn swu_2023_final_account_kinds() {
    let Some(root) = corpus() else { return };
    let r = extract(&root.join("raw/swu-xinan-daxue/21_swu_2023_final_accounts__download.jsp.pdf"));
    assert_eq!(r.document.kind, Some(DocumentKind::FinalAccount));
    let kinds: Vec<&str> = r.tables.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "income_expenditure_summary",
            "income",
            "expenditure",
            "general_budget_expenditure"
        ]
    );
    let gbe = r
        .tables
        .iter()
        .find(|t| t.kind == "general_budget_expenditure");
    let keys: Vec<&str> = gbe
        .map(|t| t.columns.iter().map(|c| c.key.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        ["total", "basic", "project", "project_capital_construction"]
    );
}

// ---- Jiangsu narrative PDFs (the tables come as a separate PDF) -------------

/// The 部门预算 / 预算公开文件 PDFs of a two-PDF set print the tables only in
/// the companion 公开表 PDF (or as images): read as budgets, no tables.
#[test]
fn jiangsu_narrative_pdfs_have_no_table_grids() {
    let Some(root) = corpus() else { return };
    for rel in [
        "江苏省人大办公厅/江苏省人大常委会2019年度部门预算公开.pdf",
        "江苏省委办公厅/江苏省委办公厅2017年部门预算.pdf",
        "江苏省委办公厅/江苏省委办公厅2018年度部门预算公开文件.pdf",
        "江苏省委办公厅/江苏省委办公厅2019年度部门预算公开文件.pdf",
        "江苏省政协办公厅/江苏省政协办公厅2017年度部门预算.pdf",
        "江苏省政协办公厅/江苏省政协办公厅2018年度部门预算.pdf",
        "江苏省政协办公厅/江苏省政协办公厅2019年度部门预算.pdf",
    ] {
        let r = extract(&root.join("raw/open-budget-jiangsu").join(rel));
        assert!(r.error.is_none(), "{rel}: {:?}", r.error);
        assert_eq!(r.document.kind, Some(DocumentKind::Budget), "{rel}");
        assert!(r.tables.is_empty(), "{rel}: {} tables", r.tables.len());
    }
}

// ---- The XLS template (tianbaoxitong, XX placeholders, no values) -------------

#[test]
fn shanghai_xls_template_all_table_sheets_empty() {
    let Some(r) = check("raw/tianbaoxitong/budget_template.xls", SHANGHAI, &[]) else {
        return;
    };
    assert_eq!(r.document.scope, Some(gongkai::record::Scope::Unit));
    assert_eq!(r.tables.len(), SHANGHAI.len());
    for t in &r.tables {
        assert!(t.empty, "{} holds values", t.kind);
    }
}
