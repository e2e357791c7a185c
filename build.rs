//! Bundles every pattern file under `patterns/` into the binary, so that
//! adding a regional variant is a file edit, not a code change.

use std::fmt::Write as _;
use std::path::Path;

fn collect(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let patterns = Path::new(&root).join("patterns");
    println!("cargo:rerun-if-changed={}", patterns.display());
    let mut files = Vec::new();
    collect(&patterns, &mut files);
    let mut code = String::from("/// Every bundled pattern file: (path relative to `patterns/`, contents).\npub static BUNDLED: &[(&str, &str)] = &[\n");
    let prefix = format!("{}/", patterns.to_string_lossy().replace('\\', "/"));
    for f in &files {
        println!("cargo:rerun-if-changed={f}");
        let rel = f.strip_prefix(&prefix).unwrap_or(f);
        let _ = writeln!(code, "    ({rel:?}, include_str!({f:?})),");
    }
    code.push_str("];\n");
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    if let Err(e) = std::fs::write(Path::new(&out).join("bundled_patterns.rs"), code) {
        panic!("cannot write the bundled pattern list: {e}");
    }
}
