//! Which run extracts a document: `extract --db PATH...` runs started at
//! once over the same files (two cron jobs overlapping, a user starting a
//! second one) each claim a document, by content hash and pattern set,
//! before extracting it. One gets the claim and extracts it; the others
//! leave it to that run, so nothing is extracted twice and each new
//! document is counted new once.
//!
//! A claim is held under the run's worker name (`HOST:PID`, as in the
//! queue) until the run stores the record and releases it. Its lease is
//! renewed by the run's heartbeat; a killed run stops renewing and its
//! claims lapse after the lease, or at once for a run on this host whose
//! process is gone. Leases are judged by the database's clock
//! ([`super::Backend::now_ms`]).

use std::time::Duration;

use sqlx::Row;

use super::{millis, Result, Store};

/// Claims the document (`sha256`, `patterns_hash`) for `worker`, holding it
/// for `lease`: true when `worker` holds it now (it was free, lapsed, held
/// by a dead process of this host, or already this worker's).
pub async fn claim(
    store: &Store,
    sha256: &str,
    patterns_hash: &str,
    worker: &str,
    lease: Duration,
) -> Result<bool> {
    let now = store.backend().now_ms();
    let take = |condition: &str| {
        format!(
            "INSERT INTO extraction_claims (sha256, patterns_hash, worker, lease_until)
             VALUES ($1, $2, $3, {now} + $4)
             ON CONFLICT (sha256, patterns_hash) DO UPDATE
                 SET worker = excluded.worker, lease_until = excluded.lease_until
                 WHERE {condition}
             RETURNING worker"
        )
    };
    let held = |sql: String, holder: Option<String>| async move {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(sha256.to_string())
            .bind(patterns_hash.to_string())
            .bind(worker.to_string())
            .bind(millis(lease));
        if let Some(h) = holder {
            q = q.bind(h);
        }
        Ok::<bool, super::StoreError>(q.fetch_optional(store.pool()).await?.is_some())
    };
    let condition = format!(
        "extraction_claims.lease_until < {now} OR extraction_claims.worker = excluded.worker"
    );
    if held(take(&condition), None).await? {
        return Ok(true);
    }
    // Held by another: taken over when that is a process of this host that
    // is gone (a killed run restarted at once need not wait for the lease).
    let holder: Option<String> = sqlx::query(
        "SELECT worker FROM extraction_claims WHERE sha256 = $1 AND patterns_hash = $2",
    )
    .bind(sha256.to_string())
    .bind(patterns_hash.to_string())
    .fetch_optional(store.pool())
    .await?
    .map(|r| r.try_get(0))
    .transpose()?;
    match holder {
        Some(h) if is_dead_here(&h, worker) => {
            held(take("extraction_claims.worker = $5"), Some(h)).await
        }
        _ => Ok(false),
    }
}

/// Gives the claim up (the record is stored, or the run left the document).
pub async fn release(store: &Store, sha256: &str, patterns_hash: &str, worker: &str) -> Result<()> {
    sqlx::query(
        "DELETE FROM extraction_claims WHERE sha256 = $1 AND patterns_hash = $2 AND worker = $3",
    )
    .bind(sha256.to_string())
    .bind(patterns_hash.to_string())
    .bind(worker.to_string())
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Extends every claim `worker` holds to `lease` from now (the heartbeat).
pub async fn renew(store: &Store, worker: &str, lease: Duration) -> Result<u64> {
    let now = store.backend().now_ms();
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE extraction_claims SET lease_until = {now} + $2 WHERE worker = $1"
    )))
    .bind(worker.to_string())
    .bind(millis(lease))
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected())
}

/// Drops every claim `worker` holds (a run's end).
pub async fn release_all(store: &Store, worker: &str) -> Result<u64> {
    let done = sqlx::query("DELETE FROM extraction_claims WHERE worker = $1")
        .bind(worker.to_string())
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}

/// True when `holder` (`HOST:PID`) is a process of the same host as
/// `worker` that no longer runs (Linux: no `/proc/PID`).
fn is_dead_here(holder: &str, worker: &str) -> bool {
    let host = |w: &str| w.rsplit_once(':').map(|(h, _)| h.to_string());
    let Some((holder_host, pid)) = holder.rsplit_once(':') else {
        return false;
    };
    if host(worker).as_deref() != Some(holder_host) || !std::path::Path::new("/proc/self").exists()
    {
        return false;
    }
    pid.parse::<u32>()
        .is_ok_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_gone_process_of_this_host_is_dead() {
        let me = format!("h1:{}", std::process::id());
        assert!(!is_dead_here(&me, "h1:1"));
        assert!(is_dead_here("h1:4294967295", &me));
        assert!(!is_dead_here("h2:4294967295", &me));
        assert!(!is_dead_here("nonsense", &me));
    }
}
