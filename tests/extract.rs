//! `gongkai extract` on the seed in every rendering, against the golden record.

use std::collections::BTreeMap;

use crate::util::*;

#[test]
fn seed_text_matches_golden() {
    let record = extract(&sample("seed_changzhi_2022_final.txt"));
    assert_matches_golden(&record, "seed text");
    let doc = &record.document;
    assert_eq!(doc.unit.as_deref(), Some("长治市政务服务中心"));
    assert_eq!(doc.year, Some(2022));
}

#[test]
fn seed_html_matches_golden() {
    let record = extract(&sample("d_wp_portrait_uming.html"));
    assert_matches_golden(&record, "seed HTML");
}

/// The golden record is checked against the seed text independently of the
/// recognizer: within each 公开 table, the printed numbers in the seed's
/// tab-separated cells (line-number columns and column-number rows aside)
/// must be exactly the printed values of the golden table.
#[test]
fn golden_holds_every_printed_number_of_the_seed() {
    let seed = std::fs::read_to_string(sample("seed_changzhi_2022_final.txt")).unwrap_or_default();
    let golden = golden();
    // Split the seed into sections at each 公开NN表 label line.
    let mut sections: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut line_no_columns: Vec<usize> = Vec::new();
    for line in seed.lines() {
        let t = line.trim();
        if t.starts_with("公开") && t.ends_with('表') && t.len() <= 12 {
            current = Some(t.to_string());
            line_no_columns.clear();
            continue;
        }
        if t.starts_with("第三部分") {
            current = None;
        }
        if let (Some(c), true) = (&current, line.contains('\t')) {
            let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
            if cells.contains(&"行次") {
                line_no_columns = (0..cells.len()).filter(|&i| cells[i] == "行次").collect();
            }
            if cells.first().is_some_and(|c| *c == "栏次")
                || cells
                    .iter()
                    .filter(|c| !c.is_empty())
                    .all(|c| c.parse::<u32>().is_ok())
            {
                continue;
            }
            for (i, cell) in cells.into_iter().enumerate() {
                if line_no_columns.contains(&i) {
                    continue;
                }
                let squashed: String = cell.chars().filter(|c| !c.is_whitespace()).collect();
                if gongkai::normalize::parse_amount(&squashed).is_some()
                    && !(squashed.len() >= 3
                        && squashed.len() <= 7
                        && squashed.chars().all(|c| c.is_ascii_digit())
                        && squashed.len() % 2 == 1)
                {
                    sections.entry(c.clone()).or_default().push(squashed);
                }
            }
        }
    }
    assert_eq!(
        sections.len(),
        8,
        "sections with numbers: {:?}",
        sections.keys().collect::<Vec<_>>()
    );
    for (label, mut want) in sections {
        let table = golden["tables"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["label"] == label.as_str()))
            .unwrap_or_else(|| panic!("no golden table labelled {label}"));
        let mut got: Vec<String> = Vec::new();
        for row in table["rows"].as_array().cloned().unwrap_or_default() {
            for v in row["printed"]
                .as_object()
                .cloned()
                .unwrap_or_default()
                .values()
            {
                let v = v.as_str().unwrap_or("");
                if gongkai::normalize::parse_amount(v).is_some() {
                    got.push(v.to_string());
                }
            }
        }
        got.sort();
        want.sort();
        assert_eq!(want, got, "{label}: the seed's printed numbers (left) against the golden's printed values (right)");
    }
}

#[test]
fn amounts_are_exact_yuan_strings() {
    let record = extract(&sample("seed_changzhi_2022_final.txt"));
    let json = serde_json::to_value(&record).unwrap_or_default();
    let summary = &json["tables"][0];
    assert_eq!(summary["kind"], "income_expenditure_summary");
    let first = &summary["rows"][0];
    assert_eq!(first["values"]["amount"], "8638621.12");
    assert_eq!(first["side"], "income");
    assert_eq!(first["line"], "general_budget_appropriation");
}

#[test]
fn published_schema_is_in_sync_with_the_types() {
    let published =
        std::fs::read_to_string(root().join("schema/record.schema.json")).unwrap_or_default();
    assert_eq!(
        published.trim(),
        gongkai::record::json_schema().trim(),
        "schema/record.schema.json is stale: run `cargo run -- schema > schema/record.schema.json`"
    );
}

#[test]
fn records_validate_against_the_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&gongkai::record::json_schema()).unwrap_or_default();
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("schema: {e}"));
    for name in ["seed_changzhi_2022_final.txt", "d_wp_portrait_uming.html"] {
        let record = serde_json::to_value(extract(&sample(name))).unwrap_or_default();
        let errors: Vec<String> = validator
            .iter_errors(&record)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .take(5)
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    // A failed record validates too.
    let bad = extractor().extract_bytes(b"", "empty.pdf", None);
    assert!(validator.is_valid(&serde_json::to_value(bad).unwrap_or_default()));
}

#[test]
fn seed_pdf_libreoffice_matches_golden() {
    assert_matches_golden(
        &extract(&sample("a_portrait_uming.pdf")),
        "a_portrait_uming.pdf",
    );
}

#[test]
fn seed_pdf_weasyprint_portrait_matches_golden() {
    assert_matches_golden(
        &extract(&sample("d_wp_portrait_uming.pdf")),
        "d_wp_portrait_uming.pdf",
    );
}

#[test]
fn seed_pdf_weasyprint_landscape_matches_golden() {
    assert_matches_golden(
        &extract(&sample("e_wp_landscape_uming.pdf")),
        "e_wp_landscape_uming.pdf",
    );
}

/// `gongkai extract | head`: the reader closing the pipe is success, and
/// nothing is said about it.
#[test]
fn a_closed_stdout_is_success() {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .arg("extract")
        .arg(root().join("samples"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut first = [0u8; 64];
    if let Some(out) = child.stdout.as_mut() {
        out.read_exact(&mut first).unwrap_or_else(|e| panic!("{e}"));
    }
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
}

/// `extract` ends with one line on stderr: records by verdict, failures by kind.
#[test]
fn extract_ends_with_a_summary_line() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(d.path().join("a.pdf"), b"%PDF-1.4 broken").unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(
        sample("seed_changzhi_2022_final.txt"),
        d.path().join("seed.txt"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = gongkai(&["extract", &d.path().display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("gongkai: read 2 records: 1 complete, 1 failed (failed by kind: "),
        "{err}"
    );
}
