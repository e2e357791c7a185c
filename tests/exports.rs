//! The exports as a dataset's user meets them: the Parquet read by DuckDB
//! (types, one disclosure per unit-year, exact sums), CSV for Excel, the
//! `documents` listing, and read-only commands that never touch a database
//! that is not a store.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::*;

/// The samples extracted into a fresh SQLite store under `dir`.
fn sample_store(dir: &Path) -> String {
    let db = dir.join("dataset.sqlite").display().to_string();
    let samples = root().join("samples").display().to_string();
    let out = gongkai(&["extract", &samples, "--db", &db]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

fn ok(args: &[&str]) -> String {
    let out = gongkai(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// DuckDB through its Python package (`.ci/run` installs it and sets
/// GONGKAI_REQUIRE_DUCKDB, so there a missing DuckDB fails the test).
fn duckdb(script: &str) -> Option<String> {
    let has = Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        assert!(
            std::env::var_os("GONGKAI_REQUIRE_DUCKDB").is_none(),
            "GONGKAI_REQUIRE_DUCKDB is set but python3 cannot import duckdb"
        );
        eprintln!("skipped: python3 with duckdb not available (pip install duckdb)");
        return None;
    }
    let out = Command::new("python3")
        .args(["-c", script])
        .output()
        .unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn duckdb_reads_typed_amounts_one_disclosure_per_unit_year() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = sample_store(d.path());
    let best = d.path().join("best.parquet").display().to_string();
    let all = d.path().join("all.parquet").display().to_string();
    ok(&["export", "--db", &db, "--format", "parquet", "-o", &best]);
    ok(&[
        "export",
        "--db",
        &db,
        "--format",
        "parquet",
        "--versions",
        "all",
        "-o",
        &all,
    ]);
    let script = format!(
        r#"
import duckdb
best, every = {best:?}, {all:?}
con = duckdb.connect()
types = dict((r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM '{{best}}'").fetchall())
print("types", types["amount_yuan"], types["year"], types["page"], types["code"], types["count"])
# The seed's five renderings: five documents, one disclosure.
print("versions", con.execute(f"SELECT COUNT(DISTINCT sha256), COUNT(DISTINCT disclosure_id) FROM '{{every}}' WHERE year = 2022").fetchone())
print("chosen", con.execute(f"SELECT COUNT(DISTINCT sha256) FROM '{{best}}' WHERE year = 2022").fetchone()[0])
s = con.execute(f"SELECT code, SUM(amount_yuan) AS s, typeof(SUM(amount_yuan)) FROM '{{best}}' WHERE table_kind = 'expenditure' AND column_key = 'total' AND code = '201' GROUP BY code").fetchone()
print("sum", s[0], s[1], s[2])
p = con.execute(f"SELECT DISTINCT province, city, division_code, code_system FROM '{{best}}' WHERE code = '201'").fetchall()
print("place", p)
"#
    );
    let Some(out) = duckdb(&script) else { return };
    let line = |k: &str| {
        out.lines()
            .find(|l| l.starts_with(k))
            .unwrap_or_else(|| panic!("{k}: {out}"))
            .to_string()
    };
    assert_eq!(
        line("types"),
        "types DECIMAL(38,6) INTEGER INTEGER VARCHAR BIGINT"
    );
    assert_eq!(line("versions"), "versions (5, 1)");
    assert_eq!(line("chosen"), "chosen 1");
    assert_eq!(line("sum"), "sum 201 7753338.960000 DECIMAL(38,6)");
    assert_eq!(
        line("place"),
        "place [('山西省', '长治市', '140400', 'functional')]"
    );
}

#[test]
fn every_dataset_exports_and_csv_takes_a_bom() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = sample_store(d.path());
    let csv = ok(&["export", "--db", &db, "--format", "csv", "--bom"]);
    assert!(
        csv.starts_with("\u{feff}disclosure_id,sha256,"),
        "{}",
        &csv[..40]
    );
    let plain = ok(&["export", "--db", &db, "--format", "csv"]);
    assert!(plain.starts_with("disclosure_id,"));
    assert_eq!(csv.trim_start_matches('\u{feff}'), plain);
    // Flags carry their page and snippet; facts their sentence.
    let flags = ok(&[
        "export", "--db", &db, "--format", "jsonl", "--what", "flags",
    ]);
    let flags: Vec<serde_json::Value> = flags
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert!(!flags.is_empty());
    assert!(flags
        .iter()
        .all(|f| f["check"].is_string() && f["severity"].is_string()));
    assert!(flags.iter().any(|f| f["page"].is_i64()));
    let facts = ok(&[
        "export", "--db", &db, "--format", "jsonl", "--what", "facts",
    ]);
    assert!(facts.lines().count() > 100);
    assert!(facts
        .lines()
        .all(|l| l.contains("\"sentence\":\"") && l.contains("\"disclosure_id\":")));
    // The documents dataset ranks the versions of each disclosure.
    let docs = ok(&[
        "export",
        "--db",
        &db,
        "--format",
        "jsonl",
        "--what",
        "documents",
        "--versions",
        "all",
    ]);
    let docs: Vec<serde_json::Value> = docs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert_eq!(docs.len(), 7);
    let seed: Vec<&serde_json::Value> = docs.iter().filter(|d| d["year"] == 2022).collect();
    assert_eq!(seed.len(), 5);
    assert!(seed.iter().all(|d| d["versions"] == 5));
    let mut ranks: Vec<i64> = seed.iter().filter_map(|d| d["version"].as_i64()).collect();
    ranks.sort_unstable();
    assert_eq!(ranks, [1, 2, 3, 4, 5]);
    // Filters: by province, by division-code prefix, by a region that is not there.
    for region in ["山西", "1404", "140400"] {
        let n = ok(&[
            "export",
            "--db",
            &db,
            "--format",
            "csv",
            "--what",
            "documents",
            "--region",
            region,
        ]);
        assert_eq!(n.lines().count(), 1 + 3, "{region}");
    }
    let none = ok(&[
        "export",
        "--db",
        &db,
        "--format",
        "csv",
        "--what",
        "documents",
        "--region",
        "江苏",
    ]);
    assert_eq!(none.lines().count(), 1);
}

#[test]
fn the_documents_listing_shows_versions_and_filters() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = sample_store(d.path());
    let out = ok(&["documents", "--db", &db]);
    assert!(out.ends_with("7 documents\n"), "{out}");
    assert_eq!(
        out.matches("/5  2022  final_account  complete").count(),
        5,
        "{out}"
    );
    let out = ok(&["documents", "--db", &db, "--read", "partial"]);
    assert!(out.ends_with("2 documents\n"), "{out}");
    let out = ok(&[
        "documents",
        "--db",
        &db,
        "--versions",
        "best",
        "--year",
        "2022",
    ]);
    assert!(out.ends_with("1 documents\n"), "{out}");
}

#[test]
fn read_only_commands_never_touch_a_database_that_is_not_a_store() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // An SQLite file of someone else's.
    let other = d.path().join("other.sqlite");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}?mode=rwc", other.display());
    rt.block_on(async {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        sqlx::query("CREATE TABLE notes (t TEXT)")
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        c.close().await.unwrap_or_else(|e| panic!("{e}"));
    });
    let before = std::fs::read(&other).unwrap_or_default();
    let other_arg = other.display().to_string();
    for args in [
        vec!["stats", "--db", &other_arg],
        vec!["export", "--db", &other_arg, "--format", "csv"],
        vec!["documents", "--db", &other_arg],
    ] {
        let out = gongkai(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is not a gongkai store"), "{err}");
    }
    assert_eq!(
        std::fs::read(&other).unwrap_or_default(),
        before,
        "untouched"
    );
    // A missing file is not created.
    let missing = d.path().join("missing.sqlite");
    let out = gongkai(&["stats", "--db", &missing.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!missing.exists());
}

#[test]
fn an_unreachable_database_fails_at_once_with_its_cause() {
    // A port nothing listens on: the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!("postgres://gongkai:gongkai@127.0.0.1:{port}/none");
    let started = Instant::now();
    let out = gongkai(&["stats", "--db", &url]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.to_lowercase().contains("refused"),
        "the cause is named: {err}"
    );
    assert!(!err.contains("pool timed out"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn the_data_dictionary_in_docs_is_in_step_with_the_code() {
    let published =
        std::fs::read_to_string(root().join("docs/data-dictionary.md")).unwrap_or_default();
    let out = ok(&["schema", "--dictionary"]);
    assert_eq!(
        published, out,
        "docs/data-dictionary.md is stale: run `cargo run -- schema --dictionary > docs/data-dictionary.md`"
    );
}
