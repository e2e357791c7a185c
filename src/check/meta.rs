//! Metadata checks: the year and unit name printed on each table against the
//! document's, the amount unit, required tables present.

use crate::patterns::Families;
use crate::record::{Flag, Location, Record, Severity};
use crate::text::squash;

/// Tables of a document kind needed before missing ones are reported (a
/// document with fewer is a fragment, not a full disclosure).
const MIN_TABLES_FOR_COMPLETENESS: usize = 3;

fn flag(
    check: &str,
    severity: Severity,
    message: String,
    table: Option<&str>,
    expected: Option<String>,
    found: Option<String>,
) -> Flag {
    Flag {
        check: check.to_string(),
        severity,
        message,
        locations: vec![Location {
            table: table.map(str::to_string),
            ..Location::default()
        }],
        expected,
        found,
        difference: None,
    }
}

/// Runs the metadata checks.
pub fn check(record: &Record, families: &Families) -> Vec<Flag> {
    let mut flags = Vec::new();
    let doc = &record.document;
    for t in &record.tables {
        let label = t.label.clone().unwrap_or_else(|| t.title.clone());
        if let (Some(y), Some(dy)) = (t.year, doc.year) {
            if y != dy {
                flags.push(flag(
                    "meta.table_year",
                    Severity::Warning,
                    format!(
                        "{label} ({}) is dated {y}, the document covers {dy}",
                        t.kind
                    ),
                    Some(&t.kind),
                    Some(dy.to_string()),
                    Some(y.to_string()),
                ));
            }
        }
        if let (Some(u), Some(du)) = (&t.unit_name, &doc.unit) {
            let (a, b) = (squash(u), squash(du));
            if !a.contains(&b) && !b.contains(&a) {
                flags.push(flag(
                    "meta.table_unit_name",
                    Severity::Warning,
                    format!(
                        "{label} ({}) names the unit {u}, the document is of {du}",
                        t.kind
                    ),
                    Some(&t.kind),
                    Some(du.clone()),
                    Some(u.clone()),
                ));
            }
        }
        if t.amount_unit.is_none() && !t.empty {
            flags.push(flag(
                "meta.amount_unit_missing",
                Severity::Info,
                format!(
                    "{label} ({}) prints no amount unit; amounts were taken as 元",
                    t.kind
                ),
                Some(&t.kind),
                None,
                None,
            ));
        }
    }
    let mut kinds: Vec<&str> = record.tables.iter().map(|t| t.kind.as_str()).collect();
    kinds.sort_unstable();
    for w in kinds.windows(2).filter(|w| w[0] == w[1]) {
        if !flags.iter().any(|f| {
            f.check == "meta.duplicate_table" && f.locations[0].table.as_deref() == Some(w[0])
        }) {
            flags.push(flag(
                "meta.duplicate_table",
                Severity::Info,
                format!(
                    "the table {} appears more than once; checks use the first with data",
                    w[0]
                ),
                Some(w[0]),
                None,
                None,
            ));
        }
    }
    if let Some(kind) = doc.kind {
        let found = record
            .tables
            .iter()
            .filter(|t| families.of_document(kind).any(|p| p.kind == t.kind))
            .count();
        // A template family with a table set of its own (the universities'
        // 高等学校 final accounts have four tables) decides what is required.
        let required = families.required(kind, record.tables.iter().map(|t| &t.title));
        if found >= MIN_TABLES_FOR_COMPLETENESS {
            for p in required {
                if !record.tables.iter().any(|t| t.kind == p.kind) {
                    flags.push(flag(
                        "meta.required_table_missing",
                        Severity::Warning,
                        format!(
                            "no {} ({}) was found, and no statement that it is empty",
                            p.name, p.kind
                        ),
                        Some(&p.kind),
                        Some(p.name.clone()),
                        None,
                    ));
                }
            }
        }
    }
    flags
}
