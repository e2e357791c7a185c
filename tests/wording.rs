//! The auditor's findings beyond arithmetic, each on the seed or on a
//! variant of it made here (one sentence changed), asserting the flag, its
//! page and its snippet as printed; and on corpus documents where the
//! document itself has the finding (skipped without `../shared`).

use std::collections::HashSet;

use gongkai::record::{Flag, Record, Severity};

use crate::util::*;

fn seed_text() -> String {
    std::fs::read_to_string(sample("seed_changzhi_2022_final.txt"))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The seed with `from` replaced by `to` (which must occur).
fn variant(from: &str, to: &str) -> Record {
    let text = seed_text();
    assert!(text.contains(from), "the seed prints {from:?}");
    let changed = text.replacen(from, to, 1);
    extractor().extract_bytes(changed.as_bytes(), "variant.txt", None)
}

fn flags<'a>(r: &'a Record, check: &str) -> Vec<&'a Flag> {
    r.flags.iter().filter(|f| f.check == check).collect()
}

fn one<'a>(r: &'a Record, check: &str) -> &'a Flag {
    let found = flags(r, check);
    assert_eq!(
        found.len(),
        1,
        "{check}: {:#?}",
        r.flags
            .iter()
            .map(|f| (&f.check, &f.message))
            .collect::<Vec<_>>()
    );
    found[0]
}

fn snippet(f: &Flag) -> &str {
    f.snippet.as_deref().unwrap_or("")
}

#[test]
fn the_seed_has_its_repeated_phrase_and_doubled_stops() {
    let r = extract(&sample("seed_changzhi_2022_final.txt"));
    let f = one(&r, "text.repeated_phrase");
    assert_eq!(f.severity, Severity::Info);
    assert!(
        f.message.contains("“主要原因是” is written twice"),
        "{}",
        f.message
    );
    assert!(
        snippet(f).contains("主要原因是主要原因是个人工资"),
        "{}",
        snippet(f)
    );
    let doubled = flags(&r, "text.doubled_punctuation");
    assert!(
        doubled
            .iter()
            .any(|f| snippet(f).contains("政务公开专区建设项目。。")),
        "{doubled:#?}"
    );
    // The corrected sentence raises neither.
    let fixed = variant(
        "主要原因是主要原因是个人工资奖金津补贴标准提高，同时新增政务公开专区建设项目。。",
        "主要原因是个人工资奖金津补贴标准提高，同时新增政务公开专区建设项目。",
    );
    assert!(flags(&fixed, "text.repeated_phrase").is_empty());
    assert!(!flags(&fixed, "text.doubled_punctuation")
        .iter()
        .any(|f| snippet(f).contains("专区建设项目。。")));
}

#[test]
fn template_residue_is_quoted_as_printed() {
    let r = variant(
        "财政拨款收入总计增加3,781,830.18元，增长77.87%",
        "财政拨款收入总计增加（减少）3,781,830.18元，增长（下降）77.87%",
    );
    let found = flags(&r, "text.unfilled_alternative");
    assert_eq!(found.len(), 2, "{found:#?}");
    // Full-width brackets as printed, not the normalized "(减少)".
    assert!(
        snippet(found[0]).contains("增加（减少）3,781,830.18元"),
        "{}",
        snippet(found[0])
    );
    assert!(found[0].message.contains("增加(减少)"));
    let r = variant(
        "主要原因是个人工资奖金津补贴标准提高，同时新增政务公开专区建设项目。\n\n五、",
        "主要原因是。\n\n五、",
    );
    let f = one(&r, "text.reason_not_given");
    assert!(snippet(f).contains("主要原因是。"), "{}", snippet(f));
    let r = variant(
        "长治市政务服务中心2022年财政拨款决算支出",
        "XX单位2022年财政拨款决算支出",
    );
    let f = one(&r, "text.placeholder");
    assert!(f.message.contains("“XX”"));
    assert!(snippet(f).contains("XX单位2022年财政拨款决算支出"));
}

#[test]
fn years_and_names_of_another_time() {
    // A final account of 2022 compares with 2021; 2020 is neither.
    let r = variant(
        "与2021年相比，财政拨款收入总计",
        "与2020年预算相比，财政拨款收入总计",
    );
    let f = one(&r, "text.year");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("2020"), "{}", f.message);
    assert!(snippet(f).contains("与2020年预算相比"));
    // The seed names class 210 卫生健康支出; the name before 2019 is flagged.
    let r = variant("210\t卫生健康支出", "210\t医疗卫生与计划生育支出");
    let f = one(&r, "text.outdated_name");
    assert!(f.message.contains("卫生健康支出"), "{}", f.message);
    let seed = extract(&sample("seed_changzhi_2022_final.txt"));
    assert!(flags(&seed, "text.outdated_name").is_empty());
    assert!(flags(&seed, "text.year").is_empty());
}

#[test]
fn a_section_with_nothing_under_it_and_brackets_that_do_not_pair() {
    let text = seed_text();
    let start = text
        .find("二、收入决算情况说明\n")
        .unwrap_or_else(|| panic!("section"));
    let end = text[start..]
        .find("三、支出决算情况说明")
        .map(|e| start + e)
        .unwrap_or_else(|| panic!("next"));
    let emptied = format!("{}二、收入决算情况说明\n\n{}", &text[..start], &text[end..]);
    let r = extractor().extract_bytes(emptied.as_bytes(), "emptied.txt", None);
    let f = one(&r, "text.empty_section");
    assert!(f.message.contains("二、收入决算情况说明"), "{}", f.message);
    assert!(flags(
        &extract(&sample("seed_changzhi_2022_final.txt")),
        "text.empty_section"
    )
    .is_empty());
    let r = variant(
        "其中：财政拨款收入8,638,621.12元，",
        "其中：财政拨款收入（含结转8,638,621.12元，",
    );
    let f = one(&r, "text.unbalanced_brackets");
    assert!(snippet(f).contains("（含结转"), "{}", snippet(f));
}

#[test]
fn a_growth_percent_against_its_own_figures_and_direction() {
    let text = "上海市普陀区某局2026年部门预算\n第一部分 部门概况\n一、主要职能\n本部门负责某事。\n\
                上海市普陀区某局2026年部门预算编制说明\n\
                “一般公共服务支出(类)-统计信息事务(款)-统计管理(项)”2026年度预算0.12万元，2025年度预算3.84万元，\
                2025年当年预算执行数为3.39万元，2026年预算安排0.12万元，比2025年预算执行数增加96.46%。\n";
    let r = extractor().extract_bytes(text.as_bytes(), "growth.txt", None);
    let f = one(&r, "narrative.growth_percent");
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.message
            .contains("the text states an increase, the figures are a decrease"),
        "{}",
        f.message
    );
    assert!(
        snippet(f).contains("比2025年预算执行数增加96.46%"),
        "{}",
        snippet(f)
    );
    let right = text.replace("增加96.46%", "减少96.46%");
    let r = extractor().extract_bytes(right.as_bytes(), "growth.txt", None);
    assert!(
        flags(&r, "narrative.growth_percent").is_empty(),
        "{:#?}",
        r.flags
    );
}

#[test]
fn every_flag_is_located_quoted_and_has_a_stable_id() {
    let r = extract(&sample("seed_changzhi_2022_final.txt"));
    let again = extract(&sample("seed_changzhi_2022_final.txt"));
    let ids: Vec<&str> = r.flags.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        again
            .flags
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "ids are unique"
    );
    for f in &r.flags {
        assert_eq!(f.id.len(), 16);
        assert!(!f.message.trim().is_empty());
        if f.locations.iter().any(|l| l.sentence.is_some()) {
            assert!(f.snippet.is_some(), "{f:#?}");
        }
    }
    // A table flag names the table as printed.
    let year = one(&r, "meta.table_year");
    let l = &year.locations[0];
    assert_eq!(l.label.as_deref(), Some("公开04表"));
    assert!(l
        .title
        .as_deref()
        .is_some_and(|t| t.contains("财政拨款收入支出决算总表")));
    // A narrative amount flag gives its amounts in the printed unit.
    let sum = flags(&r, "narrative.sum");
    let with_unit = sum
        .iter()
        .find(|f| f.severity == Severity::Error)
        .unwrap_or_else(|| panic!("{sum:#?}"));
    assert_eq!(
        with_unit.printed_unit.as_ref().map(|p| p.unit.as_str()),
        Some("元")
    );
}

#[test]
fn one_wrong_cell_is_one_flag_with_its_relations_related() {
    // 行政运行's 项目支出 printed in another row: its row sum and its
    // parent's column sum both fail; one flag names the cell.
    let text = seed_text();
    let Some(line) = text
        .lines()
        .find(|l| l.starts_with("2010350"))
        .map(str::to_string)
    else {
        return;
    };
    let cells: Vec<&str> = line.split('\t').collect();
    let Some(amount) = cells
        .iter()
        .skip(2)
        .find(|c| c.contains('.') && **c != cells[2])
    else {
        return;
    };
    let doubled = format!("{amount}0");
    let changed = text.replacen(&line, &line.replacen(amount, &doubled, 1), 1);
    let r = extractor().extract_bytes(changed.as_bytes(), "cell.txt", None);
    let folded: Vec<&Flag> = r.flags.iter().filter(|f| !f.related.is_empty()).collect();
    assert!(
        !folded.is_empty(),
        "{:#?}",
        r.flags.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
    let f = folded[0];
    assert!(f.message.contains("is in all"), "{}", f.message);
    assert!(f
        .related
        .iter()
        .all(|r| !r.id.is_empty() && !r.message.is_empty()));
    // The related relations are not flags of their own.
    for rel in &f.related {
        assert!(!r.flags.iter().any(|g| g.id == rel.id));
    }
}

#[test]
fn accepted_findings_are_marked() {
    let r = extract(&sample("seed_changzhi_2022_final.txt"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let accept = dir.path().join("accepted.txt");
    let first = &r.flags[0];
    std::fs::write(
        &accept,
        format!(
            "# reviewed\n{} the 2023 date is a typo of the document\n",
            first.id
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = gongkai(&[
        "extract",
        sample("seed_changzhi_2022_final.txt")
            .to_str()
            .unwrap_or_default(),
        "--accept",
        accept.to_str().unwrap_or_default(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record: Record = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let marked: Vec<&Flag> = record.flags.iter().filter(|f| f.accepted).collect();
    assert_eq!(marked.len(), 1);
    assert_eq!(marked[0].id, first.id);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{} findings not in --accept", r.flags.len() - 1)),
        "{stderr}"
    );
}

#[test]
fn corpus_documents_with_the_findings_they_print() {
    let Some(shared) = shared() else {
        eprintln!("skipped: ../shared is absent");
        return;
    };
    let gbc = shared.join("corpus/raw/govbudgetchecker");
    let cases: [(&str, &str, u32, &str); 5] = [
        (
            "unit_budget.pdf",
            "text.unfilled_alternative",
            6,
            "增加（减少）的主要原因是业务量增加",
        ),
        (
            "unit_budget.pdf",
            "text.reason_not_given",
            21,
            "与2025年预算数持平，主要原因是。",
        ),
        (
            "shpt_sfj_2026_budget.pdf",
            "text.outdated_name",
            9,
            "医疗卫生与计划生育支出（210类）",
        ),
        (
            "shpt_sfj_2026_budget.pdf",
            "narrative.growth_percent",
            9,
            "2026年预算安排3845.49万元，比2025年预算执行数增加17.62%",
        ),
        (
            "上海市普陀区规划和自然资源局 2024 年度部门决算.pdf",
            "text.unfilled_alternative",
            25,
            "下降（增长）27.78%",
        ),
    ];
    for (file, check, page, printed) in cases {
        let path = gbc.join(file);
        if !path.exists() {
            continue;
        }
        let r = extract(&path);
        let hit = r
            .flags
            .iter()
            .find(|f| f.check == check && snippet(f).contains(printed))
            .unwrap_or_else(|| panic!("{file}: no {check} quoting {printed:?}"));
        assert!(
            hit.pages.contains(&page),
            "{file}: {check} on {:?}",
            hit.pages
        );
    }
    // The narrative's item amount against its table row: 887.36万元 printed
    // for a row of 873,617.00 元 (87.36万元); truncations are info.
    let path = shared.join("corpus/raw/tianbaoxitong/上海市普陀区财政局部门25年预算.pdf");
    if path.exists() {
        let r = extract(&path);
        let items: Vec<&Flag> = flags(&r, "narrative.item_amount");
        let wrong: Vec<&&Flag> = items
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        assert_eq!(wrong.len(), 1, "{items:#?}");
        assert!(
            snippet(wrong[0]).contains("机关事业单位职业年金缴费支出（项）”887.36万元"),
            "{}",
            snippet(wrong[0])
        );
        assert!(wrong[0].pages.contains(&7));
        assert!(items
            .iter()
            .filter(|f| f.severity != Severity::Error)
            .all(|f| f.severity == Severity::Info));
    }
}

#[test]
fn characters_as_printed_and_figures_left_out() {
    // ⼈ (U+2F08, a Kangxi radical) prints like 人; NFKC hides it, the
    // printed text does not.
    let r = variant(
        "其中，人员经费4,103,408.64元",
        "其中，⼈员经费4,103,408.64元",
    );
    let f = one(&r, "text.radical_characters");
    assert!(f.message.contains("U+2F08"), "{}", f.message);
    assert!(snippet(f).contains("⼈员经费"), "{}", snippet(f));
    let r = variant(
        "其中，人员经费4,103,408.64元",
        "其中，\u{E001}员经费4,103,408.64元",
    );
    assert_eq!(
        one(&r, "text.garbled_characters").severity,
        Severity::Warning
    );
    let r = variant(
        "财政拨款支出增加3,778,696.38元，增长77.75%。",
        "财政拨款支出增加3,778,696.38元，增长%。",
    );
    let f = one(&r, "text.amount_missing");
    assert!(snippet(f).contains("增长%"), "{}", snippet(f));
    let seed = extract(&sample("seed_changzhi_2022_final.txt"));
    for check in [
        "text.radical_characters",
        "text.garbled_characters",
        "text.amount_missing",
        "text.zero_with_change",
    ] {
        assert!(flags(&seed, check).is_empty(), "{check} on the seed");
    }
}

#[test]
fn a_table_the_contents_announce_and_the_document_lacks() {
    let text = seed_text();
    let start = text
        .find("\n国有资本经营预算财政拨款支出决算表\n")
        .unwrap_or_else(|| panic!("table 09"));
    let end = text
        .find("部门决算公开相关信息统计表\n\n公开10表")
        .unwrap_or_else(|| panic!("table 10"));
    // Its contents lines with spaces before the page numbers (the text
    // rendering separates them by tabs, which makes them a grid).
    let cut = format!("{}\n{}", &text[..start], &text[end..]).replace(".....\t", "..... ");
    let r = extractor().extract_bytes(cut.as_bytes(), "cut.txt", None);
    assert!(!r.tables.iter().any(|t| t.kind == "state_capital"));
    let found: Vec<&Flag> = r
        .flags
        .iter()
        .filter(|f| f.message.contains("the contents list"))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{:#?}",
        r.flags.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
    assert!(
        found[0]
            .message
            .contains("国有资本经营预算财政拨款支出决算表"),
        "{}",
        found[0].message
    );
    let seed = extract(&sample("seed_changzhi_2022_final.txt"));
    assert!(!seed
        .flags
        .iter()
        .any(|f| f.message.contains("the contents list")));
}

#[test]
fn a_share_names_the_figure_the_tables_contradict() {
    // The narrative's 差旅费 misprinted; its percentage was computed from the
    // table's 83,700 元.
    let r = variant("差旅费83700元，占比19.92%", "差旅费73700元，占比19.92%");
    let f = flags(&r, "narrative.share")
        .into_iter()
        .find(|f| f.message.contains("差旅费"))
        .unwrap_or_else(|| panic!("{:#?}", r.flags));
    assert_eq!(f.severity, Severity::Error, "{}", f.message);
    assert!(
        f.message
            .contains("the percentage holds with the tables' part, 83700")
            && f.message
                .contains("the text's part is the inconsistent figure"),
        "{}",
        f.message
    );
    assert!(
        snippet(f).contains("差旅费73700元，占比19.92%"),
        "{}",
        snippet(f)
    );
    // The percentage itself misprinted: both figures agree with the tables.
    let r = variant("差旅费83700元，占比19.92%", "差旅费83700元，占比29.92%");
    let f = flags(&r, "narrative.share")
        .into_iter()
        .find(|f| f.message.contains("差旅费"))
        .unwrap_or_else(|| panic!("{:#?}", r.flags));
    assert!(
        f.message.contains("the part agrees with the tables; the whole agrees with the tables; the percentage is the inconsistent figure"),
        "{}",
        f.message
    );
}

#[test]
fn three_public_spent_beyond_its_budget_is_a_warning() {
    let r = extract(&sample("seed_changzhi_2022_final.txt"));
    assert!(flags(&r, "three_public.actual_over_budget").is_empty());
    // Every budget figure of the row lowered under the 18,039.04 元 spent,
    // and the narrative saying so.
    let text = seed_text()
        .replacen(
            "33000.00\t\t33000.00\t\t33000.00\t\t18039.04",
            "15000.00\t\t15000.00\t\t15000.00\t\t18039.04",
            1,
        )
        .replacen("支出预算33,000.00元", "支出预算15,000.00元", 1)
        .replace("完成年初预算的54.66%", "完成年初预算的120.26%");
    let r = extractor().extract_bytes(text.as_bytes(), "variant.txt", None);
    let over = flags(&r, "three_public.actual_over_budget");
    let columns: HashSet<&str> = over
        .iter()
        .filter_map(|f| f.message.split_once('[')?.1.split_once(']').map(|(c, _)| c))
        .collect();
    assert_eq!(
        columns,
        HashSet::from(["total", "vehicle_total", "vehicle_operation"]),
        "{over:#?}"
    );
    for f in over {
        assert_eq!(f.severity, Severity::Warning, "{}", f.message);
        assert!(
            f.message
                .contains("printed 18039.04 but the relation gives 15000"),
            "{}",
            f.message
        );
        assert_eq!(
            f.locations[0].label.as_deref(),
            Some("公开07表"),
            "{:?}",
            f.locations
        );
    }
}

#[test]
fn an_empty_table_needs_its_note() {
    let r = extract(&sample("seed_changzhi_2022_final.txt"));
    assert!(flags(&r, "text.empty_table_unexplained").is_empty());
    // The seed's 公开08表 and 公开09表 print no amount and say 本表无数据;
    // without the notes both are findings.
    let text = seed_text().replace("说明：本表无数据", "说明：");
    let r = extractor().extract_bytes(text.as_bytes(), "variant.txt", None);
    let found = flags(&r, "text.empty_table_unexplained");
    let labels: Vec<&str> = found
        .iter()
        .filter_map(|f| f.locations[0].label.as_deref())
        .collect();
    assert_eq!(labels, ["公开08表", "公开09表"], "{found:#?}");
    assert!(
        found[0]
            .message
            .contains("政府性基金预算财政拨款收入支出决算表 prints no amount"),
        "{}",
        found[0].message
    );
    assert!(
        snippet(found[0]).contains("政府性基金预算财政拨款收入支出决算表"),
        "{}",
        snippet(found[0])
    );
}

#[test]
fn an_empty_table_with_a_note_of_its_own_kind_is_no_finding() {
    // Jiangsu's notes: "注：本部门无该项目", "（无政府性基金支出）".
    for note in [
        "注：本部门无该项目",
        "（无政府性基金支出）",
        "注：我单位无2022年政府性基金支出安排。",
    ] {
        let text = seed_text().replace("说明：本表无数据", note);
        let r = extractor().extract_bytes(text.as_bytes(), "variant.txt", None);
        assert!(
            flags(&r, "text.empty_table_unexplained").is_empty(),
            "{note}: {:#?}",
            r.flags
        );
    }
}

/// `text` with the last occurrence of `from` replaced by `to`.
fn replace_last(text: &str, from: &str, to: &str) -> String {
    let at = text
        .rfind(from)
        .unwrap_or_else(|| panic!("{from:?} is printed"));
    format!("{}{to}{}", &text[..at], &text[at + from.len()..])
}

#[test]
fn tables_and_sections_out_of_the_template_order() {
    let r = extract(&sample("seed_changzhi_2022_final.txt"));
    assert!(flags(&r, "text.table_order").is_empty());
    assert!(flags(&r, "text.section_order").is_empty());
    // The labels of 公开05表 and 公开06表 exchanged: 06 is printed before 05.
    let text = seed_text()
        .replace("公开05表", "公开0X表")
        .replace("公开06表", "公开05表")
        .replace("公开0X表", "公开06表");
    let r = extractor().extract_bytes(text.as_bytes(), "variant.txt", None);
    let f = one(&r, "text.table_order");
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.message
            .starts_with("公开05表 一般公共预算财政拨款支出决算表(二) is printed after 公开06表"),
        "{}",
        f.message
    );
    // 机构设置 told before 主要职能 (the headings exchanged, the contents kept).
    let text = replace_last(&seed_text(), "一、本部门（单位）职责", "一、机构设置情况");
    let text = replace_last(&text, "二、机构设置情况", "二、本部门（单位）职责");
    let r = extractor().extract_bytes(text.as_bytes(), "variant.txt", None);
    let f = one(&r, "text.section_order");
    assert!(
        f.message.contains("comes before")
            && f.message.contains("the template gives 主要职能 first"),
        "{}",
        f.message
    );
    assert!(snippet(f).contains("一、机构设置情况"), "{}", snippet(f));
}
