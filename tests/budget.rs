//! Budget disclosures (部门预算 / 单位预算) of the corpus families
//! (`../shared/corpus`): every table found with its kind, and no
//! within-table relation (column sums, hierarchy, named-line sums) off beyond
//! rounding — except the true findings listed per document, each verified
//! against the printed numbers. Skips cleanly when the corpus is absent.

use std::path::{Path, PathBuf};

use gongkai::record::{AmountUnit, DocumentKind, Record, Severity, UnitSource, Verdict};

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
    crate::util::extract(path)
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
        .filter(|f| {
            !["meta.", "budget_cross.", "narrative.", "text."]
                .iter()
                .any(|p| f.check.starts_with(p))
        })
        .flat_map(|f| {
            let row = f
                .locations
                .first()
                .and_then(|l| l.row.clone())
                .unwrap_or_default();
            // Relations one wrong cell breaks are folded into its flag.
            std::iter::once(format!("{} {row}", f.check))
                .chain(f.related.iter().map(|r| format!("{} (related)", r.check)))
        })
        .collect();
    out.sort();
    out
}

/// The publishing unit of each corpus budget (`document.unit`): never a
/// section heading (第二部分), a table caption (表十二) or a region alone
/// (上海市普陀区); `None` where the document does not print it as text.
const UNITS: &[(&str, Option<&str>)] = &[
    (
        "govbudgetchecker/shpt_sfj_2026_budget.pdf",
        Some("上海市普陀区司法局"),
    ),
    (
        "govbudgetchecker/unit_budget.pdf",
        Some("上海市普陀区司法局"),
    ),
    (
        "govbudgetchecker/上海市普陀区人民政府万里街道办事处24年预算.pdf",
        Some("上海市普陀区人民政府万里街道办事处"),
    ),
    (
        "govbudgetchecker/上海市普陀区人民政府万里街道办事处25年预算.pdf",
        Some("上海市普陀区人民政府万里街道办事处"),
    ),
    (
        "govbudgetchecker/上海市普陀区人民政府办公室25年预算.pdf",
        Some("上海市普陀区人民政府办公室"),
    ),
    (
        "govbudgetchecker/上海市普陀区人民政府办公室单位25年预算.pdf",
        Some("上海市普陀区人民政府办公室"),
    ),
    (
        "govbudgetchecker/上海市普陀区商务委员会25年预算.pdf",
        Some("上海市普陀区商务委员会"),
    ),
    (
        "govbudgetchecker/上海市普陀区商务委员会单位25年预算.pdf",
        Some("上海市普陀区商务委员会"),
    ),
    (
        "江苏省人大办公厅/江苏省人大办公厅2017年度预算公开.pdf",
        Some("江苏省人大常委会办公厅"),
    ),
    (
        "江苏省人大办公厅/江苏省人大常委会2019年度部门预算公开.pdf",
        Some("江苏省人大常委会办公厅"),
    ),
    (
        "江苏省人大办公厅/江苏省人大常委会办公厅2019年部门预算公开表.pdf",
        Some("江苏省人大常委会办公厅"),
    ),
    (
        "江苏省人大办公厅/省人大办公厅2018预算公开.pdf",
        Some("江苏省人大常委会办公厅"),
    ),
    (
        "江苏省人民检察院/2017年省检察院部门预算.pdf",
        Some("江苏省人民检察院"),
    ),
    (
        "江苏省人民检察院/2018年省检察院部门预算公开.pdf",
        Some("江苏省人民检察院"),
    ),
    (
        "江苏省委办公厅/江苏省委办公厅2017年部门预算.pdf",
        Some("江苏省委办公厅"),
    ),
    (
        "江苏省委办公厅/江苏省委办公厅2017年预算公开表格.pdf",
        Some("中国共产党江苏省委员会办公厅"),
    ),
    (
        "江苏省委办公厅/江苏省委办公厅2018年度部门预算公开文件.pdf",
        Some("江苏省委办公厅"),
    ),
    (
        "江苏省委办公厅/江苏省委办公厅2018年度部门预算公开表.pdf",
        Some("中共江苏省委办公厅"),
    ),
    (
        "江苏省委办公厅/江苏省委办公厅2019年度部门预算公开文件.pdf",
        Some("江苏省委办公厅"),
    ),
    (
        "江苏省委办公厅/江苏省委办公厅2019年度部门预算公开表格.pdf",
        Some("中共江苏省委办公厅"),
    ),
    (
        "江苏省政协办公厅/2017年度部门预算公开表.pdf",
        Some("江苏省政协办公厅"),
    ),
    (
        "江苏省政协办公厅/江苏省政协办公厅2017年度部门预算.pdf",
        Some("江苏省政协办公厅"),
    ),
    (
        "江苏省政协办公厅/江苏省政协办公厅2018年度部门预算.pdf",
        Some("江苏省政协办公厅"),
    ),
    (
        "江苏省政协办公厅/江苏省政协办公厅2018度部门预算公开表.pdf",
        Some("江苏省政协办公厅"),
    ),
    // The cover (with the name) is an image; the text has no unit line.
    (
        "江苏省政协办公厅/江苏省政协办公厅2019年度部门预算.pdf",
        None,
    ),
    (
        "江苏省政协办公厅/江苏省政协办公厅2019年预算公开表.pdf",
        Some("江苏省政协办公厅"),
    ),
    (
        "swu-xinan-daxue/04_swu_2021_department_budget.pdf",
        Some("西南大学"),
    ),
    (
        "swu-xinan-daxue/20_swu_2023_department_budget__download.jsp.pdf",
        Some("西南大学"),
    ),
    (
        "swu-xinan-daxue/27_swu_2024_department_budget__download.jsp.pdf",
        Some("西南大学"),
    ),
    (
        "tianbaoxitong/budget_template.xls",
        Some("上海市普陀区XX单位"),
    ),
    (
        "tianbaoxitong/uploads_archives/1770007475548-818404804.pdf",
        Some("上海市普陀区人民政府万里街道办事处"),
    ),
    (
        "tianbaoxitong/上海市普陀区财政局部门25年预算.pdf",
        Some("上海市普陀区财政局"),
    ),
    (
        "text/shpt_shiquanlu_jiedao_2026_unit_budget.txt",
        Some("上海市普陀区人民政府石泉路街道办事处(本级)"),
    ),
    (
        "text/cqjtw_2018_dept_budget_shuoming.txt",
        Some("重庆市交通委员会"),
    ),
    (
        "text/cqjtw_2018_dept_budget_shuoming.fragment.html",
        Some("重庆市交通委员会"),
    ),
];

fn assert_unit(rel: &str, r: &Record) {
    let want = UNITS
        .iter()
        .find(|(path, _)| rel.ends_with(path))
        .unwrap_or_else(|| panic!("{rel}: no expected unit listed"))
        .1;
    assert_eq!(r.document.unit.as_deref(), want, "{rel}: document.unit");
}

fn check(rel: &str, kinds: &[&str], findings: &[&str]) -> Option<Record> {
    let root = corpus()?;
    let r = extract(&root.join(rel));
    assert!(r.error.is_none(), "{rel}: {:?}", r.error);
    assert_unit(rel, &r);
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
            "budget.hierarchy (related)",
            "budget.hierarchy (related)",
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

/// "注:本部门2024年无“三公”经费和机关运行经费预算，故本表为空表。" under a
/// 三公 table that prints 47.91 万元: the table prints amounts, so it is not
/// empty.
#[test]
fn shanghai_wanli_2024() {
    let Some(r) = check(
        "raw/govbudgetchecker/上海市普陀区人民政府万里街道办事处24年预算.pdf",
        SHANGHAI,
        &[],
    ) else {
        return;
    };
    let three = r.tables.iter().find(|t| t.kind == "budget_three_public");
    let three = three.unwrap_or_else(|| panic!("no 三公 table"));
    assert!(!three.empty);
    assert_eq!(
        three.rows[0]
            .values
            .get("total")
            .map(|v| v.normalize().to_string()),
        Some("479100".to_string())
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

/// A tables-only PDF: no document title (its first line is the caption of
/// 公开12表, "2019年政府采购预算表", not the title).
#[test]
fn jiangsu_npc_office_2019_tables() {
    let Some(r) = check(
        "raw/open-budget-jiangsu/江苏省人大办公厅/江苏省人大常委会办公厅2019年部门预算公开表.pdf",
        JIANGSU,
        &[],
    ) else {
        return;
    };
    assert_eq!(r.document.title, None);
    assert_eq!(r.document.year, Some(2019));
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

/// The 收入预算表 prints no unit: its 合计 390,140.45 is the 收支预算总表's
/// 本年收入合计 (万元), so it is read in 万元, marked inferred.
#[test]
fn swu_2021_department_budget() {
    let Some(r) = check(
        "raw/swu-xinan-daxue/04_swu_2021_department_budget.pdf",
        UNIVERSITY,
        &[],
    ) else {
        return;
    };
    let income = r.tables.iter().find(|t| t.kind == "budget_income");
    let income = income.unwrap_or_else(|| panic!("no income table"));
    assert_eq!(income.amount_unit, Some(AmountUnit::TenThousandYuan));
    assert_eq!(income.unit_source, Some(UnitSource::InferredTable));
    let total = income
        .rows
        .iter()
        .find(|r| r.name.as_deref() == Some("合计"));
    assert_eq!(
        total
            .and_then(|r| r.values.get("total"))
            .map(|v| v.normalize().to_string()),
        Some("3901404500".to_string())
    );
    for t in r.tables.iter().filter(|t| t.kind != "budget_income") {
        assert!(
            t.unit_source.is_some_and(|s| !s.is_inferred()),
            "{} prints its unit",
            t.kind
        );
    }
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
            "budget.hierarchy (related)",
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

/// The SWU 2023 budget's 项目绩效目标表 are forms: the unit is printed in a
/// label cell ("项目资金（万元）") and scores (分值) share the amount columns.
/// Their amounts are 万元, converted to yuan; scores stay scores; the tables
/// whose title sits at the foot of a page take their body from the next page.
#[test]
fn swu_2023_performance_forms_are_read_in_their_unit() {
    let Some(root) = corpus() else { return };
    let r =
        extract(&root.join("raw/swu-xinan-daxue/20_swu_2023_department_budget__download.jsp.pdf"));
    let forms: Vec<&gongkai::record::Table> = r
        .tables
        .iter()
        .filter(|t| t.kind == "budget_performance_targets")
        .collect();
    assert!(forms.len() >= 20, "{}", forms.len());
    for t in &forms {
        assert_eq!(
            t.amount_unit,
            Some(AmountUnit::TenThousandYuan),
            "{}",
            t.title
        );
        assert_eq!(t.unit_source, Some(UnitSource::HeaderCell), "{}", t.title);
        // At least its funds rows (年度资金总额, 其中：财政拨款, 上年结转, 其他资金).
        assert!(
            !t.empty && t.rows.len() >= 4,
            "{}: {} rows",
            t.title,
            t.rows.len()
        );
    }
    let reform = forms
        .iter()
        .find(|t| t.title.contains("中央高校教育教学改革专项"))
        .unwrap_or_else(|| panic!("no 教育教学改革专项 form"));
    let funds = reform.rows.iter().find_map(|row| {
        let label = row.printed.values().any(|v| v.contains("年度资金总额"));
        label.then(|| {
            row.values
                .values()
                .next()
                .map(|v| v.normalize().to_string())
        })
    });
    assert_eq!(funds.flatten().as_deref(), Some("21127600"), "2112.76 万元");
    // 分值 5 is a score, not 5 万元.
    let score = reform
        .rows
        .iter()
        .find(|row| row.printed.values().any(|v| v == "建设一流本科课程数"));
    let score = score.unwrap_or_else(|| panic!("no indicator row"));
    assert!(!score.counts.is_empty(), "{score:?}");
    assert!(
        score
            .values
            .values()
            .all(|v| v.normalize().to_string() == "5"),
        "{score:?}"
    );
    // Title at the foot of page 24, body on page 25.
    let footed = forms
        .iter()
        .find(|t| t.title.contains("基础设施改造项目(小学)"))
        .unwrap_or_else(|| panic!("no 基础设施改造项目(小学) form"));
    assert_eq!(footed.pages, [24, 25]);
    assert!(footed.rows.iter().any(|row| row
        .values
        .values()
        .any(|v| v.normalize().to_string() == "1500000")));
    assert_eq!(r.read.verdict, Verdict::Complete, "{:?}", r.read.reasons);
    // Per-project forms are no duplicates of each other.
    assert!(!r.flags.iter().any(|f| f.check == "meta.duplicate_table"));
}

/// Portal landing pages (title, date, a PDF link) are no disclosure.
#[test]
fn swu_landing_pages_are_not_disclosures() {
    let Some(root) = corpus() else { return };
    let dir = root.join("raw/swu-xinan-daxue/landing_pages");
    let mut n = 0;
    for e in std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let r = extract(&e.path());
        assert_eq!(
            r.read.verdict,
            Verdict::NotADisclosure,
            "{}",
            e.path().display()
        );
        n += 1;
    }
    assert_eq!(n, 4);
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
    // 表4 continues on page 15 in columns of its own (no ruling lines, an
    // empty column not found there): its rows after the break are read, and
    // the class codes printed across 类/款/项 are kept.
    assert_eq!(r.read.verdict, Verdict::Complete, "{:?}", r.read.reasons);
    let t4 = r
        .tables
        .iter()
        .find(|t| t.kind == "general_budget_expenditure")
        .unwrap_or_else(|| panic!("no 表4"));
    assert_eq!(t4.pages, [14, 15]);
    let cell = |code: &str, key: &str| {
        t4.rows
            .iter()
            .find(|row| row.code.as_deref() == Some(code))
            .and_then(|row| row.values.get(key))
            .map(|v| v.normalize().to_string())
    };
    assert_eq!(cell("205", "total").as_deref(), Some("2135885300"));
    assert_eq!(cell("206", "total").as_deref(), Some("25366500"));
    assert_eq!(
        cell("2060204", "project_capital_construction").as_deref(),
        Some("13579300")
    );
    assert_eq!(cell("2210203", "basic").as_deref(), Some("1805900"));
    // Its 决算报表说明 is read: "收入总计 430,725.03万元" is the year's income
    // (本年收入合计), as the tables print it.
    let fact = |id: &str| {
        r.narrative
            .iter()
            .find(|f| f.fact == id)
            .and_then(|f| f.amount_yuan)
            .map(|v| v.normalize().to_string())
    };
    assert_eq!(fact("income_year_total").as_deref(), Some("4307250300"));
    assert_eq!(
        fact("expenditure_year_total").as_deref(),
        Some("4576767500")
    );
    // Its class rows sum to its total: no hierarchy finding on it.
    assert!(
        !r.flags.iter().any(|f| f.check == "hierarchy"
            && f.locations[0].table.as_deref() == Some("general_budget_expenditure")),
        "{:?}",
        r.flags
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
    // "其中:政府性基金预算财政拨款" is part of "一、财政拨款收入" above it,
    // not a source beside it: no income-sum errors.
    let summary = r
        .tables
        .iter()
        .find(|t| t.kind == "income_expenditure_summary");
    let sub = summary
        .and_then(|t| {
            t.rows
                .iter()
                .find(|row| row.name.as_deref().is_some_and(|n| n.starts_with("其中")))
        })
        .unwrap_or_else(|| panic!("no 其中 row"));
    assert_eq!(sub.sub_of.as_deref(), Some("general_budget_appropriation"));
    // The university family (patterns/families.toml) prints four tables: the
    // other five of the standard final-account set are not part of it, so
    // their absence is no finding. Nothing else is above info either.
    let flags: Vec<&str> = r
        .flags
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .map(|f| f.check.as_str())
        .collect();
    assert!(flags.is_empty(), "{:?}", r.flags);
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
        assert_unit(rel, &r);
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

// ---- A text rendering with collapsed columns (blank cells dropped) -----------

fn row<'a>(r: &'a Record, kind: &str, code: &str) -> &'a gongkai::record::Row {
    r.tables
        .iter()
        .filter(|t| t.kind == kind)
        .flat_map(|t| t.rows.iter())
        .find(|row| row.code.as_deref() == Some(code))
        .unwrap_or_else(|| panic!("{kind}: no row {code}"))
}

fn value(row: &gongkai::record::Row, key: &str) -> Option<String> {
    row.values.get(key).map(|v| v.normalize().to_string())
}

/// Every table of the 石泉路街道 unit budget is found from the text; amounts
/// go to the columns the template's identities and the code hierarchy allow
/// (合计 = 基本支出 + 项目支出, a 款 = the sum of its 项, 合计 = the sum of
/// the classes); where several columns stay possible the row says so and
/// the amount is left unplaced.
#[test]
fn shanghai_collapsed_text_unit_budget() {
    let Some(r) = check(
        "text/shpt_shiquanlu_jiedao_2026_unit_budget.txt",
        SHANGHAI,
        &[],
    ) else {
        return;
    };
    assert_eq!(r.tables.len(), SHANGHAI.len());
    // Printed "2,301,360 2,301,360": basic, because 20805's basic and
    // project (both printed) only add up that way.
    let retirees = row(&r, "budget_expenditure", "2080501");
    assert_eq!(value(retirees, "total").as_deref(), Some("2301360"));
    assert_eq!(value(retirees, "basic").as_deref(), Some("2301360"));
    assert_eq!(value(retirees, "project"), None);
    assert!(retirees.note.is_none());
    let full = row(&r, "budget_expenditure", "2080505");
    assert_eq!(value(full, "basic").as_deref(), Some("1641800"));
    assert_eq!(value(full, "project").as_deref(), Some("95000"));
    assert_eq!(
        value(row(&r, "budget_expenditure", "201"), "project").as_deref(),
        Some("3353072")
    );
    assert_eq!(
        value(
            row(&r, "budget_general_basic_expenditure", "30201"),
            "public"
        )
        .as_deref(),
        Some("300000")
    );
    // 收入预算总表: every source column fits "3,353,072 3,353,072" equally.
    let income = row(&r, "budget_income", "201");
    assert_eq!(value(income, "total").as_deref(), Some("3353072"));
    assert_eq!(income.values.len(), 1);
    let note = income.note.as_deref().unwrap_or("");
    assert!(
        note.contains("ambiguous") && note.contains("appropriation"),
        "{note}"
    );
    // 政府性基金: 3,380,000 could be basic or project in every row.
    let fund = row(&r, "budget_government_fund", "2120803");
    assert!(fund.note.is_some() && fund.values.len() == 1, "{fund:?}");
    three_public_of_the_collapsed_text(&r);
}

/// The 三公 table of the 石泉路街道 text: its three-level header, read line
/// by line, gives the columns of the Shanghai PDFs in their order; its one
/// row "8.53 1.53 7 7 386.02" (7 columns, 2 blanks dropped) is the table's
/// unlabelled total row, as in the PDFs. 合计 = 出国 + 接待 + 用车 and
/// 用车 = 购置 + 运行 place 8.53, the first 7 (用车小计) and 386.02; 1.53
/// may be 出国 or 接待 and the second 7 购置 or 运行 (the narrative's
/// 公务接待费1.53万元 and 运行费7万元 are not used to place amounts).
fn three_public_of_the_collapsed_text(r: &Record) {
    let table = r
        .tables
        .iter()
        .find(|t| t.kind == "budget_three_public")
        .unwrap_or_else(|| panic!("no 三公 table"));
    assert!(!table.empty, "it prints amounts");
    let keys: Vec<&str> = table.columns.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "total",
            "outbound",
            "reception",
            "vehicle_total",
            "vehicle_purchase",
            "vehicle_operation",
            "operating_expenses"
        ]
    );
    let [row] = &table.rows[..] else {
        panic!("{:?}", table.rows)
    };
    assert_eq!((row.code.as_deref(), row.name.as_deref()), (None, None));
    assert_eq!(table.amount_unit, Some(AmountUnit::TenThousandYuan));
    assert_eq!(value(row, "total").as_deref(), Some("85300"));
    assert_eq!(value(row, "vehicle_total").as_deref(), Some("70000"));
    assert_eq!(value(row, "operating_expenses").as_deref(), Some("3860200"));
    assert_eq!(row.values.len(), 3, "{:?}", row.values);
    let note = row.note.as_deref().unwrap_or("");
    assert!(
        note.contains("1.53 is outbound or reception")
            && note.contains("7 is vehicle_operation or vehicle_purchase"),
        "{note}"
    );
}

/// The 重庆市交通委员会 2018 budget narrative (text and its HTML fragment):
/// a budget with its unit, and no table (they were images).
#[test]
fn chongqing_narrative_text_has_no_tables() {
    let Some(root) = corpus() else { return };
    for rel in [
        "text/cqjtw_2018_dept_budget_shuoming.txt",
        "text/cqjtw_2018_dept_budget_shuoming.fragment.html",
    ] {
        let r = extract(&root.join(rel));
        assert!(r.error.is_none(), "{rel}: {:?}", r.error);
        assert_eq!(r.document.kind, Some(DocumentKind::Budget), "{rel}");
        assert_unit(rel, &r);
        assert!(r.tables.is_empty(), "{rel}: {} tables", r.tables.len());
    }
}

/// A narrative sentence naming a table ("…2018年政府性基金支出预算支出0万元。
/// 与上年相比…", page 28) is no table: one 政府性基金 table, the real one.
#[test]
fn a_narrative_sentence_is_no_table_title() {
    let Some(root) = corpus() else { return };
    let r = extract(
        &root.join("raw/open-budget-jiangsu/江苏省人大办公厅/省人大办公厅2018预算公开.pdf"),
    );
    let funds: Vec<&Vec<u32>> = r
        .tables
        .iter()
        .filter(|t| t.kind == "budget_government_fund")
        .map(|t| &t.pages)
        .collect();
    assert_eq!(funds.len(), 1, "{funds:?}");
    assert!(!r.flags.iter().any(|f| f.check == "meta.duplicate_table"));
    // Its labels are printed on the line above each title ("公开 09 表").
    let labels: Vec<Option<&str>> = r.tables.iter().map(|t| t.label.as_deref()).collect();
    assert_eq!(
        labels.first().copied().flatten(),
        Some("公开01表"),
        "{labels:?}"
    );
    assert!(labels.iter().all(Option::is_some), "{labels:?}");
}

/// A table continued on the next page under its title printed again (the
/// 2017 政府采购预算表 of 江苏省政协, pages 12–13) is one table.
#[test]
fn a_repeated_title_over_a_continuation_is_one_table() {
    let Some(root) = corpus() else { return };
    let r =
        extract(&root.join("raw/open-budget-jiangsu/江苏省政协办公厅/2017年度部门预算公开表.pdf"));
    let procurement: Vec<&gongkai::record::Table> = r
        .tables
        .iter()
        .filter(|t| t.kind == "budget_procurement")
        .collect();
    assert_eq!(procurement.len(), 1);
    assert_eq!(procurement[0].pages, [12, 13]);
    assert!(!r.flags.iter().any(|f| f.check == "meta.duplicate_table"));
}
