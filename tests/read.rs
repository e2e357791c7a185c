//! No silent misreads: every record says how much of its document it read
//! (`read`), where each table's unit came from (`unit_source`), and a
//! misread that the reader cannot see is caught by the unit cross-check.
//! Mutants of the seed disclosure stand in for other renderings.

use gongkai::record::{AmountUnit, Record, Table, UnitSource, Verdict};
use serde_json::Value;

use crate::util::*;

fn seed() -> String {
    std::fs::read_to_string(sample("seed_changzhi_2022_final.txt"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn extract_text(text: &str, name: &str) -> Record {
    extractor().extract_bytes(text.as_bytes(), name, None)
}

fn table<'a>(r: &'a Record, kind: &str) -> &'a Table {
    r.tables.iter().find(|t| t.kind == kind).unwrap_or_else(|| {
        panic!(
            "no {kind} in {:?}",
            r.tables.iter().map(|t| &t.kind).collect::<Vec<_>>()
        )
    })
}

/// The seed with the unit line of 公开05表 replaced by `unit` (the line
/// and what follows up to its grid).
fn seed_with_05_unit(unit: &str) -> String {
    let seed = seed();
    let start = seed
        .find("公开05表")
        .unwrap_or_else(|| panic!("the seed prints 公开05表"));
    let at = start
        + seed[start..]
            .find("金额单位：元\n")
            .unwrap_or_else(|| panic!("公开05表 prints its unit"));
    format!(
        "{}{unit}{}",
        &seed[..at],
        &seed[at + "金额单位：元\n".len()..]
    )
}

fn total(t: &Table) -> String {
    t.rows
        .iter()
        .find(|r| r.line.as_deref() == Some("total") || r.name.as_deref() == Some("合计"))
        .and_then(|r| r.values.get("total"))
        .map(|v| v.normalize().to_string())
        .unwrap_or_default()
}

#[test]
fn the_seed_is_read_completely_and_says_so() {
    let r = extract(&sample("seed_changzhi_2022_final.txt"));
    assert_eq!(r.read.verdict, Verdict::Complete, "{:?}", r.read.reasons);
    assert!(r.read.reasons.is_empty());
    let t = r.read.table_amounts;
    assert!(t.printed >= 400, "{t:?}");
    assert_eq!(t.captured, t.printed);
    // Every table says where its unit was read: the seed prints each.
    for table in &r.tables {
        assert!(
            table.unit_source.is_some_and(|s| !s.is_inferred()),
            "{}: {:?}",
            table.kind,
            table.unit_source
        );
    }
    // "金额单位：" / "元" on two lines.
    assert_eq!(table(&r, "income").unit_source, Some(UnitSource::SplitLine));
}

#[test]
fn a_unit_that_is_not_printed_is_inferred_from_evidence_and_flagged() {
    let r = extract_text(&seed_with_05_unit(""), "no-unit-05.txt");
    let t = table(&r, "general_budget_expenditure");
    assert_eq!(t.amount_unit, Some(AmountUnit::Yuan));
    assert_eq!(t.unit_source, Some(UnitSource::InferredTable));
    assert_eq!(total(t), "8638621.12");
    assert!(r.flags.iter().any(|f| f.check == "meta.amount_unit_missing"
        && f.locations[0].table.as_deref() == Some("general_budget_expenditure")));
    // Inferred from evidence, the record is still complete.
    assert_eq!(r.read.verdict, Verdict::Complete, "{:?}", r.read.reasons);
}

#[test]
fn a_unit_that_nothing_gives_is_never_defaulted_silently() {
    // Every unit line gone: the narrative, which states the same totals in
    // 元, is the evidence.
    let no_units = seed()
        .replace("金额单位：元\n", "")
        .replace("金额单位：\n元\n", "");
    let r = extract_text(&no_units, "no-units.txt");
    let t = table(&r, "general_budget_expenditure");
    assert_eq!(t.unit_source, Some(UnitSource::InferredNarrative));
    assert_eq!(total(t), "8638621.12");
    // The tables alone, without the narrative: nothing gives the unit.
    let cut = no_units
        .find("第三部分 情况说明\n")
        .unwrap_or_else(|| panic!("the seed has a narrative part"));
    let r = extract_text(&no_units[..cut], "no-units-no-narrative.txt");
    let assumed: Vec<&str> = r
        .tables
        .iter()
        .filter(|t| t.unit_source == Some(UnitSource::Assumed))
        .map(|t| t.kind.as_str())
        .collect();
    assert!(
        assumed.contains(&"general_budget_expenditure"),
        "{assumed:?}"
    );
    assert_eq!(r.read.verdict, Verdict::Partial);
    for kind in &assumed {
        assert!(
            r.read
                .reasons
                .iter()
                .any(|x| x.kind == "amount_unit_unknown" && x.table.as_deref() == Some(*kind)),
            "{kind}: {:?}",
            r.read.reasons
        );
        assert!(r.flags.iter().any(|f| f.check == "meta.amount_unit_missing"
            && f.severity == gongkai::record::Severity::Warning
            && f.locations[0].table.as_deref() == Some(*kind)));
    }
}

#[test]
fn a_table_read_in_the_wrong_unit_is_caught_by_the_cross_check() {
    // 公开05表 claims 万元 while it prints the same yuan as the others: its
    // amounts come out 10⁴ too large. The reader cannot know; the unit
    // cross-check sees one quantity in two units and names both tables.
    let r = extract_text(&seed_with_05_unit("金额单位：万元\n"), "wrong-unit-05.txt");
    let t = table(&r, "general_budget_expenditure");
    assert_eq!(total(t), "86386211200");
    let f = r
        .flags
        .iter()
        .find(|f| {
            f.check == "meta.amount_unit_mismatch"
                && f.locations
                    .iter()
                    .any(|l| l.table.as_deref() == Some("general_budget_expenditure"))
        })
        .unwrap_or_else(|| panic!("no unit cross-check flag: {:?}", r.flags));
    assert_eq!(f.locations.len(), 2, "{f:?}");
    // The seed as printed raises none.
    let seed = extract(&sample("seed_changzhi_2022_final.txt"));
    assert!(!seed
        .flags
        .iter()
        .any(|f| f.check == "meta.amount_unit_mismatch"));
}

#[test]
fn a_grid_no_pattern_knows_is_kept_and_the_record_is_partial() {
    let grid =
        "\n某某统计表\n指标\t数值甲\t数值乙\n一\t1,234.00\t5,678.00\n二\t2,345.00\t6,789.00\n";
    let text = seed().replace(
        "\n第三部分 情况说明\n",
        &format!("{grid}\n第三部分 情况说明\n"),
    );
    let r = extract_text(&text, "unknown-grid.txt");
    let kept = table(&r, "unrecognized");
    assert_eq!(kept.title, "某某统计表");
    assert!(kept
        .rows
        .iter()
        .any(|row| row.printed.values().any(|v| v == "5,678.00")));
    assert!(
        kept.rows.iter().all(|row| row.values.is_empty()),
        "no unit, no values"
    );
    assert_eq!(r.read.verdict, Verdict::Partial);
    assert!(r
        .read
        .reasons
        .iter()
        .any(|x| x.kind == "unrecognized_table"));
    assert_eq!(
        r.read.table_amounts.printed - r.read.table_amounts.captured,
        4
    );
    assert!(r.flags.iter().any(|f| f.check == "read.unrecognized_table"));
}

#[test]
fn a_table_under_an_unfamiliar_title_is_recognized_by_its_header_and_says_so() {
    let text = seed().replace(
        "\n一般公共预算财政拨款支出决算表（一）\n",
        "\n某某新式报表\n",
    );
    let r = extract_text(&text, "unknown-title.txt");
    let t = table(&r, "general_budget_expenditure");
    assert_eq!(t.recognized_by, Some(gongkai::record::RecognizedBy::Header));
    assert_eq!(t.title, "某某新式报表");
    assert_eq!(total(t), "8638621.12");
    let seed = extract(&sample("seed_changzhi_2022_final.txt"));
    let by_title = table(&seed, "general_budget_expenditure");
    assert_eq!(t.rows, by_title.rows);
    assert_eq!(r.read.verdict, Verdict::Complete, "{:?}", r.read.reasons);
}

#[test]
fn what_is_no_disclosure_says_so() {
    let landing = extract(&root().join("tests/fixtures/swu_landing_2023_budget.html"));
    assert!(landing.error.is_none());
    assert_eq!(
        landing.read.verdict,
        Verdict::NotADisclosure,
        "{:?}",
        landing.read
    );
    assert_eq!(landing.read.reasons[0].kind, "nothing_read");
    for (name, text) in [
        ("empty.html", "<html><body><p>无相关内容</p></body></html>"),
        (
            "notice.txt",
            "关于开展2023年度部门决算公开情况检查的通知\n各单位：\n请于6月30日前完成自查，检查内容包括公开时限、公开内容和表格完整性。\n",
        ),
    ] {
        let r = extract_text(text, name);
        assert_eq!(r.read.verdict, Verdict::NotADisclosure, "{name}: {:?}", r.read);
        assert!(r.tables.is_empty() && r.narrative.is_empty());
    }
    // A failed document is failed, not "not a disclosure".
    let r = extractor().extract_bytes(b"%PDF-1.7 truncated", "broken.pdf", None);
    assert!(r.error.is_some());
    assert_eq!(r.read.verdict, Verdict::Failed);
}

#[test]
fn the_store_and_stats_report_the_verdicts() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = dir.path().join("d.sqlite");
    let landing = root().join("tests/fixtures/swu_landing_2023_budget.html");
    let seed_file = sample("seed_changzhi_2022_final.txt");
    let unknown = dir.path().join("unknown-title.txt");
    std::fs::write(
        &unknown,
        seed().replace(
            "\n第三部分 情况说明\n",
            "\n某某统计表\n指标\t数值甲\n一\t1,234.00\n二\t2,345.00\n\n第三部分 情况说明\n",
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let db_arg = db.display().to_string();
    let (seed_arg, landing_arg, unknown_arg) = (
        seed_file.display().to_string(),
        landing.display().to_string(),
        unknown.display().to_string(),
    );
    ok(&[
        "extract",
        "--db",
        &db_arg,
        &seed_arg,
        &landing_arg,
        &unknown_arg,
    ]);
    let stats: Value = serde_json::from_str(&ok(&["stats", "--json", "--db", &db_arg]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stats["read"]["complete"], 1, "{}", stats["read"]);
    assert_eq!(stats["read"]["partial"], 1);
    assert_eq!(stats["read"]["not_a_disclosure"], 1);
    let partial = stats["partial"].as_array().cloned().unwrap_or_default();
    assert_eq!(partial.len(), 1);
    assert!(partial[0]["source"]
        .as_str()
        .is_some_and(|s| s.ends_with("unknown-title.txt")));
    let printed = stats["amounts_printed"].as_i64().unwrap_or(0);
    let captured = stats["amounts_captured"].as_i64().unwrap_or(0);
    assert!(printed > captured && captured > 0, "{printed} {captured}");
    // The complete records alone, in the long format.
    let export = |verdict: &str| {
        ok(&[
            "export", "--db", &db_arg, "--format", "csv", "--read", verdict,
        ])
    };
    let csv = export("complete");
    let lines: Vec<&str> = csv.lines().skip(1).collect();
    assert!(lines.len() > 100, "{}", lines.len());
    assert!(lines
        .iter()
        .all(|l| l.contains("seed_changzhi_2022_final.txt")));
    let csv = export("partial");
    assert!(csv.lines().skip(1).all(|l| l.contains("unknown-title.txt")));
}

/// Runs gongkai, which must succeed, and returns its standard output.
fn ok(args: &[&str]) -> String {
    let out = gongkai(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_code_column_that_is_not_recognized_is_said() {
    let seed = seed();
    let at = seed.find("公开05表").unwrap_or_else(|| panic!("公开05表"));
    let header = "功能分类科目编码\t科目名称";
    let h = at
        + seed[at..]
            .find(header)
            .unwrap_or_else(|| panic!("its header"));
    let with = |heading: &str| {
        format!(
            "{}{heading}\t科目名称{}",
            &seed[..h],
            &seed[h + header.len()..]
        )
    };
    // Another wording of the code heading is read.
    let r = extract_text(&with("支出功能科目编号"), "code-heading.txt");
    let t = table(&r, "general_budget_expenditure");
    assert!(t
        .rows
        .iter()
        .any(|row| row.code.as_deref() == Some("2010301")));
    assert_eq!(r.read.verdict, Verdict::Complete, "{:?}", r.read.reasons);
    // One no pattern knows: the rows keep their names and amounts, and the
    // record says that their codes, and the checks by code, are missing.
    let r = extract_text(&with("分类号"), "unknown-code-heading.txt");
    assert_eq!(r.read.verdict, Verdict::Partial);
    assert!(
        r.read.reasons.iter().any(|x| x.kind == "codes_missing"
            && x.table.as_deref() == Some("general_budget_expenditure")),
        "{:?}",
        r.read.reasons
    );
}
