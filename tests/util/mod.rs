//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub mod pg;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use std::sync::OnceLock;

use gongkai::record::Record;
use gongkai::{Extractor, Patterns};

/// The crate root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `gongkai` binary.
pub fn gongkai(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running gongkai: {e}"))
}

/// A bundled sample.
pub fn sample(name: &str) -> PathBuf {
    root().join("samples").join(name)
}

/// `../shared` beside the project, when present.
pub fn shared() -> Option<PathBuf> {
    let p = root().join("..").join("shared");
    p.join("corpus").is_dir().then_some(p)
}

/// The bundled patterns, compiled once for every test.
pub fn patterns() -> &'static Patterns {
    static SET: OnceLock<Patterns> = OnceLock::new();
    SET.get_or_init(|| Patterns::bundled().unwrap_or_else(|e| panic!("patterns: {e}")))
}

/// An extractor with the bundled patterns and the default limits (PDFs in a
/// thread, pdftotext as the fallback).
pub fn extractor() -> &'static Extractor {
    static EXTRACTOR: OnceLock<Extractor> = OnceLock::new();
    EXTRACTOR.get_or_init(|| Extractor::new(patterns().clone()))
}

/// Extracts one file with the bundled patterns.
pub fn extract(path: &Path) -> Record {
    extractor().extract_path(path)
}

/// The tables of a record as JSON, without the page numbers (which depend
/// on the rendering).
pub fn tables_without_pages(record: &Record) -> serde_json::Value {
    let mut v = serde_json::to_value(&record.tables).unwrap_or_default();
    if let Some(tables) = v.as_array_mut() {
        for t in tables {
            if let Some(o) = t.as_object_mut() {
                o.remove("pages");
                for r in o
                    .get_mut("rows")
                    .and_then(|r| r.as_array_mut())
                    .into_iter()
                    .flatten()
                {
                    if let Some(r) = r.as_object_mut() {
                        r.remove("page");
                    }
                }
            }
        }
    }
    v
}

/// The golden expectation for the seed.
pub fn golden() -> serde_json::Value {
    let text = std::fs::read_to_string(sample("seed_changzhi_2022_final.expected.json"))
        .unwrap_or_else(|e| panic!("golden: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("golden: {e}"))
}

/// A record's flags as (check, severity, message), sorted, pages and
/// snippets aside: what two renderings of one document must share.
pub fn findings(r: &Record) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = r
        .flags
        .iter()
        .map(|f| {
            (
                f.check.clone(),
                format!("{:?}", f.severity),
                f.message.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Compares a record's tables with the golden, cell by cell, and panics
/// with the first differences.
pub fn assert_matches_golden(record: &Record, what: &str) {
    assert!(record.error.is_none(), "{what}: {:?}", record.error);
    let golden = golden();
    let want = golden["tables"].as_array().cloned().unwrap_or_default();
    let got = tables_without_pages(record);
    let got = got.as_array().cloned().unwrap_or_default();
    let mut problems = Vec::new();
    let kinds = |ts: &[serde_json::Value]| {
        ts.iter()
            .map(|t| t["kind"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    if kinds(&want) != kinds(&got) {
        problems.push(format!(
            "table kinds: want {:?}\n got {:?}",
            kinds(&want),
            kinds(&got)
        ));
    }
    for w in &want {
        let Some(g) = got.iter().find(|g| g["kind"] == w["kind"]) else {
            continue;
        };
        for key in [
            "label",
            "year",
            "amount_unit",
            "unit_name",
            "empty",
            "columns",
        ] {
            if w[key] != g[key] {
                problems.push(format!(
                    "{}: {key}: want {} got {}",
                    w["kind"], w[key], g[key]
                ));
            }
        }
        let (wr, gr) = (
            w["rows"].as_array().cloned().unwrap_or_default(),
            g["rows"].as_array().cloned().unwrap_or_default(),
        );
        if wr.len() != gr.len() {
            problems.push(format!(
                "{}: {} rows, want {}",
                w["kind"],
                gr.len(),
                wr.len()
            ));
        }
        for (i, (a, b)) in wr.iter().zip(gr.iter()).enumerate() {
            if a != b {
                problems.push(format!("{} row {i}:\n want {a}\n  got {b}", w["kind"]));
            }
        }
    }
    if !problems.is_empty() {
        let shown: Vec<_> = problems.iter().take(15).cloned().collect();
        panic!(
            "{what}: {} differences from the golden record:\n{}",
            problems.len(),
            shown.join("\n")
        );
    }
}

/// Every file under `dir`, as paths relative to `base`.
pub fn files_under(dir: &Path, base: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(base)
                .unwrap_or_else(|e| panic!("{e}"))
                .display()
                .to_string()
        })
        .collect()
}

/// A fixture server's 302 to `to`.
pub fn redirect(to: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to.to_string())]).into_response()
}

/// Encrypts a PDF with lopdf (RC4, 128-bit) under the given user password
/// (owner password "owner").
pub fn encrypted_pdf(path: &Path, user_password: &str) -> Vec<u8> {
    let mut doc = lopdf::Document::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let id = lopdf::Object::String(
        b"0123456789abcdef".to_vec(),
        lopdf::StringFormat::Hexadecimal,
    );
    doc.trailer
        .set("ID", lopdf::Object::Array(vec![id.clone(), id]));
    let version = lopdf::EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password,
        key_length: 128,
        permissions: lopdf::Permissions::default(),
    };
    let state = lopdf::EncryptionState::try_from(version).unwrap_or_else(|e| panic!("{e}"));
    doc.encrypt(&state).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap_or_else(|e| panic!("{e}"));
    out
}
