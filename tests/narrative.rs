//! Narrative facts (情况说明) against the seed's golden file, its coverage of
//! every printed number, the attached self-evaluation tables, and two corpus
//! narratives of other regions (skipped when `../shared` is absent).
//!
//! To rewrite the golden file after a reviewed change:
//! `GONGKAI_BLESS=1 cargo test --test tests narrative`.

use std::collections::BTreeMap;
use std::str::FromStr;

use gongkai::narrative;
use gongkai::record::NarrativeFact;
use regex::Regex;
use rust_decimal::Decimal;

const SEED: &str = "seed_changzhi_2022_final.txt";
const GOLDEN: &str = "seed_changzhi_2022_final.narrative.json";

fn seed_facts() -> Vec<NarrativeFact> {
    let record = crate::util::extract(&crate::util::sample(SEED));
    assert!(record.error.is_none(), "{:?}", record.error);
    record.narrative
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn find<'a>(
    facts: &'a [NarrativeFact],
    fact: &str,
    subject: Option<&str>,
) -> Vec<&'a NarrativeFact> {
    facts
        .iter()
        .filter(|f| f.fact == fact && (subject.is_none() || f.subject.as_deref() == subject))
        .collect()
}

#[test]
fn seed_narrative_matches_golden() {
    let got = seed_facts();
    let path = crate::util::sample(GOLDEN);
    if std::env::var_os("GONGKAI_BLESS").is_some() {
        let text = serde_json::to_string_pretty(&got).unwrap_or_default();
        std::fs::write(&path, text + "\n").unwrap_or_else(|e| panic!("{e}"));
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{GOLDEN}: {e}"));
    let want: Vec<NarrativeFact> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{GOLDEN}: {e}"));
    let mut problems = Vec::new();
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        if w != g {
            problems.push(format!("fact {i}:\n want {w:?}\n  got {g:?}"));
        }
    }
    if want.len() != got.len() {
        problems.push(format!("{} facts wanted, {} found", want.len(), got.len()));
    }
    assert!(
        problems.is_empty(),
        "{}",
        problems.into_iter().take(8).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn seed_html_rendering_gives_the_same_facts() {
    let html = crate::util::extract(&crate::util::sample("d_wp_portrait_uming.html"));
    assert!(html.error.is_none(), "{:?}", html.error);
    let text = seed_facts();
    assert_eq!(html.narrative.len(), text.len());
    for (h, t) in html.narrative.iter().zip(&text) {
        assert_eq!(h, t);
    }
}

/// A hand-written selection from the seed text, independent of the golden.
#[test]
fn seed_key_facts_by_hand() {
    let f = seed_facts();
    let one = |fact: &str, subject: Option<&str>| {
        let v = find(&f, fact, subject);
        assert!(!v.is_empty(), "no {fact} {subject:?}");
        v[0].clone()
    };
    let amount = |fact: &str, subject: Option<&str>| one(fact, subject).amount_yuan;
    assert_eq!(amount("income_total", None), Some(d("8638621.12")));
    assert_eq!(amount("expenditure_total", None), Some(d("8638621.12")));
    assert_eq!(amount("income_total_change", None), Some(d("3781830.18")));
    assert_eq!(
        one("income_total_change_percent", None).percent,
        Some(d("77.87"))
    );
    assert_eq!(
        amount("expenditure_total_change", None),
        Some(d("3778696.38"))
    );
    let src = one("income_source", Some("财政拨款收入"));
    assert_eq!(
        (src.amount_yuan, src.percent),
        (Some(d("8638621.12")), Some(d("100.00")))
    );
    assert_eq!(find(&f, "income_source", None).len(), 6);
    let basic = one("expenditure_basic", None);
    assert_eq!(
        (basic.amount_yuan, basic.percent),
        (Some(d("4482843.52")), Some(d("51.89")))
    );
    assert_eq!(one("expenditure_project", None).percent, Some(d("48.11")));
    assert_eq!(find(&f, "expenditure_type", None).len(), 3);
    let class = one("general_budget_class", Some("住房保障支出"));
    assert_eq!(
        (class.amount_yuan, class.percent),
        (Some(d("345671.17")), Some(d("4.00")))
    );
    assert_eq!(find(&f, "general_budget_class", None).len(), 6);
    assert_eq!(
        amount("general_budget_initial_budget", None),
        Some(d("3649100"))
    );
    assert_eq!(
        one("general_budget_completion_percent", None).percent,
        Some(d("236.73"))
    );
    assert_eq!(
        amount("class_budget", Some("社会保障和就业支出")),
        Some(d("295500"))
    );
    assert_eq!(
        amount("class_actual", Some("社会保障和就业支出")),
        Some(d("330410.51"))
    );
    assert_eq!(
        one("class_completion_percent", Some("农林水支出")).percent,
        Some(d("98.34"))
    );
    // 教育支出 has no completion rate printed.
    assert!(find(&f, "class_completion_percent", Some("教育支出")).is_empty());
    assert_eq!(amount("basic_personnel", None), Some(d("4062788.64")));
    assert_eq!(amount("basic_public", None), Some(d("420054.88")));
    let item = one("basic_public_item", Some("工会经费"));
    assert_eq!(
        (item.amount_yuan, item.percent),
        (Some(d("57590.84")), Some(d("13.71")))
    );
    assert_eq!(find(&f, "basic_personnel_item", None).len(), 2);
    assert_eq!(find(&f, "basic_public_item", None).len(), 7);
    assert_eq!(amount("three_public_budget", None), Some(d("33000.00")));
    assert_eq!(amount("three_public_actual", None), Some(d("18039.04")));
    assert_eq!(amount("three_public_change", None), Some(d("-7551.10")));
    assert_eq!(
        one("three_public_change_percent", None).percent,
        Some(d("-29.51"))
    );
    assert_eq!(
        amount("three_public_item_actual", Some("公务用车运行维护费")),
        Some(d("18039.04"))
    );
    assert_eq!(
        amount("three_public_item_change", Some("公务接待费")),
        Some(d("0.00"))
    );
    assert_eq!(find(&f, "vehicles_total", None).len(), 2);
    assert!(find(&f, "vehicles_total", None)
        .iter()
        .all(|v| v.count == Some(d("2"))));
    assert_eq!(amount("operating_expenses", None), Some(d("420054.88")));
    assert_eq!(
        amount("operating_expenses_change", None),
        Some(d("7977.84"))
    );
    assert_eq!(amount("procurement_total", None), Some(d("3804626.64")));
    assert_eq!(amount("procurement_goods", None), Some(d("2264750.00")));
    assert_eq!(amount("procurement_services", None), Some(d("1539876.64")));
    assert_eq!(
        one("procurement_small_micro", None).percent,
        Some(d("100.00"))
    );
    assert_eq!(
        one("vehicles_by_use", Some("机要通信用车")).count,
        Some(d("2"))
    );
    assert_eq!(find(&f, "vehicles_by_use", None).len(), 8);
    assert_eq!(one("equipment_over_1m", None).count, Some(d("0")));
    assert_eq!(
        one("performance_projects_count", Some("二级项目")).count,
        Some(d("3"))
    );
    assert_eq!(amount("performance_funds", None), Some(d("1050000")));
    assert_eq!(
        one("performance_share_percent", None).percent,
        Some(d("24.71"))
    );
    assert_eq!(
        one("self_eval_grade_count", Some("二级项目/良")).count,
        Some(d("2"))
    );
    assert_eq!(
        one("project_score", Some("弱电系统维护费")).score,
        Some(d("85.56"))
    );
    assert_eq!(amount("project_budget", Some("业务费")), Some(d("400000")));
    assert_eq!(
        amount("project_execution", Some("业务费")),
        Some(d("368900"))
    );
    assert_eq!(
        one("project_execution_percent", Some("等保测评经费")).percent,
        Some(d("95"))
    );
    let reasons = find(&f, "reason", None);
    assert!(
        reasons.iter().any(|r| r.printed.contains("912429元")),
        "{reasons:?}"
    );
    // The glossary (第四部分) is never facts.
    assert!(f
        .iter()
        .all(|x| !x.sentence.contains("指单位从同级财政部门取得")));
}

/// Number tokens of the seed's 第三部分 (up to 第四部分), numbering and dates left out.
fn seed_narrative_numbers() -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(crate::util::sample(SEED)).unwrap_or_default();
    let token = Regex::new(r"\d[\d,]*(?:\.\d+)?").unwrap_or_else(|e| panic!("{e}"));
    let mut counts = BTreeMap::new();
    let mut inside = false;
    for raw in text.lines() {
        if raw.contains('\t') {
            continue; // the table of contents and the tables
        }
        let raw = raw.trim_start().strip_prefix("- ").unwrap_or(raw); // list bullets
        let line = gongkai::text::squash(&gongkai::text::normalize(raw));
        if line.starts_with("第三部分") {
            inside = true;
        } else if line.starts_with("第四部分") {
            inside = false;
        }
        if !inside {
            continue;
        }
        for m in token.find_iter(&line) {
            let tok = m.as_str().trim_end_matches(',');
            let after = line[m.start() + tok.len()..].chars().next();
            let before = line[..m.start()].chars().next_back();
            let numbering = (before == Some('(') && after == Some(')'))
                || (m.start() == 0 && after == Some('、'))
                || matches!(after, Some('年' | '月' | '日'));
            if !numbering {
                *counts.entry(tok.to_string()).or_insert(0) += 1;
            }
        }
    }
    counts
}

#[test]
fn every_number_of_the_seed_narrative_is_in_a_fact() {
    let facts = seed_facts();
    let token = Regex::new(r"\d[\d,]*(?:\.\d+)?").unwrap_or_else(|e| panic!("{e}"));
    let mut have: BTreeMap<String, usize> = BTreeMap::new();
    for f in facts
        .iter()
        .filter(|f| f.fact != "performance_indicator" && f.project.is_none())
    {
        for p in std::iter::once(&f.printed).chain(f.printed_percent.as_ref()) {
            for m in token.find_iter(p) {
                *have
                    .entry(m.as_str().trim_end_matches(',').to_string())
                    .or_insert(0) += 1;
            }
        }
    }
    let want = seed_narrative_numbers();
    let total: usize = want.values().sum();
    let missing: Vec<String> = want
        .iter()
        .filter(|(t, n)| have.get(*t).copied().unwrap_or(0) < **n)
        .map(|(t, n)| {
            format!(
                "{t} ×{n} (facts have {})",
                have.get(t).copied().unwrap_or(0)
            )
        })
        .collect();
    eprintln!(
        "seed narrative: {total} numbers printed ({} distinct), {} facts from the text",
        want.len(),
        facts.iter().filter(|f| f.project.is_none()).count()
    );
    assert!(missing.is_empty(), "numbers in no fact: {missing:?}");
    // The seed is fixed: a different count means the tokenizer changed.
    assert_eq!(total, 191, "numbers found in the seed narrative");
}

#[test]
fn self_evaluation_tables_add_up() {
    let f = seed_facts();
    for (project, indicators, total, grade) in [
        ("弱电系统维护费", 15, "85.56", "良"),
        ("网络安全等级保护测评", 12, "87.5", "良"),
        ("业务费", 22, "94.44", "优"),
    ] {
        let of = |id: &str| {
            f.iter()
                .filter(|x| x.fact == id && x.project.as_deref() == Some(project))
                .collect::<Vec<_>>()
        };
        assert_eq!(of("performance_indicator").len(), indicators, "{project}");
        let score = of("selfeval_total_score");
        assert_eq!(score.len(), 1, "{project}");
        assert_eq!(score[0].score, Some(d(total)), "{project}");
        assert_eq!(of("selfeval_grade")[0].printed, grade, "{project}");
        // The indicator scores and the funds score add up to the total.
        let funds: Decimal = of("selfeval_funds_score")
            .iter()
            .filter(|x| x.subject.as_deref() == Some("资金总额"))
            .filter_map(|x| x.score)
            .sum();
        let sum = narrative::selfeval::indicator_score_sum(&f, project) + funds;
        assert_eq!(sum, d(total), "{project}");
        // 分值 never below 得分.
        for i in of("performance_indicator") {
            assert!(i.max_score >= i.score, "{i:?}");
        }
    }
    let exec = f
        .iter()
        .find(|x| x.fact == "selfeval_execution" && x.project.as_deref() == Some("业务费"))
        .and_then(|x| x.amount_yuan);
    assert_eq!(exec, Some(d("368880.00")));
}

fn has(facts: &[NarrativeFact], fact: &str, amount: &str) -> bool {
    facts
        .iter()
        .any(|f| f.fact == fact && f.amount_yuan == Some(d(amount)))
}

#[test]
fn chongqing_budget_narrative() {
    let Some(shared) = crate::util::shared() else {
        eprintln!("skipped: ../shared is absent");
        return;
    };
    let path = shared.join("corpus/text/cqjtw_2018_dept_budget_shuoming.txt");
    let f = crate::util::extract(&path).narrative;
    for (fact, amount) in [
        ("general_budget_income_total", "3249703200.00"),
        ("general_budget_expenditure_total", "3249703200.00"),
        ("general_budget_expenditure_total_change", "-1452615200.00"),
        ("expenditure_basic", "610421700.00"),
        ("expenditure_project", "2639281500.00"),
        ("government_fund_income_total", "386100000.00"),
        ("three_public_budget", "28006800.00"),
        ("three_public_change", "-2951800.00"),
        ("three_public_item_budget", "600000.00"),
        ("operating_expenses", "162521100.00"),
        ("operating_expenses_change", "6549400.00"),
        ("procurement_total", "60604100.00"),
        ("procurement_goods", "47286000.00"),
        ("procurement_works", "0.00"),
        ("procurement_services", "13318100.00"),
        ("performance_target_funds", "2639281500.00"),
    ] {
        assert!(
            has(&f, fact, amount),
            "{fact} = {amount} not found in {f:#?}"
        );
    }
    // The unit description (一、单位基本情况) and the glossary give no facts.
    assert!(f.iter().all(|x| !x.sentence.contains("三级事业单位")));
}

#[test]
fn shanghai_final_account_narrative_from_pdftotext() {
    let Some(shared) = crate::util::shared() else {
        eprintln!("skipped: ../shared is absent");
        return;
    };
    let pdf = shared
        .join("corpus/raw/govbudgetchecker/上海市普陀区规划和自然资源局 2024 年度部门决算.pdf");
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&pdf)
        .arg("-")
        .output();
    let Some(out) = out.ok().filter(|o| o.status.success()) else {
        eprintln!("skipped: pdftotext is not available");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let blocks = gongkai::decode::text::blocks_from_text(&text);
    let f = narrative::read(&blocks, &crate::util::patterns().narrative).facts;
    for (fact, amount) in [
        ("income_expenditure_total", "98593800.00"),
        ("income_expenditure_total_change", "10628500.00"),
        ("income_year_total", "97465000.00"),
        ("expenditure_year_total", "97593800.00"),
        ("expenditure_basic", "53776400.00"),
        ("appropriation_income_expenditure_total", "97465000.00"),
        ("general_budget_expenditure_total", "97465000.00"),
        ("general_budget_initial_budget", "102103400.00"),
        ("basic_personnel", "48969800.00"),
        ("basic_public", "4806600.00"),
        ("three_public_budget", "28500.00"),
        ("three_public_actual", "3900.00"),
        ("three_public_change", "-1500.00"),
        ("three_public_item_change", "-1500.00"),
        ("operating_expenses", "1428000.00"),
        ("operating_expenses_change", "-135200.00"),
        ("procurement_total", "23192100.00"),
        ("procurement_works", "13877200.00"),
    ] {
        assert!(
            has(&f, fact, amount),
            "{fact} = {amount} not found in {f:#?}"
        );
    }
    let class = find(&f, "general_budget_class", Some("自然资源海洋气象等支出"));
    assert_eq!(class.first().and_then(|c| c.percent), Some(d("45.78")));
    assert_eq!(find(&f, "vehicles_by_use", None).len(), 8);
    let completion = find(&f, "general_budget_completion_percent", None);
    assert_eq!(completion.first().and_then(|c| c.percent), Some(d("95.45")));
    let grades = find(&f, "self_eval_grade_count", Some("优"));
    assert_eq!(grades.first().and_then(|c| c.count), Some(d("39")));
}

#[test]
fn shanghai_budget_compilation_notes() {
    let Some(shared) = crate::util::shared() else {
        eprintln!("skipped: ../shared is absent");
        return;
    };
    let path = shared.join("corpus/text/shpt_shiquanlu_jiedao_2026_unit_budget.txt");
    let f = crate::util::extract(&path).narrative;
    for (fact, amount) in [
        ("income_budget_total", "76306100.00"),
        ("expenditure_budget_total", "76306100.00"),
        ("general_budget_expenditure_budget", "72626100.00"),
        ("general_budget_expenditure_budget_change", "-11683700.00"),
        ("government_fund_expenditure_budget", "3680000.00"),
        ("three_public_budget", "85300.00"),
        ("three_public_item_budget", "15300.00"),
        ("operating_expenses", "3860200.00"),
        ("procurement_total", "14071900.00"),
        ("procurement_works", "7695800.00"),
        ("performance_target_funds", "49293100.00"),
    ] {
        assert!(
            has(&f, fact, amount),
            "{fact} = {amount} not found in {f:#?}"
        );
    }
    let line = find(
        &f,
        "line_budget",
        Some("一般公共服务支出(类)-统计信息事务(款)-统计管理(项)"),
    );
    assert_eq!(line.first().and_then(|l| l.amount_yuan), Some(d("1200.00")));
    assert!(find(&f, "line_change_percent", None).len() >= 20);
    assert_eq!(find(&f, "vehicles_by_use", None).len(), 8);
    assert_eq!(find(&f, "vehicles_purchase_by_use", None).len(), 8);
}

/// The PDF renderings of the seed give the same narrative facts as its text,
/// and nearly the same self-evaluation facts: the PDF grids of the attached
/// tables lose at most one indicator row per rendering (a wrapped name cell
/// split by the layout, a row broken over a page).
#[test]
fn seed_pdf_renderings_give_the_same_narrative() {
    let key = |f: &NarrativeFact| {
        (
            f.fact.clone(),
            f.section.clone(),
            f.subject.clone(),
            f.amount_yuan,
            f.percent,
            f.count,
            f.score,
            f.printed.clone(),
            f.printed_percent.clone(),
        )
    };
    let want: Vec<_> = seed_facts()
        .iter()
        .filter(|f| f.project.is_none())
        .map(key)
        .collect();
    for pdf in [
        "a_portrait_uming.pdf",
        "d_wp_portrait_uming.pdf",
        "e_wp_landscape_uming.pdf",
    ] {
        let record = crate::util::extract(&crate::util::sample(pdf));
        assert!(record.error.is_none(), "{pdf}: {:?}", record.error);
        let got: Vec<_> = record
            .narrative
            .iter()
            .filter(|f| f.project.is_none())
            .map(key)
            .collect();
        assert_eq!(got.len(), want.len(), "{pdf}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{pdf}");
        }
        let table_key = |f: &NarrativeFact| {
            (
                f.fact.clone(),
                f.project.clone(),
                f.subject.clone(),
                f.amount_yuan,
                f.percent,
                f.score,
                f.max_score,
                f.printed.clone(),
            )
        };
        let text_tables: Vec<_> = seed_facts()
            .iter()
            .filter(|f| f.project.is_some())
            .map(table_key)
            .collect();
        let pdf_tables: Vec<_> = record
            .narrative
            .iter()
            .filter(|f| f.project.is_some())
            .map(table_key)
            .collect();
        let missing: Vec<_> = text_tables
            .iter()
            .filter(|k| !pdf_tables.contains(k))
            .collect();
        assert!(missing.len() <= 1, "{pdf}: {missing:?}");
        for total in ["85.56", "87.5", "94.44"] {
            assert!(
                record
                    .narrative
                    .iter()
                    .any(|f| f.fact == "selfeval_total_score" && f.score == Some(d(total))),
                "{pdf}: no total {total}"
            );
        }
    }
}
