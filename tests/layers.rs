//! The library's modules depend one way: each imports only modules below it
//! in this list (the pipeline from the top, then the foundation every stage
//! shares). A circle or an import upwards fails here, naming the file and
//! line. Unit-test modules (`#[cfg(test)] mod tests`) and comments are not
//! dependencies and are not read.

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::root;

/// Top to bottom.
const LAYERS: &[&str] = &[
    // the top: one document or a batch through every stage
    "extractor",
    // the pipeline
    "crawl",
    "report",
    "decode",
    "layout",
    "recognize",
    "narrative",
    "normalize",
    "check",
    "export",
    "store",
    // the foundation
    "patterns",
    "record",
    "model",
    "settings",
    "error",
    "text",
];

/// Every `crate::MODULE` a source file names outside comments and unit
/// tests, with its line number.
fn imports(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]")
            && lines
                .get(i + 1)
                .is_some_and(|n| n.trim_start().starts_with("mod tests"))
        {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        let code = match t.find("//") {
            Some(c) => &t[..c],
            None => t,
        };
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((i + 1, name));
            }
            rest = after;
        }
    }
    out
}

/// The top-level module a file under `src/` belongs to.
fn module_of(rel: &Path) -> Option<String> {
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    Some(first.trim_end_matches(".rs").to_string())
}

#[test]
fn modules_import_only_modules_below_them() {
    let src = root().join("src");
    let rank: BTreeMap<&str, usize> = LAYERS.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut violations = Vec::new();
    let mut files = 0;
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.unwrap_or_else(|e| panic!("{e}"));
        let path = entry.path();
        if path.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let rel = path.strip_prefix(&src).unwrap_or(path);
        let Some(module) = module_of(rel) else {
            continue;
        };
        // The binary (`main.rs`, `cli/`) and the crate root sit above everything.
        if matches!(module.as_str(), "main" | "cli" | "lib") {
            continue;
        }
        let Some(&mine) = rank.get(module.as_str()) else {
            violations.push(format!(
                "{}: module `{module}` is in no layer",
                rel.display()
            ));
            continue;
        };
        files += 1;
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
        for (line, used) in imports(&text) {
            match rank.get(used.as_str()) {
                Some(&theirs) if theirs < mine => violations.push(format!(
                    "{}:{line}: `{module}` imports `{used}`, which is above it",
                    rel.display()
                )),
                Some(_) => {}
                None => violations.push(format!(
                    "{}:{line}: `crate::{used}` is in no layer",
                    rel.display()
                )),
            }
        }
    }
    assert!(files > 40, "read {files} files");
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_import_scanner_sees_imports_and_skips_comments_and_tests() {
    let text = "use crate::store::Store;\n// crate::cli\nlet x = crate::text::squash(a); // crate::crawl\n\
                #[cfg(test)]\nmod tests {\n use crate::extractor;\n}\n";
    assert_eq!(
        imports(text),
        vec![(1, "store".to_string()), (3, "text".to_string())]
    );
}
