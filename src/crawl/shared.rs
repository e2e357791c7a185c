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
//! Each worker still keeps its own output directory: the files it downloaded,
//! its fetch log and its events.

use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Row as _};
use url::Url;

use super::frontier::{host_key, Hint, Item};
use super::sources::Source;
use super::store::Known;
use super::EventKind;
use crate::store::{millis, now_rfc3339, queue, Backend, Result, Store, StoreError};

/// Claims of one URL (its workers died holding it) before it is given up.
pub const MAX_CLAIMS: i64 = 3;

/// What [`Frontier::claim`] found.
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

/// A worker's handle on the shared frontier.
#[derive(Debug, Clone)]
pub struct Frontier {
    store: Store,
    worker: String,
    lease: Duration,
    run: i64,
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

fn item_of(r: &sqlx::any::AnyRow) -> std::result::Result<Option<Item>, sqlx::Error> {
    let url: String = r.try_get("url")?;
    let Ok(url) = Url::parse(&url) else {
        return Ok(None);
    };
    let n = |c: &str| -> std::result::Result<u32, sqlx::Error> {
        Ok(u32::try_from(r.try_get::<i64, _>(c)?).unwrap_or(0))
    };
    Ok(Some(Item {
        url,
        depth: n("depth")?,
        pages: n("pages")?,
        source: usize::try_from(r.try_get::<i64, _>("source")?).unwrap_or(usize::MAX),
        hint: Hint::parse(&r.try_get::<String, _>("hint")?),
        anchor: r.try_get("anchor")?,
        attempts: n("attempts")?,
    }))
}

/// Adds `items` not in the frontier yet (and their hosts) within `tx`.
async fn insert_items(tx: &mut sqlx::AnyConnection, items: &[Item]) -> Result<()> {
    for it in items {
        let host = host_key(&it.url);
        sqlx::query(
            "INSERT INTO frontier (url, host, depth, pages, source, hint, anchor, state, attempts, claims, not_before)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, 0, 0) ON CONFLICT (url) DO NOTHING",
        )
        .bind(it.url.as_str().to_string())
        .bind(host.clone())
        .bind(i64::from(it.depth))
        .bind(i64::from(it.pages))
        .bind(i64::try_from(it.source).unwrap_or(i64::MAX))
        .bind(it.hint.as_str())
        .bind(it.anchor.clone())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO hosts (host, next_allowed_at) VALUES ($1, 0) ON CONFLICT (host) DO NOTHING",
        )
        .bind(host)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

impl Frontier {
    /// Opens the shared frontier in `db` (migrating it) for `worker`, whose
    /// claims hold for `lease` unless renewed.
    pub async fn open(db: &str, worker: String, lease: Duration) -> Result<Frontier> {
        let store = Store::open(db).await?;
        Ok(Frontier {
            store,
            worker,
            lease,
            run: 0,
        })
    }

    /// The worker's name.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// The lease of a claim.
    pub fn lease(&self) -> Duration {
        self.lease
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
                let run = match last {
                    Some(r) => r.try_get::<i64, _>(0)? + 1,
                    None => 1,
                };
                sqlx::query("DELETE FROM frontier")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO crawl_runs (run, state, sources, started_at) VALUES ($1, 'running', $2, $3)",
                )
                .bind(run)
                .bind(sources.to_string())
                .bind(now_rfc3339())
                .execute(&mut *tx)
                .await?;
                (run, false)
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
        insert_items(&mut tx, seeds).await?;
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
        let Some(item) = item_of(&row)? else {
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
        let now = self.backend().now_ms();
        let lease = millis(self.lease);
        let mut tx = self.store.begin().await?;
        let n = sqlx::query(AssertSqlSafe(format!(
            "UPDATE frontier SET lease_until = {now} + $1 WHERE worker = $2 AND state = 'claimed'"
        )))
        .bind(lease)
        .bind(self.worker.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE hosts SET next_allowed_at = {now} + $1 WHERE worker = $2"
        )))
        .bind(lease)
        .bind(self.worker.clone())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(n)
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
            .finish_in(&mut tx, item, links, outcome, host_delay)
            .await?;
        tx.commit().await?;
        Ok(held)
    }

    async fn finish_in(
        &self,
        tx: &mut sqlx::AnyConnection,
        item: &Item,
        links: &[Item],
        outcome: &str,
        host_delay: Duration,
    ) -> Result<bool> {
        insert_items(tx, links).await?;
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
        let now = self.backend().now_ms();
        let mut tx = self.store.begin().await?;
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
        self.free_host(&mut tx, &host_key(&item.url), host_delay)
            .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    /// A document was downloaded: its content goes to `blobs`, its index entry
    /// to `crawled` and, when new or changed, an extraction job to `jobs`; the
    /// item is done and its `links` queued. Returns what the document is to
    /// the shared crawl (new, changed, unchanged) and whether the item was
    /// still held.
    pub async fn document(
        &self,
        item: &Item,
        doc: &Document<'_>,
        links: &[Item],
        outcome: &str,
        host_delay: Duration,
    ) -> Result<(EventKind, bool)> {
        let now = now_rfc3339();
        let mut tx = self.store.begin().await?;
        let url = item.url.as_str().to_string();
        let prior: Option<String> = sqlx::query("SELECT sha256 FROM crawled WHERE url = $1")
            .bind(url.clone())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        let kind = match prior.as_deref() {
            None => EventKind::New,
            Some(s) if s == doc.sha256 => EventKind::Unchanged,
            Some(_) => EventKind::Changed,
        };
        queue::store_blob(&mut tx, doc.sha256, doc.bytes).await?;
        sqlx::query(
            "INSERT INTO crawled (url, sha256, ext, etag, last_modified, first_seen, last_seen, changed)
             VALUES ($1, $2, $3, $4, $5, $6, $6, $6)
             ON CONFLICT (url) DO UPDATE SET
               changed = CASE WHEN crawled.sha256 = excluded.sha256 THEN crawled.changed ELSE excluded.changed END,
               sha256 = excluded.sha256, ext = excluded.ext, etag = excluded.etag,
               last_modified = excluded.last_modified, last_seen = excluded.last_seen",
        )
        .bind(url.clone())
        .bind(doc.sha256.to_string())
        .bind(doc.ext.to_string())
        .bind(doc.etag.map(str::to_string))
        .bind(doc.last_modified.map(str::to_string))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if kind != EventKind::Unchanged {
            queue::enqueue_one(&mut tx, &url, doc.sha256).await?;
        }
        let held = self
            .finish_in(&mut tx, item, links, outcome, host_delay)
            .await?;
        tx.commit().await?;
        Ok((kind, held))
    }

    /// A conditional request said the document is unchanged: it is seen now.
    pub async fn unchanged(
        &self,
        item: &Item,
        outcome: &str,
        host_delay: Duration,
    ) -> Result<bool> {
        let mut tx = self.store.begin().await?;
        sqlx::query("UPDATE crawled SET last_seen = $1 WHERE url = $2")
            .bind(now_rfc3339())
            .bind(item.url.as_str().to_string())
            .execute(&mut *tx)
            .await?;
        let held = self
            .finish_in(&mut tx, item, &[], outcome, host_delay)
            .await?;
        tx.commit().await?;
        Ok(held)
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

    /// Closes the connections.
    pub async fn close(&self) {
        self.store.close().await;
    }
}

/// A downloaded document as the shared crawl records it.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    /// Hex SHA-256 of the content.
    pub sha256: &'a str,
    /// The content.
    pub bytes: &'a [u8],
    /// File extension chosen from the content.
    pub ext: &'a str,
    /// `ETag` validator.
    pub etag: Option<&'a str>,
    /// `Last-Modified` validator.
    pub last_modified: Option<&'a str>,
}

/// What the shared crawl knows of `url`, for a conditional request: only
/// for documents whose content is in `blobs` (so a 304 loses nothing) and
/// that are not HTML (pages are read every run for their links).
async fn known(tx: &mut sqlx::AnyConnection, url: &Url) -> Result<Option<Known>> {
    let row = sqlx::query(
        "SELECT c.sha256, c.ext, c.etag, c.last_modified FROM crawled c
         WHERE c.url = $1 AND c.ext <> 'html' AND EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = c.sha256)",
    )
    .bind(url.as_str().to_string())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let sha256: String = r.try_get(0)?;
    let ext: String = r.try_get(1)?;
    Ok(Some(Known {
        path: super::store::Store::blob_path(&sha256, &ext),
        sha256,
        etag: r.try_get(2)?,
        last_modified: r.try_get(3)?,
    }))
}

#[cfg(test)]
mod tests {
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

    async fn open(db: &str, worker: &str) -> Frontier {
        Frontier::open(db, worker.into(), Duration::from_secs(60))
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
        let d = Document {
            sha256: &sha,
            bytes,
            ext: "pdf",
            etag: Some("\"1\""),
            last_modified: None,
        };
        let (kind, held) = a
            .document(&again, &d, &[], "document", Duration::ZERO)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((kind, held), (EventKind::New, true));
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
        for f in [a, b, c, heir] {
            f.close().await;
        }
    }
}
