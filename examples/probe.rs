//! Development probe: extracts files with the patterns read from a directory
//! at run time (default: the source tree's `patterns/`, so no rebuild after a
//! pattern edit) and prints, per document,
//! its kind, each table (kind, label, rows, columns) and the flags of
//! severity warning or error.
//!
//!     cargo run --release --example probe -- [--patterns DIR] [--json] FILE...

use std::path::{Path, PathBuf};

use gongkai::record::Severity;
use gongkai::{Extractor, Patterns};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("patterns");
    let mut json = false;
    if let Some(i) = args.iter().position(|a| a == "--patterns") {
        if i + 1 < args.len() {
            dir = PathBuf::from(args.remove(i + 1));
        }
        args.remove(i);
    }
    if let Some(i) = args.iter().position(|a| a == "--json") {
        json = true;
        args.remove(i);
    }
    let patterns = match Patterns::from_dir(&dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("patterns: {e}");
            std::process::exit(2);
        }
    };
    let extractor = Extractor::new(patterns);
    for a in &args {
        let record = extractor.extract_path(Path::new(a));
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&record).unwrap_or_default()
            );
            continue;
        }
        let d = &record.document;
        println!(
            "=== {a}\n  {:?} {:?} {:?} {:?} err={:?}",
            d.kind,
            d.scope,
            d.year,
            d.unit,
            record.error.as_ref().map(|e| &e.message)
        );
        for t in &record.tables {
            let keys: Vec<&str> = t.columns.iter().map(|c| c.key.as_str()).collect();
            println!(
                "  {:<40} {:<10} rows={:<3} empty={} unit={:?} cols={:?} | {}",
                t.kind,
                t.label.clone().unwrap_or_default(),
                t.rows.len(),
                t.empty,
                t.amount_unit,
                keys,
                t.title
            );
        }
        for f in &record.flags {
            if f.severity >= Severity::Warning {
                println!("  FLAG {:?} {} {}", f.severity, f.check, f.message);
            }
        }
    }
}
