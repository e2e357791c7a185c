//! Patterns loaded at run time: `gongkai patterns export`, an edited copy
//! given to `--patterns`, `gongkai patterns check` on good and broken folders.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::util::*;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The kinds of the tables in one extracted record.
fn kinds(out: &Output) -> Vec<String> {
    let record: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    record["tables"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|t| t["kind"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn export(dir: &Path) {
    let out = gongkai(&["patterns", "export", &dir.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// The seed with its 公开01表 titled in words no bundled pattern knows is
/// read without that table; a copy of the patterns with the wording added as
/// a title alias reads it, with the same rows as the bundled patterns give
/// the original, and without a rebuild.
#[test]
fn an_edited_copy_of_the_patterns_recognizes_a_new_title() {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let seed = std::fs::read_to_string(sample("seed_changzhi_2022_final.txt"))
        .unwrap_or_else(|e| panic!("{e}"));
    let title = "\n收入支出决算总表\n";
    assert_eq!(
        seed.matches(title).count(),
        1,
        "the seed prints its title once"
    );
    let doc = work.path().join("renamed.txt");
    std::fs::write(&doc, seed.replace(title, "\n单位收入支出全口径总览\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    let doc = doc.display().to_string();

    let bundled = gongkai(&["extract", &doc]);
    assert!(bundled.status.success(), "{}", text(&bundled.stderr));
    let before = kinds(&bundled);
    assert!(
        !before.iter().any(|k| k == "income_expenditure_summary"),
        "{before:?}"
    );
    // Not silently lost: its grid is kept as an unrecognized table and the
    // record says it was not read completely.
    assert_eq!(before[0], "unrecognized", "{before:?}");
    let record: Value = serde_json::from_slice(&bundled.stdout).unwrap_or_default();
    assert_eq!(record["read"]["verdict"], "partial");

    let dir = work.path().join("patterns");
    export(&dir);
    let file = dir.join("final_account/income_expenditure_summary.toml");
    let toml = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    assert!(toml.contains("\ntitles = ["));
    std::fs::write(
        &file,
        toml.replacen(
            "\ntitles = [",
            "\ntitles = ['^单位收入支出全口径总览$', ",
            1,
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));

    let check = gongkai(&["patterns", "check", &dir.display().to_string()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    let listing = text(&check.stdout);
    assert!(listing.contains("income_expenditure_summary"), "{listing}");
    assert!(
        !listing.contains(&patterns().fingerprint),
        "an edited set has another fingerprint"
    );

    let edited = gongkai(&["extract", "--patterns", &dir.display().to_string(), &doc]);
    assert!(edited.status.success(), "{}", text(&edited.stderr));
    let after = kinds(&edited);
    assert_eq!(after.len(), before.len(), "{after:?}");
    assert!(!after.iter().any(|k| k == "unrecognized"), "{after:?}");
    assert_eq!(after[0], "income_expenditure_summary", "{after:?}");
    // Its rows are those of the original title with the bundled patterns.
    let record: Value = serde_json::from_slice(&edited.stdout).unwrap_or_default();
    let original = extract(&sample("seed_changzhi_2022_final.txt"));
    let want = serde_json::to_value(&original.tables[0].rows).unwrap_or_default();
    assert_eq!(record["tables"][0]["rows"], want);
    assert!(!want.as_array().is_some_and(Vec::is_empty));
}

/// The exported set is the bundled set: same fingerprint when loaded back.
#[test]
fn the_exported_set_is_the_bundled_set() {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    export(work.path());
    let loaded = gongkai::Patterns::from_dir(work.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.fingerprint, patterns().fingerprint);
    let check = gongkai(&["patterns", "check", &work.path().display().to_string()]);
    assert!(check.status.success());
    assert!(text(&check.stdout).contains(&patterns().fingerprint));
}

/// A broken file is rejected with its path under the folder and the key.
#[test]
fn patterns_check_names_the_file_and_key_of_a_broken_file() {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = work.path();
    export(dir);
    let shown = dir.display().to_string();
    let file = dir.join("budget/budget_income.toml");
    let toml = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        &file,
        toml.replacen("\ntitles = [", "\ntitles = ['(收入', ", 1),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = gongkai(&["patterns", "check", &shown]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("{shown}/budget/budget_income.toml")) && err.contains("`titles`"),
        "{err}"
    );
    // The same folder given to extract stops it before any document is read.
    let extract = gongkai(&[
        "extract",
        "--patterns",
        &shown,
        "samples/seed_changzhi_2022_final.txt",
    ]);
    assert_eq!(extract.status.code(), Some(2));
    assert!(text(&extract.stderr).contains("budget_income.toml"));

    // A key the schema does not know, in a check file.
    std::fs::write(&file, toml).unwrap_or_else(|e| panic!("{e}"));
    let checks = dir.join("checks/budget.toml");
    let mut c = std::fs::read_to_string(&checks).unwrap_or_else(|e| panic!("{e}"));
    c.push_str("\n[[column_sum]]\nid = 'x'\ntable = 'budget_income'\ntotal = 'total'\nparts = []\nsumm = 1\n");
    std::fs::write(&checks, c).unwrap_or_else(|e| panic!("{e}"));
    let out = gongkai(&["patterns", "check", &shown]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("{shown}/checks/budget.toml")) && err.contains("summ"),
        "{err}"
    );

    // Not a folder at all.
    let out = gongkai(&["patterns", "check", &format!("{shown}/none")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("none"));
}
