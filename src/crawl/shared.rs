//! The shared frontier (`gongkai crawl --shared --db …`): crawl workers on any
//! number of machines crawl one set of sources together through the dataset
//! database (SQLite for several processes on one machine, PostgreSQL for many
//! machines; migration 0003).
//!
//! - `frontier`: every URL of the current run once, keyed by its normalized
//!   form. A worker claims one URL at a time under a lease (renewed by a
//!   heartbeat while it works); a URL whose lease expired (its worker died) is
//!   claimed again, at most [`MAX_CLAIMS`] times.
//! - `hosts`: one politeness clock per host for all workers. A URL is claimed
//!   only when its host's `next_allowed_at` has passed; the claim moves it to
//!   the end of the lease (the host is busy: one request in flight per host,
//!   whoever makes it), and the end of the request to then + the host's delay.
//!   Times are the database's clock ([`crate::store::Backend::now_ms`]).
//!   Claims lock the URL's and the host's rows (`FOR UPDATE SKIP LOCKED` on
//!   PostgreSQL; SQLite has one writer at a time).
//! - `crawled`: the documents found, by URL, with their validators, so any
//!   worker can ask conditionally and tell new from changed from unchanged.
//!   A new or changed document's content goes to `blobs` and an extraction
//!   job to `jobs`, for `gongkai extract --queue` workers.
//! - `crawl_runs`: a worker that starts while a run is going joins it (with
//!   the same sources); otherwise it starts the next run, which forgets the
//!   last run's frontier so that list pages are read again.
//!
//! - `crawl_log`, `crawl_events`: every worker's fetch log and events, by
//!   worker name (migration 0004).
//!
//! This is the [`CrawlState`] of a shared crawl; a local crawl's
//! ([`LocalState`](super::local::LocalState)) keeps the same tables in a file
//! of its own. Each worker still keeps the files it downloaded in its own
//! output directory ([`Files`]); it writes no state there.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Row as _};
use url::Url;

use super::frontier::{host_key, Item};
use super::polite::Polite;
use super::sources::Source;
use super::state::{self, CrawlState, Downloaded, FetchLog, Files, Known, Next, PendingDoc};
use super::{settings, Event, EventKind};
use crate::store::{
    heartbeat, millis, now_rfc3339, queue, Backend, Heartbeat, Result, Store, StoreError,
};

/// Claims of one URL (its workers died holding it) before it is given up.
pub const MAX_CLAIMS: i64 = 3;

/// What [`SharedState::claim`] found.
#[derive(Debug)]
pub enum Claim {
    /// A URL to fetch now, with what is known of it.
    Item(Box<(Item, Option<Known>)>),
    /// Nothing is due yet (hosts resting, retries waiting, or other workers
    /// holding URLs whose pages may add more): ask again shortly.
    Wait,
    /// Nothing is queued or held: the run is over.
    Finished,
}

/// A worker's handle on the shared crawl state.
pub struct SharedState {
    store: Store,
    worker: String,
    lease: Duration,
    run: i64,
    files: Files,
    polite: Arc<Polite>,
    /// Renews this worker's claims while it lives.
    heartbeat: Option<Heartbeat>,
}

/// A fingerprint of the sources (their order gives `frontier.source`): the
/// workers of one run must crawl the same ones.
pub fn fingerprint(sources: &[Source]) -> String {
    let mut h = Sha256::new();
    for s in sources {
        h.update(format!("{s:?}\n").as_bytes());
    }
    hex::encode(h.finalize())
}

/// Renews the leases of every URL (and host) `worker` holds.
async fn renew(store: &Store, worker: &str, lease: Duration) -> Result<u64> {
    let now = store.backend().now_ms();
    let lease = millis(lease);
    let mut tx = store.begin().await?;
    let n = sqlx::query(AssertSqlSafe(format!(
        "UPDATE frontier SET lease_until = {now} + $1 WHERE worker = $2 AND state = 'claimed'"
    )))
    .bind(lease)
    .bind(worker.to_string())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE hosts SET next_allowed_at = {now} + $1 WHERE worker = $2"
    )))
    .bind(lease)
    .bind(worker.to_string())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(n)
}

impl SharedState {
    /// Opens the shared crawl state in `db` (migrating it) for `worker`, whose
    /// claims hold for `lease` and are renewed while it lives; downloads go to
    /// `files`, hosts rest as `polite` says after each request.
    pub async fn open(
        db: &str,
        worker: String,
        lease: Duration,
        files: Files,
        polite: Arc<Polite>,
    ) -> Result<SharedState> {
        let store = Store::open(db).await?;
        let beat = {
            let (store, name) = (store.clone(), worker.clone());
            heartbeat(
                &tokio::runtime::Handle::current(),
                lease,
                worker.clone(),
                move || {
                    let (store, name) = (store.clone(), name.clone());
                    async move { renew(&store, &name, lease).await }
                },
            )
        };
        Ok(SharedState {
            store,
            worker,
            lease,
            run: 0,
            files,
            polite,
            heartbeat: Some(beat),
        })
    }

    /// The worker's name.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// Joins the running run (same sources) or starts the next one, and adds
    /// the start URLs. Returns (run, joined).
    pub async fn start(&mut self, sources: &str, seeds: &[Item]) -> Result<(i64, bool)> {
        let backend = self.backend();
        let mut tx = self.store.begin().await?;
        if backend == Backend::Postgres {
            // Workers starting at once decide one after the other.
            sqlx::query("LOCK TABLE crawl_runs IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        let last =
            sqlx::query("SELECT run, state, sources FROM crawl_runs ORDER BY run DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
        let (run, joined) = match last {
            Some(r) if r.try_get::<String, _>(1)? == "running" => {
                let theirs: String = r.try_get(2)?;
                let run: i64 = r.try_get(0)?;
                if theirs != sources {
                    return Err(StoreError::Other(format!(
                        "shared crawl run {run} is going with other sources: start this worker with the \
                         same --sources and start URLs (and the same gongkai version), or wait until it finishes"
                    )));
                }
                (run, true)
            }
            last => {
                let previous = last.map(|r| r.try_get::<i64, _>(0)).transpose()?;
                (
                    state::start_next_run(&mut tx, previous, sources).await?,
                    false,
                )
            }
        };
        // URLs still claimed under this name were held by a predecessor that
        // stopped: queue them again rather than renew them as ours. Its hosts
        // rest until the end of its lease.
        let orphans = sqlx::query(
            "UPDATE frontier SET state = 'queued', worker = NULL, lease_until = NULL
             WHERE worker = $1 AND state = 'claimed'",
        )
        .bind(self.worker.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if orphans > 0 {
            tracing::warn!(
                "{}: {orphans} URLs claimed under this name by a stopped worker queued again",
                self.worker
            );
        }
        sqlx::query("UPDATE hosts SET worker = NULL WHERE worker = $1")
            .bind(self.worker.clone())
            .execute(&mut *tx)
            .await?;
        state::insert_items(&mut tx, seeds).await?;
        tx.commit().await?;
        self.run = run;
        Ok((run, joined))
    }

    /// Claims the next due URL of a resting host, or says why there is none.
    pub async fn claim(&self) -> Result<Claim> {
        let backend = self.backend();
        let now = backend.now_ms();
        let mut tx = self.store.begin().await?;
        // URLs whose workers died on every claim are given up.
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE frontier SET state = 'done', lease_until = NULL,
                 outcome = 'failed: its worker stopped (lease expired) on every claim'
             WHERE state = 'claimed' AND lease_until < {now} AND claims >= $1"
        )))
        .bind(MAX_CLAIMS)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT f.id, f.url, f.host, f.depth, f.pages, f.source, f.hint, f.anchor, f.attempts
             FROM frontier f JOIN hosts h ON h.host = f.host
             WHERE ((f.state = 'queued' AND f.not_before <= {now})
                    OR (f.state = 'claimed' AND f.lease_until < {now}))
               AND h.next_allowed_at <= {now}
             ORDER BY f.id LIMIT 1{}",
            backend.skip_locked()
        )))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            let open: i64 =
                sqlx::query("SELECT COUNT(*) FROM frontier WHERE state IN ('queued', 'claimed')")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
            tx.commit().await?;
            return Ok(if open == 0 {
                Claim::Finished
            } else {
                Claim::Wait
            });
        };
        let id: i64 = row.try_get("id")?;
        let Some(item) = state::item_of(&row)? else {
            // A row this build cannot parse: done, so the run can end.
            sqlx::query(
                "UPDATE frontier SET state = 'done', outcome = 'failed: unparsable URL', lease_until = NULL
                 WHERE id = $1",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(Claim::Wait);
        };
        let host: String = row.try_get("host")?;
        let lease = millis(self.lease);
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE hosts SET next_allowed_at = {now} + $1, worker = $2 WHERE host = $3"
        )))
        .bind(lease)
        .bind(self.worker.clone())
        .bind(host)
        .execute(&mut *tx)
        .await?;
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE frontier SET state = 'claimed', worker = $1, lease_until = {now} + $2, claims = claims + 1
             WHERE id = $3"
        )))
        .bind(self.worker.clone())
        .bind(lease)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let known = known(&mut tx, &item.url).await?;
        tx.commit().await?;
        Ok(Claim::Item(Box::new((item, known))))
    }

    /// Renews the leases of every URL (and host) this worker holds.
    pub async fn renew(&self) -> Result<u64> {
        renew(&self.store, &self.worker, self.lease).await
    }

    /// Frees `host` if this worker holds it: the next request to it waits
    /// `delay` from now.
    async fn free_host(
        &self,
        tx: &mut sqlx::AnyConnection,
        host: &str,
        delay: Duration,
    ) -> Result<()> {
        let now = self.backend().now_ms();
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE hosts SET next_allowed_at = {now} + $1, worker = NULL WHERE worker = $2 AND host = $3"
        )))
        .bind(millis(delay))
        .bind(self.worker.clone())
        .bind(host.to_string())
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// Marks `item` done (`outcome` says how), queues `links` and frees its
    /// host for `host_delay`. False when this worker no longer held it (its
    /// lease expired and another worker took it over).
    pub async fn done(
        &self,
        item: &Item,
        links: &[Item],
        outcome: &str,
        host_delay: Duration,
    ) -> Result<bool> {
        let mut tx = self.store.begin().await?;
        let held = self
            .settle(&mut tx, item, links, outcome, host_delay)
            .await?;
        tx.commit().await?;
        Ok(held)
    }

    async fn settle(
        &self,
        tx: &mut sqlx::AnyConnection,
        item: &Item,
        links: &[Item],
        outcome: &str,
        host_delay: Duration,
    ) -> Result<bool> {
        state::insert_items(tx, links).await?;
        let n = sqlx::query(
            "UPDATE frontier SET state = 'done', outcome = $1, lease_until = NULL
             WHERE url = $2 AND worker = $3 AND state = 'claimed'",
        )
        .bind(outcome.to_string())
        .bind(item.url.as_str().to_string())
        .bind(self.worker.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        self.free_host(tx, &host_key(&item.url), host_delay).await?;
        Ok(n == 1)
    }

    /// Puts `item` back, to be claimed again no sooner than `wait` from now
    /// (with its `attempts` as counted by the caller), and frees its host.
    pub async fn retry(
        &self,
        item: &Item,
        wait: Duration,
        outcome: &str,
        host_delay: Duration,
    ) -> Result<bool> {
        let mut tx = self.store.begin().await?;
        let held = self
            .requeue(&mut tx, item, wait, outcome, host_delay)
            .await?;
        tx.commit().await?;
        Ok(held)
    }

    async fn requeue(
        &self,
        tx: &mut sqlx::AnyConnection,
        item: &Item,
        wait: Duration,
        outcome: &str,
        host_delay: Duration,
    ) -> Result<bool> {
        let now = self.backend().now_ms();
        let n = sqlx::query(AssertSqlSafe(format!(
            "UPDATE frontier SET state = 'queued', worker = NULL, lease_until = NULL, claims = 0,
                 attempts = $1, not_before = {now} + $2, outcome = $3
             WHERE url = $4 AND worker = $5 AND state = 'claimed'"
        )))
        .bind(i64::from(item.attempts))
        .bind(millis(wait))
        .bind(outcome.to_string())
        .bind(item.url.as_str().to_string())
        .bind(self.worker.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        self.free_host(tx, &host_key(&item.url), host_delay).await?;
        Ok(n == 1)
    }

    /// Marks the run finished when nothing is queued or held any more.
    /// Returns whether this call finished it.
    pub async fn finish_run(&self) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE crawl_runs SET state = 'finished', finished_at = $1
             WHERE run = $2 AND state = 'running'
               AND NOT EXISTS (SELECT 1 FROM frontier WHERE state IN ('queued', 'claimed'))",
        )
        .bind(now_rfc3339())
        .bind(self.run)
        .execute(self.store.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// URLs in the frontier by state.
    pub async fn states(&self) -> Result<Vec<(String, i64)>> {
        crate::store::count_by_state(&self.store, "frontier").await
    }

    /// Appends the fetch log line (and event) of `item` within `tx`.
    async fn record(
        &self,
        tx: &mut sqlx::AnyConnection,
        item: &Item,
        log: &FetchLog,
        event: Option<&Event>,
    ) -> Result<()> {
        state::record(tx, self.run, Some(&self.worker), &item.url, log, event).await?;
        Ok(())
    }

    /// Settles `item` (done, with `links`) with its log line and event, in
    /// one transaction.
    async fn settle_logged(
        &self,
        item: &Item,
        links: &[Item],
        log: &FetchLog,
        event: Option<&Event>,
    ) -> state::Result<()> {
        let rest = self.polite.rest(&item.url).await;
        let mut tx = self.store.begin().await?;
        let held = self
            .settle(&mut tx, item, links, &log.outcome, rest)
            .await?;
        self.record(&mut tx, item, log, event).await?;
        tx.commit().await.map_err(StoreError::from)?;
        if !held {
            lost(item);
        }
        Ok(())
    }
}

impl CrawlState for SharedState {
    fn files(&self) -> &Files {
        &self.files
    }

    fn queued(&self) -> Option<usize> {
        None
    }

    /// A shared crawl's extraction goes through the `jobs` queue.
    async fn pending_extraction(&self) -> state::Result<Vec<PendingDoc>> {
        Ok(Vec::new())
    }

    async fn next(&mut self, _busy: &HashSet<String>) -> state::Result<Next> {
        // The claim itself keeps one request per host across all workers.
        Ok(match self.claim().await? {
            Claim::Item(b) => Next::Item(b),
            // Claimable work appears as hosts rest and other workers report
            // links: ask again shortly.
            Claim::Wait => Next::Wait(Some(Instant::now() + settings::SHARED_POLL)),
            Claim::Finished => Next::Finished,
        })
    }

    async fn page_done(
        &mut self,
        item: &Item,
        links: &[Item],
        log: &FetchLog,
    ) -> state::Result<()> {
        self.settle_logged(item, links, log, None).await
    }

    async fn done(
        &mut self,
        item: &Item,
        event: Option<&Event>,
        log: &FetchLog,
    ) -> state::Result<()> {
        self.settle_logged(item, &[], log, event).await
    }

    async fn retry(&mut self, item: Item, wait: Duration, log: &FetchLog) -> state::Result<()> {
        let rest = self.polite.rest(&item.url).await;
        let mut tx = self.store.begin().await?;
        let held = self
            .requeue(&mut tx, &item, wait, &log.outcome, rest)
            .await?;
        self.record(&mut tx, &item, log, None).await?;
        tx.commit().await.map_err(StoreError::from)?;
        if !held {
            lost(&item);
        }
        Ok(())
    }

    async fn not_modified(
        &mut self,
        item: &Item,
        known: &Known,
        log: &FetchLog,
    ) -> state::Result<Event> {
        let rest = self.polite.rest(&item.url).await;
        let mut tx = self.store.begin().await?;
        let ev = state::seen(&mut tx, item, known).await?;
        let held = self.settle(&mut tx, item, &[], &log.outcome, rest).await?;
        self.record(&mut tx, item, log, Some(&ev)).await?;
        tx.commit().await.map_err(StoreError::from)?;
        if !held {
            lost(item);
        }
        Ok(ev)
    }

    /// Besides the index entry, a document's content goes to `blobs` and,
    /// when new or changed, an extraction job to `jobs`.
    async fn document(
        &mut self,
        item: &Item,
        d: &Downloaded,
        bytes: Option<&[u8]>,
        links: &[Item],
        log: &FetchLog,
    ) -> state::Result<Event> {
        let read;
        let bytes = match bytes {
            Some(b) => b,
            None => {
                read = Files::read_tmp(d)?;
                &read
            }
        };
        let existing = state::stored_path(&self.store, &d.sha256).await?;
        let path = self.files.place(d, existing)?;
        let rest = self.polite.rest(&item.url).await;
        let mut tx = self.store.begin().await?;
        let ev = state::index_document(&mut tx, item, d, &path, false).await?;
        queue::store_blob(&mut tx, &d.sha256, bytes).await?;
        if ev.event != EventKind::Unchanged {
            queue::enqueue_one(&mut tx, item.url.as_str(), &d.sha256).await?;
        }
        let held = self
            .settle(&mut tx, item, links, &log.outcome, rest)
            .await?;
        self.record(&mut tx, item, log, Some(&ev)).await?;
        tx.commit().await.map_err(StoreError::from)?;
        if !held {
            lost(item);
        }
        Ok(ev)
    }

    async fn finish(&mut self) -> state::Result<()> {
        self.finish_run().await?;
        Ok(())
    }

    async fn close(&mut self) {
        self.heartbeat.take();
        self.store.close().await;
    }
}

/// A claim this worker no longer held when it settled the item: its lease
/// expired and another worker took the URL over (the work is idempotent).
fn lost(item: &Item) {
    tracing::warn!(
        "{}: this worker's claim had expired; another worker took it over",
        item.url
    );
}

/// What the shared crawl knows of `url`, for a conditional request: only
/// for documents whose content is in `blobs` (so a 304 loses nothing) and
/// that are not HTML (pages are read every run for their links).
async fn known(tx: &mut sqlx::AnyConnection, url: &Url) -> Result<Option<Known>> {
    let row = sqlx::query(
        "SELECT c.sha256, c.ext, c.path, c.etag, c.last_modified FROM crawled c
         WHERE c.url = $1 AND c.ext <> 'html' AND EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = c.sha256)",
    )
    .bind(url.as_str().to_string())
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(|r| state::known_of(&r)).transpose()?)
}

#[cfg(test)]
mod tests {
    use super::super::frontier::Hint;
    use super::*;

    fn item(u: &str, hint: Hint) -> Item {
        Item {
            url: Url::parse(u).unwrap_or_else(|e| panic!("{e}")),
            depth: 0,
            pages: 0,
            source: 0,
            hint,
            anchor: String::new(),
            attempts: 0,
        }
    }

    /// A worker on `db` with an output directory of its own; its hosts rest
    /// for no time after a document (the test says how long after the rest).
    async fn open(db: &str, worker: &str) -> SharedState {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let files = Files::open(&dir.keep()).unwrap_or_else(|e| panic!("{e}"));
        let polite = Arc::new(Polite::new(Duration::ZERO, Default::default()));
        SharedState::open(db, worker.into(), Duration::from_secs(60), files, polite)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn claimed(c: Claim) -> Item {
        match c {
            Claim::Item(b) => b.0,
            other => panic!("expected a URL, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn one_url_per_host_at_a_time_and_the_host_rests() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = dir.path().join("f.sqlite").display().to_string();
        let (mut a, mut b) = (open(&db, "a").await, open(&db, "b").await);
        let start = item("http://x.cn/list.html", Hint::Start);
        let other = item("http://y.cn/list.html", Hint::Start);
        assert_eq!(
            a.start("S", &[start.clone(), other.clone()]).await.ok(),
            Some((1, false))
        );
        assert!(
            matches!(b.start("T", &[]).await, Err(StoreError::Other(_))),
            "other sources are refused"
        );
        assert_eq!(
            b.start("S", std::slice::from_ref(&start)).await.ok(),
            Some((1, true))
        );

        // a takes x.cn's page; b gets y.cn's, then nothing (x.cn is busy).
        let first = claimed(a.claim().await.unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(first.url, start.url);
        let second = claimed(b.claim().await.unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(second.url, other.url);
        assert!(matches!(b.claim().await, Ok(Claim::Wait)));

        // a reports two links of x.cn (one already known) and frees the host
        // for 300 ms: nobody gets x.cn before that.
        let doc = item("http://x.cn/a.pdf", Hint::Document);
        let held = a
            .done(
                &first,
                &[doc.clone(), start.clone()],
                "page",
                Duration::from_millis(300),
            )
            .await;
        assert_eq!(held.ok(), Some(true));
        assert!(matches!(b.claim().await, Ok(Claim::Wait)));
        tokio::time::sleep(Duration::from_millis(400)).await;
        let third = claimed(b.claim().await.unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(third.url, doc.url);
        // a no longer holds what it finished.
        assert_eq!(
            a.done(&first, &[], "again", Duration::ZERO).await.ok(),
            Some(false)
        );

        // A retry waits its time; the run ends when nothing is queued or held.
        assert_eq!(
            b.retry(
                &third,
                Duration::from_millis(200),
                "http_503",
                Duration::ZERO
            )
            .await
            .ok(),
            Some(true)
        );
        assert_eq!(
            b.done(&second, &[], "page", Duration::ZERO).await.ok(),
            Some(true)
        );
        assert!(matches!(a.claim().await, Ok(Claim::Wait)));
        assert_eq!(
            a.finish_run().await.ok(),
            Some(false),
            "not while a URL is queued"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        let again = claimed(a.claim().await.unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(again.url, doc.url);
        let bytes = b"%PDF-1.4 x";
        let sha = crate::text::sha256_hex(bytes);
        let tmp = a.files().temp_path();
        std::fs::write(&tmp, bytes).unwrap_or_else(|e| panic!("{e}"));
        let d = Downloaded {
            tmp,
            sha256: sha.clone(),
            bytes: bytes.len() as u64,
            ext: "pdf",
            content_type: None,
            charset: None,
            etag: Some("\"1\"".into()),
            last_modified: None,
        };
        let log = FetchLog {
            outcome: "document".into(),
            ..FetchLog::default()
        };
        let ev = a
            .document(&again, &d, None, &[], &log)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ev.event, EventKind::New);
        assert_eq!(
            a.states().await.unwrap_or_default(),
            vec![("done".to_string(), 3)]
        );
        assert!(matches!(b.claim().await, Ok(Claim::Finished)));
        assert_eq!(b.finish_run().await.ok(), Some(true));

        // The next run asks conditionally for the stored document and starts
        // over; a worker restarted under a stopped worker's name puts its
        // claims back.
        let mut c = open(&db, "c").await;
        assert_eq!(
            c.start("S", std::slice::from_ref(&doc)).await.ok(),
            Some((2, false))
        );
        let Ok(Claim::Item(b2)) = c.claim().await else {
            panic!("no claim")
        };
        let known =
            b2.1.unwrap_or_else(|| panic!("the stored document is known"));
        assert_eq!(
            (known.sha256.as_str(), known.etag.as_deref()),
            (sha.as_str(), Some("\"1\""))
        );
        let mut heir = open(&db, "c").await;
        assert_eq!(heir.start("S", &[]).await.ok(), Some((2, true)));
        let states = heir.states().await.unwrap_or_default();
        assert_eq!(states, vec![("queued".to_string(), 1)]);
        for mut f in [a, b, c, heir] {
            f.close().await;
        }
    }
}
