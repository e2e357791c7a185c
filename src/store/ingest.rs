//! A record into the store.
//!
//! Documents are keyed by the SHA-256 of their bytes. Ingesting a document
//! the store already holds from the same extraction (same gongkai version and
//! pattern-set fingerprint) changes nothing but the list of paths it was seen
//! at; an extraction by another pattern set or gongkai version replaces the
//! document's tables, rows, amounts, narrative facts and flags in one
//! transaction — unless the stored one was made by a newer gongkai, which is
//! kept (an old binary never overwrites a newer extraction).

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe, Row as _};

use super::{values_clause, Result, Store, StoreError, TOOL_VERSION};
use crate::record::{Flag, Record, Row, Table};

/// What ingesting one record did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A document the store did not have.
    New,
    /// A document the store had from another extraction; its rows were replaced.
    Replaced,
    /// The same extraction was already stored.
    Unchanged,
    /// The store has this document from a newer gongkai; kept.
    KeptNewer,
    /// Not stored (the file could not even be hashed).
    Skipped(String),
}

/// Counts of outcomes over a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// New documents.
    pub new: usize,
    /// Replaced documents.
    pub replaced: usize,
    /// Unchanged documents (and kept newer ones).
    pub unchanged: usize,
    /// Records not stored.
    pub skipped: usize,
}

impl Tally {
    /// Adds one outcome.
    pub fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::New => self.new += 1,
            Outcome::Replaced => self.replaced += 1,
            Outcome::Unchanged | Outcome::KeptNewer => self.unchanged += 1,
            Outcome::Skipped(_) => self.skipped += 1,
        }
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} new, {} replaced, {} unchanged, {} not stored",
            self.new, self.replaced, self.unchanged, self.skipped
        )
    }
}

/// Rows per multi-row INSERT (PostgreSQL takes at most 65535 parameters).
const CHUNK: usize = 500;

/// The snake_case name serde gives an enum value.
pub fn name_of<T: Serialize>(v: &T) -> Option<String> {
    crate::record::json_name(v)
}

fn version_parts(v: &str) -> Vec<u64> {
    v.split(['.', '-', '+'])
        .map_while(|p| p.parse::<u64>().ok())
        .collect()
}

/// True when gongkai version `a` is newer than `b`.
pub fn newer(a: &str, b: &str) -> bool {
    version_parts(a) > version_parts(b)
}

/// How many of `flags` point at a cell ([`Flag::points_at`]).
fn cell_flags(flags: &[Flag], table: &Table, row: &Row, key: &str) -> i64 {
    flags
        .iter()
        .filter(|f| f.points_at(table, row, Some(key)))
        .count() as i64
}

/// The stored document with hash `sha256`, if any: its id, and the outcome
/// of ingesting it again when that would change nothing (stored by this
/// gongkai and pattern set, or by a newer gongkai).
async fn stored<'c, E>(
    db: E,
    sha256: &str,
    patterns_hash: &str,
) -> Result<Option<(i64, Option<Outcome>)>>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let Some(row) =
        sqlx::query("SELECT id, tool_version, patterns_hash FROM documents WHERE sha256 = $1")
            .bind(sha256.to_string())
            .fetch_optional(db)
            .await?
    else {
        return Ok(None);
    };
    let id: i64 = row.try_get(0)?;
    let tool: String = row.try_get(1)?;
    let hash: String = row.try_get(2)?;
    let keep = if tool == TOOL_VERSION && hash == patterns_hash {
        Some(Outcome::Unchanged)
    } else if newer(&tool, TOOL_VERSION) {
        Some(Outcome::KeptNewer)
    } else {
        None
    };
    Ok(Some((id, keep)))
}

/// True when the store holds the document with hash `sha256` and extracting
/// it again would change nothing (see [`stored`]). `source` is added to the
/// paths it was seen at.
pub async fn is_current(
    store: &Store,
    sha256: &str,
    patterns_hash: &str,
    source: &str,
) -> Result<bool> {
    match stored(store.pool(), sha256, patterns_hash).await? {
        Some((id, Some(_))) => {
            add_source(store.pool(), id, source).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Records that document `id` was seen at `source`.
async fn add_source<'c, E>(db: E, id: i64, source: &str) -> Result<()>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    sqlx::query(
        "INSERT INTO document_sources (document_id, source) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(source.to_string())
    .execute(db)
    .await?;
    Ok(())
}

/// Stores one record made with the pattern set whose fingerprint is
/// `patterns_hash`.
pub async fn ingest(store: &Store, record: &Record, patterns_hash: &str) -> Result<Outcome> {
    let sha = record.source.sha256.as_str();
    if sha.is_empty() {
        return Ok(Outcome::Skipped(format!(
            "{}: not hashed ({})",
            record.source.path,
            record
                .error
                .as_ref()
                .map(|e| e.message.as_str())
                .unwrap_or("unread")
        )));
    }
    let backend = store.backend();
    let json = serde_json::to_string(record)
        .map_err(|e| StoreError::Other(format!("{}: {e}", record.source.path)))?;
    let doc = &record.document;
    // What the store holds is read inside the write transaction, which two
    // writers of one document never hold at once (SQLite's write lock; a
    // lock on the hash in PostgreSQL): concurrent runs count each new
    // document once, and the second keeps what the first stored.
    let mut tx = store.begin().await?;
    if backend == super::Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(sha.to_string())
            .execute(&mut *tx)
            .await?;
    }
    let before = stored(&mut *tx, sha, patterns_hash).await?;
    if let Some((id, Some(outcome))) = before {
        add_source(&mut *tx, id, &record.source.path).await?;
        tx.commit().await?;
        return Ok(outcome);
    }
    let id: i64 = sqlx::query(
        "INSERT INTO documents (sha256, source, bytes, format, engine, pages, unit, region, year, kind,
             scope, title, error_kind, error_message, tool_version, patterns_hash, extracted_at, record,
             read_verdict, amounts_printed, amounts_captured, disclosure_id, unit_spelling,
             division_code, province, city, county, first_seen)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)
         ON CONFLICT (sha256) DO UPDATE SET
             bytes = excluded.bytes, format = excluded.format, engine = excluded.engine,
             pages = excluded.pages, unit = excluded.unit, region = excluded.region,
             year = excluded.year, kind = excluded.kind, scope = excluded.scope,
             title = excluded.title, error_kind = excluded.error_kind,
             error_message = excluded.error_message, tool_version = excluded.tool_version,
             patterns_hash = excluded.patterns_hash, extracted_at = excluded.extracted_at,
             record = excluded.record, read_verdict = excluded.read_verdict,
             amounts_printed = excluded.amounts_printed, amounts_captured = excluded.amounts_captured,
             disclosure_id = excluded.disclosure_id, unit_spelling = excluded.unit_spelling,
             division_code = excluded.division_code, province = excluded.province,
             city = excluded.city, county = excluded.county
         RETURNING id",
    )
    .bind(sha)
    .bind(&record.source.path)
    .bind(i64::try_from(record.source.bytes).unwrap_or(i64::MAX))
    .bind(record.source.format.as_ref().and_then(name_of))
    .bind(record.source.engine.clone())
    .bind(record.source.pages.map(i64::from))
    .bind(doc.unit.clone())
    .bind(doc.region.as_deref())
    .bind(doc.year.map(i64::from))
    .bind(doc.kind.as_ref().and_then(name_of))
    .bind(doc.scope.as_ref().and_then(name_of))
    .bind(doc.title.clone())
    .bind(record.error.as_ref().and_then(|e| name_of(&e.kind)))
    .bind(record.error.as_ref().map(|e| e.message.clone()))
    .bind(TOOL_VERSION)
    .bind(patterns_hash.to_string())
    .bind(super::now_rfc3339())
    .bind(json)
    .bind(record.read.verdict.as_str())
    .bind(i64::from(record.read.table_amounts.printed))
    .bind(i64::from(record.read.table_amounts.captured))
    .bind(doc.disclosure_id.clone())
    .bind(doc.unit_spelling.clone())
    .bind(doc.place.as_ref().map(|p| p.division_code.clone()))
    .bind(doc.place.as_ref().and_then(|p| p.province.clone()))
    .bind(doc.place.as_ref().and_then(|p| p.city.clone()))
    .bind(doc.place.as_ref().and_then(|p| p.county.clone()))
    .bind(super::now_rfc3339())
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;

    for sql in [
        "DELETE FROM amounts WHERE document_id = $1",
        "DELETE FROM rows WHERE table_id IN (SELECT id FROM tables WHERE document_id = $1)",
        "DELETE FROM tables WHERE document_id = $1",
        "DELETE FROM narrative_facts WHERE document_id = $1",
        "DELETE FROM flags WHERE document_id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
    }
    add_source(&mut *tx, id, &record.source.path).await?;

    for (ti, table) in record.tables.iter().enumerate() {
        let table_id: i64 = sqlx::query(
            "INSERT INTO tables (document_id, ordinal, kind, label, title, unit_name, year, amount_unit, pages, empty, columns)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(id)
        .bind(ti as i64)
        .bind(table.kind.clone())
        .bind(table.label.clone())
        .bind(table.title.clone())
        .bind(table.unit_name.clone())
        .bind(table.year.map(i64::from))
        .bind(table.amount_unit.as_ref().and_then(name_of))
        .bind(serde_json::to_string(&table.pages).unwrap_or_else(|_| "[]".into()))
        .bind(i64::from(table.empty))
        .bind(serde_json::to_string(&table.columns).unwrap_or_else(|_| "[]".into()))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;

        // Rows, many per statement; their ids come back with their ordinals.
        let mut row_ids: HashMap<i64, i64> = HashMap::new();
        let numbered: Vec<(usize, &Row)> = table.rows.iter().enumerate().collect();
        for chunk in numbered.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO rows (table_id, ordinal, code, name, level, parent, line, line_no, side, page) VALUES {} RETURNING id, ordinal",
                values_clause(backend, chunk.len(), &[false; 10], 1)
            );
            let mut q: Query<'_, Any, AnyArguments> = sqlx::query(AssertSqlSafe(sql));
            for (ri, row) in chunk {
                q = q
                    .bind(table_id)
                    .bind(*ri as i64)
                    .bind(row.code.clone())
                    .bind(row.name.clone())
                    .bind(row.level.as_ref().and_then(name_of))
                    .bind(row.parent.clone())
                    .bind(row.line.clone())
                    .bind(row.line_no.clone())
                    .bind(row.side.as_ref().and_then(name_of))
                    .bind(row.page.map(i64::from));
            }
            for r in q.fetch_all(&mut *tx).await? {
                row_ids.insert(r.try_get(1)?, r.try_get(0)?);
            }
        }

        // One amount per printed or valued cell.
        struct Cell {
            row_id: i64,
            code: Option<String>,
            key: String,
            amount: Option<String>,
            count: Option<String>,
            printed: Option<String>,
            flags: i64,
        }
        let mut cells = Vec::new();
        for (ri, row) in table.rows.iter().enumerate() {
            let Some(&row_id) = row_ids.get(&(ri as i64)) else {
                return Err(StoreError::Other(format!(
                    "{}: row {ri} of {} was not stored",
                    record.source.path, table.kind
                )));
            };
            let keys: BTreeSet<&String> = row.values.keys().chain(row.printed.keys()).collect();
            for key in keys {
                let value = row.values.get(key).map(|d| d.to_string());
                let is_count = row.counts.contains(key);
                cells.push(Cell {
                    row_id,
                    code: row.code.clone(),
                    key: key.clone(),
                    amount: if is_count { None } else { value.clone() },
                    count: if is_count { value } else { None },
                    printed: row.printed.get(key).cloned(),
                    flags: cell_flags(&record.flags, table, row, key),
                });
            }
        }
        for chunk in cells.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO amounts (row_id, document_id, code, column_key, amount_yuan, count, printed, flags) VALUES {}",
                values_clause(
                    backend,
                    chunk.len(),
                    &[false, false, false, false, true, true, false, false],
                    1
                )
            );
            let mut q: Query<'_, Any, AnyArguments> = sqlx::query(AssertSqlSafe(sql));
            for c in chunk {
                q = q
                    .bind(c.row_id)
                    .bind(id)
                    .bind(c.code.clone())
                    .bind(c.key.clone())
                    .bind(c.amount.clone())
                    .bind(c.count.clone())
                    .bind(c.printed.clone())
                    .bind(c.flags);
            }
            q.execute(&mut *tx).await?;
        }
    }

    let facts: Vec<_> = record.narrative.iter().enumerate().collect();
    for chunk in facts.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO narrative_facts (document_id, ordinal, fact, section, subject, project, amount_yuan,
                 percent, count, score, max_score, printed, printed_percent, sentence) VALUES {}",
            values_clause(
                backend,
                chunk.len(),
                &[
                    false, false, false, false, false, false, true, true, true, true, true, false,
                    false, false
                ],
                1
            )
        );
        let mut q: Query<'_, Any, AnyArguments> = sqlx::query(AssertSqlSafe(sql));
        for (i, f) in chunk {
            q = q
                .bind(id)
                .bind(*i as i64)
                .bind(f.fact.clone())
                .bind(f.section.clone())
                .bind(f.subject.clone())
                .bind(f.project.clone())
                .bind(f.amount_yuan.map(|d| d.to_string()))
                .bind(f.percent.map(|d| d.to_string()))
                .bind(f.count.map(|d| d.to_string()))
                .bind(f.score.map(|d| d.to_string()))
                .bind(f.max_score.map(|d| d.to_string()))
                .bind(f.printed.clone())
                .bind(f.printed_percent.clone())
                .bind(f.sentence.clone());
        }
        q.execute(&mut *tx).await?;
    }

    let flags: Vec<_> = record.flags.iter().enumerate().collect();
    for chunk in flags.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO flags (document_id, ordinal, check_id, severity, message, locations, expected, found, difference, flag_id, pages, snippet, related) VALUES {}",
            values_clause(backend, chunk.len(), &[false; 13], 1)
        );
        let mut q: Query<'_, Any, AnyArguments> = sqlx::query(AssertSqlSafe(sql));
        for (i, f) in chunk {
            q = q
                .bind(id)
                .bind(*i as i64)
                .bind(f.check.clone())
                .bind(name_of(&f.severity))
                .bind(f.message.clone())
                .bind(serde_json::to_string(&f.locations).unwrap_or_else(|_| "[]".into()))
                .bind(f.expected.clone())
                .bind(f.found.clone())
                .bind(f.difference.clone())
                .bind(f.id.clone())
                .bind(serde_json::to_string(&f.pages).unwrap_or_else(|_| "[]".into()))
                .bind(f.snippet.clone())
                .bind(serde_json::to_string(&f.related).unwrap_or_else(|_| "[]".into()));
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(if before.is_some() {
        Outcome::Replaced
    } else {
        Outcome::New
    })
}

/// Row counts of the store's tables, for tests and reports.
pub async fn counts(store: &Store) -> Result<Vec<(&'static str, i64)>> {
    let mut out = Vec::new();
    for (t, sql) in [
        ("documents", "SELECT COUNT(*) FROM documents"),
        ("tables", "SELECT COUNT(*) FROM tables"),
        ("rows", "SELECT COUNT(*) FROM rows"),
        ("amounts", "SELECT COUNT(*) FROM amounts"),
        ("narrative_facts", "SELECT COUNT(*) FROM narrative_facts"),
        ("flags", "SELECT COUNT(*) FROM flags"),
    ] {
        let n: i64 = sqlx::query(sql).fetch_one(store.pool()).await?.try_get(0)?;
        out.push((t, n));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(newer("0.2.0", "0.1.9"));
        assert!(newer("0.10.0", "0.9.1"));
        assert!(!newer("0.1.0", "0.1.0"));
        assert!(!newer("0.1.0", "0.1.1"));
    }
}
