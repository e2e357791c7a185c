//! The golden flag list of the shared corpus: for every document of
//! `../shared/corpus` and `../shared/samples`, the flags it must raise (each
//! a finding about the document, audited by hand against the printed pages:
//! `finding` says what is printed) and nothing else. A flag that appears or
//! goes away fails the test: either the reader changed (a misread fixed or
//! made) or a check did. Skips cleanly when `../shared` is absent.
//!
//! After a deliberate change, `GONGKAI_BLESS_FLAGS=1 cargo test --test tests
//! golden` rewrites the list (keeping the findings written down), and the
//! diff of `tests/golden/corpus_flags.json` is reviewed like code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gongkai::record::{Flag, Record};
use gongkai::{Batch, Document};
use serde::{Deserialize, Serialize};

use crate::util::*;

const GOLDEN: &str = "tests/golden/corpus_flags.json";

/// One flag as the golden list holds it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    check: String,
    severity: String,
    /// Where: table/row/column, or the narrative section and sentence start.
    at: String,
    /// What the document prints that makes it a finding (the audit's note).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    finding: String,
}

impl Expected {
    fn of(f: &Flag) -> Expected {
        let l = f.locations.first().cloned().unwrap_or_default();
        let sentence: String = l.sentence.unwrap_or_default().chars().take(24).collect();
        let at = [
            l.table.unwrap_or_default(),
            l.row.unwrap_or_default(),
            l.column.unwrap_or_default(),
            l.section.unwrap_or_default(),
            sentence,
        ]
        .join("/")
        .trim_end_matches('/')
        .to_string();
        Expected {
            check: f.check.clone(),
            severity: serde_json::to_value(f.severity)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            at,
            finding: String::new(),
        }
    }

    fn key(&self) -> (&str, &str, &str) {
        (&self.check, &self.severity, &self.at)
    }
}

fn documents(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            documents(&p, out);
        } else if p.extension().and_then(|x| x.to_str()).is_some_and(|x| {
            ["pdf", "html", "htm", "xls", "xlsx", "txt"].contains(&x.to_ascii_lowercase().as_str())
        }) {
            out.push(p);
        }
    }
}

#[test]
fn the_corpus_raises_exactly_its_golden_flags() {
    let Some(shared) = shared() else {
        eprintln!("../shared absent: skipped");
        return;
    };
    let mut paths = Vec::new();
    documents(&shared.join("corpus"), &mut paths);
    documents(&shared.join("samples"), &mut paths);
    paths.sort();
    let batch = Batch::new(extractor(), None).unwrap_or_else(|e| panic!("{e}"));
    let mut got: BTreeMap<String, Vec<Expected>> = BTreeMap::new();
    let items = paths.iter().map(|p| {
        let rel = p.strip_prefix(&shared).unwrap_or(p).display().to_string();
        (rel, Document::path(p))
    });
    batch
        .run(
            items,
            |_| false,
            |rel, records: Vec<Record>| {
                for r in records {
                    let mut flags: Vec<Expected> = r.flags.iter().map(Expected::of).collect();
                    flags.sort();
                    let key = match &r.source.bundle {
                        Some(b) => format!("{rel}!/{}", b.members.join("!/")),
                        None => rel.clone(),
                    };
                    got.insert(key, flags);
                }
                Ok::<(), ()>(())
            },
        )
        .unwrap_or_else(|()| panic!("the batch stopped"));
    let file = root().join(GOLDEN);
    let golden: BTreeMap<String, Vec<Expected>> = std::fs::read_to_string(&file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    if std::env::var_os("GONGKAI_BLESS_FLAGS").is_some() {
        let mut blessed = got.clone();
        for (doc, flags) in &mut blessed {
            let mut known: Vec<&Expected> = golden
                .get(doc)
                .map(|g| g.iter().collect())
                .unwrap_or_default();
            for f in flags.iter_mut() {
                if let Some(i) = known.iter().position(|k| k.key() == f.key()) {
                    f.finding = known.remove(i).finding.clone();
                }
            }
        }
        let text = serde_json::to_string_pretty(&blessed).unwrap_or_default();
        std::fs::write(&file, text + "\n").unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    let mut problems = Vec::new();
    for (doc, flags) in &got {
        let want: Vec<(&str, &str, &str)> = golden
            .get(doc)
            .map(|g| g.iter().map(Expected::key).collect())
            .unwrap_or_default();
        let mut want = want;
        want.sort();
        let have: Vec<(&str, &str, &str)> = flags.iter().map(Expected::key).collect();
        let mut missing = want.clone();
        let mut extra = Vec::new();
        for h in &have {
            match missing.iter().position(|w| w == h) {
                Some(i) => {
                    missing.remove(i);
                }
                None => extra.push(*h),
            }
        }
        if !missing.is_empty() || !extra.is_empty() {
            problems.push(format!(
                "{doc}:\n  no longer raised: {missing:?}\n  new: {extra:?}"
            ));
        }
    }
    // Every flag of the golden list is written down with its finding.
    let unexplained: Vec<String> = golden
        .iter()
        .flat_map(|(doc, flags)| {
            flags
                .iter()
                .filter(|f| f.finding.is_empty())
                .map(move |f| format!("{doc}: {:?}", f.key()))
        })
        .collect();
    assert!(
        problems.is_empty(),
        "the corpus's flags differ from {GOLDEN} (GONGKAI_BLESS_FLAGS=1 rewrites it after a deliberate change):\n{}",
        problems.join("\n")
    );
    assert!(
        unexplained.is_empty(),
        "flags without a finding:\n{}",
        unexplained.join("\n")
    );
}
