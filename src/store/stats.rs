//! What a dataset holds: the numbers `gongkai stats` reports.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sqlx::Row as _;

use super::{Result, Store};
use futures_util::TryStreamExt as _;

use crate::patterns::Families;
use crate::record::DocumentKind;

/// Documents of one (year, kind, region).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct DocumentGroup {
    /// Fiscal year.
    pub year: Option<i64>,
    /// final_account | budget.
    pub kind: Option<String>,
    /// Region (the record's `document.region`).
    pub region: Option<String>,
    /// Documents.
    pub documents: i64,
}

/// Documents and disclosures of one province.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProvinceGroup {
    /// The province-level division (null: no place resolved).
    pub province: Option<String>,
    /// Documents.
    pub documents: i64,
    /// Distinct disclosures among them (documents without a disclosure id
    /// count one each).
    pub disclosures: i64,
}

/// One table kind over the documents of a document kind.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TableCoverage {
    /// final_account | budget.
    pub document_kind: String,
    /// The table kind.
    pub table_kind: String,
    /// Whether a complete disclosure must contain it (for at least one
    /// document: template families have table sets of their own).
    pub required: bool,
    /// Readable documents that must contain it.
    pub required_in: i64,
    /// Readable documents of that kind.
    pub documents: i64,
    /// Of which have the table.
    pub found: i64,
}

/// Flags of one check and severity.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FlagGroup {
    /// Check id.
    pub check: String,
    /// info | warning | error.
    pub severity: String,
    /// Flags.
    pub flags: i64,
    /// Documents with at least one.
    pub documents: i64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Stats {
    /// Row counts: documents, tables, rows, amounts, narrative_facts, flags.
    pub totals: BTreeMap<String, i64>,
    /// Documents that could not be read, by error kind.
    pub errors: BTreeMap<String, i64>,
    /// Documents by read verdict (complete, partial, not_a_disclosure,
    /// failed; `unknown` for records stored before verdicts existed).
    pub read: BTreeMap<String, i64>,
    /// Amounts printed in the documents' tables, and captured.
    pub amounts_printed: i64,
    /// Of which captured by a recognized table.
    pub amounts_captured: i64,
    /// The partial documents, fewest captured share first (at most
    /// [`PARTIAL_LISTED`]).
    pub partial: Vec<PartialDocument>,
    /// Documents by year, kind and region.
    pub documents: Vec<DocumentGroup>,
    /// Documents and disclosures by province.
    pub provinces: Vec<ProvinceGroup>,
    /// Required tables expected (the required kinds of each readable document) and found.
    pub tables_expected: i64,
    /// Required tables found.
    pub tables_found: i64,
    /// Per table kind.
    pub tables: Vec<TableCoverage>,
    /// Flags by check.
    pub flags: Vec<FlagGroup>,
    /// Queue jobs by state.
    pub jobs: BTreeMap<String, i64>,
    /// The last shared crawl run, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crawl: Option<CrawlRun>,
}

/// Partial documents listed by `stats`.
pub const PARTIAL_LISTED: i64 = 50;

/// A document whose record is partial.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PartialDocument {
    /// Where it was first ingested from.
    pub source: String,
    /// Its unit, as printed.
    pub unit: Option<String>,
    /// Its year.
    pub year: Option<i64>,
    /// Table amounts printed.
    pub amounts_printed: i64,
    /// Table amounts captured.
    pub amounts_captured: i64,
}

/// A shared crawl run's progress.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CrawlRun {
    /// Run number.
    pub run: i64,
    /// running | finished.
    pub state: String,
    /// Its URLs by state (queued, claimed, done).
    pub frontier: BTreeMap<String, i64>,
    /// Document URLs found by shared crawls (all runs).
    pub documents: i64,
}

/// A document's id, kind and its tables' (kind, title).
type Doc = (i64, String, Vec<(String, String)>);

/// Computes the report; `families` tells which tables a document requires.
pub async fn stats(store: &Store, families: &Families) -> Result<Stats> {
    let pool = store.pool();
    let totals: BTreeMap<String, i64> = super::ingest::counts(store)
        .await?
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let mut errors = BTreeMap::new();
    for r in sqlx::query(
        "SELECT error_kind, COUNT(*) FROM documents WHERE error_kind IS NOT NULL GROUP BY error_kind",
    )
    .fetch_all(pool)
    .await?
    {
        errors.insert(r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?);
    }
    let mut read = BTreeMap::new();
    for r in sqlx::query(
        "SELECT COALESCE(read_verdict, 'unknown'), COUNT(*)
         FROM documents GROUP BY COALESCE(read_verdict, 'unknown')",
    )
    .fetch_all(pool)
    .await?
    {
        read.insert(r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?);
    }
    let amounts = sqlx::query(
        "SELECT COALESCE(SUM(amounts_printed), 0), COALESCE(SUM(amounts_captured), 0) FROM documents",
    )
    .fetch_one(pool)
    .await?;
    let (amounts_printed, amounts_captured): (i64, i64) =
        (amounts.try_get(0)?, amounts.try_get(1)?);
    let mut partial = Vec::new();
    for r in sqlx::query(
        "SELECT source, unit, year, COALESCE(amounts_printed, 0), COALESCE(amounts_captured, 0)
         FROM documents WHERE read_verdict = 'partial'
         ORDER BY CASE WHEN amounts_printed > 0
                       THEN CAST(amounts_captured AS REAL) / amounts_printed ELSE 1 END, source
         LIMIT $1",
    )
    .bind(PARTIAL_LISTED)
    .fetch_all(pool)
    .await?
    {
        partial.push(PartialDocument {
            source: r.try_get(0)?,
            unit: r.try_get(1)?,
            year: r.try_get(2)?,
            amounts_printed: r.try_get(3)?,
            amounts_captured: r.try_get(4)?,
        });
    }
    let mut documents = Vec::new();
    for r in sqlx::query(
        "SELECT year, kind, region, COUNT(*) FROM documents GROUP BY year, kind, region",
    )
    .fetch_all(pool)
    .await?
    {
        documents.push(DocumentGroup {
            year: r.try_get(0)?,
            kind: r.try_get(1)?,
            region: r.try_get(2)?,
            documents: r.try_get(3)?,
        });
    }
    documents.sort();
    let mut provinces = Vec::new();
    for r in sqlx::query(
        "SELECT province, COUNT(*), COUNT(DISTINCT COALESCE(disclosure_id, sha256))
         FROM documents GROUP BY province",
    )
    .fetch_all(pool)
    .await?
    {
        provinces.push(ProvinceGroup {
            province: r.try_get(0)?,
            documents: r.try_get(1)?,
            disclosures: r.try_get(2)?,
        });
    }
    provinces.sort_by(|a, b| {
        (
            a.province.is_none(),
            std::cmp::Reverse(a.documents),
            &a.province,
        )
            .cmp(&(
                b.province.is_none(),
                std::cmp::Reverse(b.documents),
                &b.province,
            ))
    });

    // Readable documents per kind; for each table kind, how many of them
    // have it and how many require it (their family's table set, or the
    // kinds marked required: the catalog decides, as the metadata checks
    // do). Streamed a document at a time.
    let mut readable: BTreeMap<String, i64> = BTreeMap::new();
    let mut having: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut requiring: BTreeMap<(String, String), i64> = BTreeMap::new();
    let (mut expected, mut found) = (0, 0);
    {
        let mut rows = sqlx::query(
            "SELECT d.id, d.kind, t.kind, t.title FROM documents d LEFT JOIN tables t ON t.document_id = d.id
             WHERE d.error_kind IS NULL AND d.kind IS NOT NULL ORDER BY d.id, t.ordinal",
        )
        .fetch(pool);
        let mut current: Option<Doc> = None;
        let mut settle = |doc: Option<Doc>| {
            let Some((_, dk, tables)) = doc else {
                return;
            };
            *readable.entry(dk.clone()).or_default() += 1;
            let kinds: BTreeSet<&str> = tables.iter().map(|(k, _)| k.as_str()).collect();
            for k in &kinds {
                *having.entry((dk.clone(), k.to_string())).or_default() += 1;
            }
            let Ok(kind) =
                serde_json::from_value::<DocumentKind>(serde_json::Value::String(dk.clone()))
            else {
                return;
            };
            for r in families.required(kind, tables.iter().map(|(_, title)| title)) {
                *requiring.entry((dk.clone(), r.kind.clone())).or_default() += 1;
                expected += 1;
                if kinds.contains(r.kind.as_str()) {
                    found += 1;
                }
            }
        };
        while let Some(r) = rows.try_next().await? {
            let id: i64 = r.try_get(0)?;
            if current.as_ref().is_none_or(|c| c.0 != id) {
                settle(current.take());
                current = Some((id, r.try_get(1)?, Vec::new()));
            }
            let table: Option<String> = r.try_get(2)?;
            let title: Option<String> = r.try_get(3)?;
            if let (Some(c), Some(t)) = (current.as_mut(), table) {
                c.2.push((t, title.unwrap_or_default()));
            }
        }
        settle(current.take());
    }
    let mut tables = Vec::new();
    let mut seen = BTreeSet::new();
    for p in &families.kinds {
        let Some(dk) = super::ingest::name_of(&p.document) else {
            continue;
        };
        let docs = readable.get(&dk).copied().unwrap_or(0);
        let key = (dk.clone(), p.kind.clone());
        let have = having.get(&key).copied().unwrap_or(0);
        let required_in = requiring.get(&key).copied().unwrap_or(0);
        seen.insert(key);
        if docs > 0 {
            tables.push(TableCoverage {
                document_kind: dk,
                table_kind: p.kind.clone(),
                required: required_in > 0,
                required_in,
                documents: docs,
                found: have,
            });
        }
    }
    // Table kinds found that the pattern set does not list for that document kind.
    for ((dk, tk), have) in &having {
        if !seen.contains(&(dk.clone(), tk.clone())) {
            tables.push(TableCoverage {
                document_kind: dk.clone(),
                table_kind: tk.clone(),
                required: false,
                required_in: 0,
                documents: readable.get(dk).copied().unwrap_or(0),
                found: *have,
            });
        }
    }
    tables.sort_by(|a, b| {
        (&a.document_kind, !a.required, &a.table_kind).cmp(&(
            &b.document_kind,
            !b.required,
            &b.table_kind,
        ))
    });

    let mut flags = Vec::new();
    for r in sqlx::query(
        "SELECT check_id, severity, COUNT(*), COUNT(DISTINCT document_id) FROM flags GROUP BY check_id, severity",
    )
    .fetch_all(pool)
    .await?
    {
        flags.push(FlagGroup {
            check: r.try_get(0)?,
            severity: r.try_get(1)?,
            flags: r.try_get(2)?,
            documents: r.try_get(3)?,
        });
    }
    flags.sort_by(|a, b| (b.flags, &a.check, &a.severity).cmp(&(a.flags, &b.check, &b.severity)));
    let jobs = super::queue::states(store).await?.into_iter().collect();
    let crawl = match sqlx::query("SELECT run, state FROM crawl_runs ORDER BY run DESC LIMIT 1")
        .fetch_optional(pool)
        .await?
    {
        Some(r) => Some(CrawlRun {
            run: r.try_get(0)?,
            state: r.try_get(1)?,
            frontier: super::count_by_state(store, "frontier")
                .await?
                .into_iter()
                .collect(),
            documents: sqlx::query("SELECT COUNT(*) FROM crawled")
                .fetch_one(pool)
                .await?
                .try_get(0)?,
        }),
        None => None,
    };
    Ok(Stats {
        totals,
        errors,
        read,
        amounts_printed,
        amounts_captured,
        partial,
        documents,
        provinces,
        tables_expected: expected,
        tables_found: found,
        tables,
        flags,
        jobs,
        crawl,
    })
}
