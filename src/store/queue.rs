//! The shared work queue: documents to extract (`jobs`), filled by
//! `gongkai enqueue` and drained by `gongkai extract --queue` workers, on as
//! many machines as share the database. A job carries its document: the
//! content is stored once in `blobs` (keyed by SHA-256) and the job names it,
//! so a worker needs only the database URL; the job's `path` is where the
//! document was found, recorded as its source.
//!
//! A worker claims a batch in one statement: the oldest queued jobs, or
//! claimed ones whose lease has expired (their worker died), skipping rows
//! another worker is claiming at that moment (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL; SQLite has one writer at a time). A claim sets the worker's
//! name and a lease expiry; the worker renews the lease as it goes and marks
//! each job done or failed — only while it still holds it. A job whose lease
//! expired [`MAX_ATTEMPTS`] times is marked failed instead of being claimed
//! again. Leases are Unix milliseconds judged by the database's clock
//! ([`super::Backend::now_ms`]): workers' clocks may disagree freely. A worker
//! renews its leases on a heartbeat while it works, so a job may take longer
//! than its lease; only a worker that stops (killed, its machine gone, cut
//! off from the database) loses its jobs.

use std::time::Duration;

use sqlx::{AnyConnection, AssertSqlSafe, Row as _};

use super::{millis, now_rfc3339, Result, Store};
use crate::text::sha256_hex;

/// Claims of one job before it is given up as failed.
pub const MAX_ATTEMPTS: i64 = 3;

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The job id.
    pub id: i64,
    /// Where the document was found (its source in the store).
    pub path: String,
    /// The SHA-256 of its content in `blobs` (none for jobs queued before
    /// blobs existed: the worker reads `path`).
    pub blob: Option<String>,
    /// Claims so far, this one included.
    pub attempts: i64,
}

/// Adds documents (where each was found, its content) to the queue. A path
/// already queued with the same content is left alone (in any state); one
/// whose content changed is queued again with the new content. Returns how
/// many were queued (new or changed).
pub async fn enqueue(store: &Store, docs: &[(String, Vec<u8>)]) -> Result<u64> {
    let mut added = 0;
    for chunk in docs.chunks(64) {
        let mut tx = store.begin().await?;
        for (path, bytes) in chunk {
            let sha = sha256_hex(bytes);
            store_blob(&mut tx, &sha, bytes).await?;
            added += enqueue_one(&mut tx, path, &sha).await?;
        }
        tx.commit().await?;
    }
    Ok(added)
}

/// Stores `bytes` in `blobs` under their hash `sha256`, unless already there.
pub async fn store_blob(conn: &mut AnyConnection, sha256: &str, bytes: &[u8]) -> Result<()> {
    let there: Option<i64> = sqlx::query("SELECT size FROM blobs WHERE sha256 = $1")
        .bind(sha256.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    if there.is_none() {
        sqlx::query(
            "INSERT INTO blobs (sha256, bytes, size) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256.to_string())
        .bind(bytes.to_vec())
        .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Queues the document found at `path` whose content is the blob `sha256`
/// (stored first): a new path is queued, a path queued before with other
/// content is queued again (whatever its state), the same content is left
/// alone. Returns 1 when queued, else 0.
pub async fn enqueue_one(conn: &mut AnyConnection, path: &str, sha256: &str) -> Result<u64> {
    Ok(sqlx::query(
        "INSERT INTO jobs (path, blob, state, attempts, enqueued_at) VALUES ($1, $2, 'queued', 0, $3)
         ON CONFLICT (path) DO UPDATE SET
           blob = excluded.blob, state = 'queued', worker = NULL, lease_until = NULL, attempts = 0,
           enqueued_at = excluded.enqueued_at, finished_at = NULL, sha256 = NULL, error = NULL
         WHERE jobs.blob IS NULL OR jobs.blob <> excluded.blob",
    )
    .bind(path.to_string())
    .bind(sha256.to_string())
    .bind(now_rfc3339())
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// The content stored in `blobs` under `sha256`.
pub async fn blob(store: &Store, sha256: &str) -> Result<Vec<u8>> {
    Ok(sqlx::query("SELECT bytes FROM blobs WHERE sha256 = $1")
        .bind(sha256.to_string())
        .fetch_one(store.pool())
        .await?
        .try_get(0)?)
}

/// Puts failed jobs (and, with `done`, finished ones) back in the queue.
pub async fn requeue(store: &Store, done: bool) -> Result<u64> {
    let sql = if done {
        "UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, attempts = 0, error = NULL
         WHERE state IN ('failed', 'done')"
    } else {
        "UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, attempts = 0, error = NULL
         WHERE state = 'failed'"
    };
    Ok(sqlx::query(sql)
        .execute(store.pool())
        .await?
        .rows_affected())
}

/// Claims up to `n` jobs for `worker`, holding them for `lease`.
pub async fn claim(store: &Store, worker: &str, n: usize, lease: Duration) -> Result<Vec<Job>> {
    let now = store.backend().now_ms();
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE jobs SET state = 'failed', error = 'its worker stopped (lease expired) on every attempt',
             finished_at = $1, lease_until = NULL
         WHERE state = 'claimed' AND lease_until < {now} AND attempts >= $2"
    )))
    .bind(now_rfc3339())
    .bind(MAX_ATTEMPTS)
    .execute(store.pool())
    .await?;
    let sql = format!(
        "UPDATE jobs SET state = 'claimed', worker = $1, lease_until = {now} + $2, attempts = attempts + 1
         WHERE id IN (
             SELECT id FROM jobs
             WHERE state = 'queued' OR (state = 'claimed' AND lease_until < {now})
             ORDER BY id LIMIT $3{}
         )
         RETURNING id, path, attempts, blob",
        store.backend().skip_locked()
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(worker.to_string())
        .bind(millis(lease))
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .fetch_all(store.pool())
        .await?;
    let mut jobs = rows
        .iter()
        .map(|r| {
            Ok(Job {
                id: r.try_get(0)?,
                path: r.try_get(1)?,
                attempts: r.try_get(2)?,
                blob: r.try_get(3)?,
            })
        })
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// Extends the lease of every job `worker` holds to `lease` from now (the
/// database's now).
pub async fn renew(store: &Store, worker: &str, lease: Duration) -> Result<u64> {
    let sql = format!(
        "UPDATE jobs SET lease_until = {} + $1 WHERE worker = $2 AND state = 'claimed'",
        store.backend().now_ms()
    );
    Ok(sqlx::query(AssertSqlSafe(sql))
        .bind(millis(lease))
        .bind(worker.to_string())
        .execute(store.pool())
        .await?
        .rows_affected())
}

/// Puts the jobs claimed under `worker` back in the queue (their attempts
/// stay counted): called when a worker starts, since a live worker of the same
/// name is a mistake and a dead one's claims must not be renewed by its heir.
pub async fn release_held(store: &Store, worker: &str) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL
         WHERE worker = $1 AND state = 'claimed'",
    )
    .bind(worker.to_string())
    .execute(store.pool())
    .await?
    .rows_affected())
}

/// Jobs other workers hold now: a worker that finds nothing to claim waits
/// while this is not zero, since a holder that dies leaves its jobs to it.
pub async fn held_by_others(store: &Store, worker: &str) -> Result<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) FROM jobs WHERE state = 'claimed' AND worker <> $1")
            .bind(worker.to_string())
            .fetch_one(store.pool())
            .await?
            .try_get(0)?,
    )
}

/// Marks a job done (with the document's hash) or failed (with why). False
/// when `worker` no longer holds it (its lease expired and another worker
/// took it over; the document's rows are stored idempotently either way).
pub async fn finish(
    store: &Store,
    job: &Job,
    worker: &str,
    sha256: Option<&str>,
    error: Option<&str>,
) -> Result<bool> {
    let state = if error.is_some() { "failed" } else { "done" };
    let n = sqlx::query(
        "UPDATE jobs SET state = $1, finished_at = $2, sha256 = $3, error = $4, lease_until = NULL
         WHERE id = $5 AND worker = $6 AND state = 'claimed'",
    )
    .bind(state)
    .bind(now_rfc3339())
    .bind(sha256.map(str::to_string))
    .bind(error.map(str::to_string))
    .bind(job.id)
    .bind(worker.to_string())
    .execute(store.pool())
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Jobs by state.
pub async fn states(store: &Store) -> Result<Vec<(String, i64)>> {
    super::count_by_state(store, "jobs").await
}

/// A worker name: host name and process id.
pub fn default_worker() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!("{host}:{}", std::process::id())
}
