//! The crawl state behind one trait, [`CrawlState`]: the frontier (what is
//! queued, what is done, the seen-set of the run), the document index (what
//! each URL held last, its validators), the fetch log and the events. Both
//! implementations keep it in the dataset store's tables (`crawl_runs`,
//! `frontier`, `crawled`, `crawl_log`, `crawl_events`; migrations 0003 and
//! 0004) through [`crate::store::Store`], so the SQL is written once:
//!
//! - [`LocalState`](super::local::LocalState): one crawler, an SQLite file
//!   `DIR/state.sqlite`; the engine schedules from an in-memory mirror of the
//!   frontier (per-host queues, retries waiting their time).
//! - [`SharedState`](super::shared::SharedState): `crawl --shared --db`, the
//!   shared database (SQLite or PostgreSQL); URLs are claimed under a lease
//!   and hosts keep one politeness clock for all workers.
//!
//! Either way the documents themselves are files under `DIR` ([`Files`]):
//! content-addressed (`DIR/docs/ab/abcdef….pdf`), streamed to `DIR/tmp/`,
//! fsynced and renamed into `docs/` *before* the transaction that records them
//! commits, so a crash in between leaves a complete file that the next
//! download of the same content renames over. `DIR/tmp/` is emptied on open
//! and `DIR/lock` keeps a second crawl out of the directory. Every state
//! change is one transaction. See `docs/crawl-state.md`.

use std::collections::HashSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::Row as _;
use url::Url;

use super::frontier::{host_key, Hint, Item};
use super::{Event, EventKind};
use crate::store::now_rfc3339;

/// The file of a local crawl's state under its directory.
pub const STATE_FILE: &str = "state.sqlite";

/// A failure of the crawl state: fatal for the crawl (disk full, permissions,
/// a corrupt or unreachable database). State written so far stays consistent.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The state database failed.
    #[error("crawl state: {0}")]
    Db(#[from] crate::store::StoreError),
    /// The file system failed.
    #[error("{0}")]
    Io(String),
    /// Another crawl holds the directory.
    #[error("{0} is in use by another gongkai crawl")]
    Locked(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Db(e.into())
    }
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io(format!("{what} {}: {e}", path.display()))
}

/// Result alias of the crawl state.
pub type Result<T> = std::result::Result<T, StoreError>;

/// A stored document awaiting extraction: (url, path, sha256, charset).
pub type PendingDoc = (String, String, String, Option<String>);

/// One line of the fetch log.
#[derive(Debug, Clone, Default)]
pub struct FetchLog {
    /// HTTP status of the last hop, if any.
    pub status: Option<u16>,
    /// Body bytes read.
    pub bytes: u64,
    /// Time taken.
    pub millis: u64,
    /// `page`, `document`, `not_modified`, `retry: …`, `failed: …`, `skipped: …`.
    pub outcome: String,
}

/// What is known about a document URL from earlier runs.
#[derive(Debug, Clone)]
pub struct Known {
    /// Content hash.
    pub sha256: String,
    /// Path under DIR.
    pub path: String,
    /// `ETag` validator.
    pub etag: Option<String>,
    /// `Last-Modified` validator.
    pub last_modified: Option<String>,
}

/// A downloaded body waiting in `DIR/tmp/`.
#[derive(Debug, Clone)]
pub struct Downloaded {
    /// The temp file.
    pub tmp: PathBuf,
    /// Hex SHA-256 of the body.
    pub sha256: String,
    /// Body size.
    pub bytes: u64,
    /// File extension chosen from the content.
    pub ext: &'static str,
    /// `Content-Type` header.
    pub content_type: Option<String>,
    /// Charset of an HTML body.
    pub charset: Option<String>,
    /// `ETag` header.
    pub etag: Option<String>,
    /// `Last-Modified` header.
    pub last_modified: Option<String>,
}

/// What to fetch next.
#[derive(Debug)]
pub enum Next {
    /// A URL to fetch now, with what is known of it (for a conditional GET).
    Item(Box<(Item, Option<Known>)>),
    /// Nothing is due: ask again at the instant given, or when a request in
    /// flight ends (`None`).
    Wait(Option<Instant>),
    /// Nothing is queued (here, or anywhere for a shared crawl).
    Finished,
}

/// The crawl's state, whoever keeps it. The engine settles every URL it
/// was given by [`CrawlState::next`] with exactly one of `page_done`, `done`,
/// `retry`, `not_modified` or `document`; each is one transaction.
// The engine is the only caller and is generic over the implementation.
#[allow(async_fn_in_trait)]
pub trait CrawlState {
    /// The output directory's files.
    fn files(&self) -> &Files;

    /// URLs queued, when this process knows (a shared crawl's are in the
    /// database: see `gongkai stats`).
    fn queued(&self) -> Option<usize>;

    /// Documents stored by an interrupted `--extract` run whose extraction was
    /// never confirmed.
    async fn pending_extraction(&self) -> Result<Vec<PendingDoc>>;

    /// The next URL to fetch; `busy` are the hosts with a request in flight.
    async fn next(&mut self, busy: &HashSet<String>) -> Result<Next>;

    /// A page was read: its `links` are queued and it is done.
    async fn page_done(&mut self, item: &Item, links: &[Item], log: &FetchLog) -> Result<()>;

    /// An item is done without a document (skipped, or failed with `event`).
    async fn done(&mut self, item: &Item, event: Option<&Event>, log: &FetchLog) -> Result<()>;

    /// `item` (with its `attempts` as counted by the caller) is fetched again
    /// no sooner than `wait` from now.
    async fn retry(&mut self, item: Item, wait: Duration, log: &FetchLog) -> Result<()>;

    /// A conditional GET answered 304: the document is unchanged.
    async fn not_modified(&mut self, item: &Item, known: &Known, log: &FetchLog) -> Result<Event>;

    /// A document was downloaded (`bytes`: its content when the caller has
    /// read it already): its file is put into `docs/`, then it is indexed,
    /// new, changed or unchanged, the item done and its `links` queued.
    async fn document(
        &mut self,
        item: &Item,
        d: &Downloaded,
        bytes: Option<&[u8]>,
        links: &[Item],
        log: &FetchLog,
    ) -> Result<Event>;

    /// Nothing is left: the run is over.
    async fn finish(&mut self) -> Result<()>;

    /// Closes the database (after `finish`, or after a failure).
    async fn close(&mut self);
}

/// The files of one output directory: `docs/`, `tmp/` and the lock.
#[derive(Debug)]
pub struct Files {
    dir: PathBuf,
    _lock: File,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Files {
    /// Creates `dir`, takes its lock and removes leftover temp files.
    pub fn open(dir: &Path) -> Result<Files> {
        for d in [dir.to_path_buf(), dir.join("docs"), dir.join("tmp")] {
            fs::create_dir_all(&d).map_err(|e| io("creating", &d, e))?;
        }
        let lock_path = dir.join("lock");
        let lock = File::create(&lock_path).map_err(|e| io("creating", &lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Locked(dir.display().to_string()))
            }
            Err(fs::TryLockError::Error(e)) => return Err(io("locking", &lock_path, e)),
        }
        let tmp = dir.join("tmp");
        for entry in fs::read_dir(&tmp).map_err(|e| io("reading", &tmp, e))? {
            let path = entry.map_err(|e| io("reading", &tmp, e))?.path();
            fs::remove_file(&path).map_err(|e| io("removing", &path, e))?;
        }
        Ok(Files {
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    /// The output directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A fresh path for a temp file in `DIR/tmp/`.
    pub fn temp_path(&self) -> PathBuf {
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        self.dir
            .join("tmp")
            .join(format!("{}-{n}.part", std::process::id()))
    }

    /// Where a content lives, relative to DIR.
    pub fn blob_path(sha256: &str, ext: &str) -> String {
        format!("docs/{}/{sha256}.{ext}", &sha256[..2])
    }

    /// Puts a downloaded body into `docs/`: fsynced and renamed, unless
    /// `existing` (where that content was stored before) is on disk, in
    /// which case the temp file goes. Returns its path relative to DIR.
    pub fn place(&self, d: &Downloaded, existing: Option<String>) -> Result<String> {
        if let Some(p) = existing.filter(|p| self.dir.join(p).is_file()) {
            let _ = fs::remove_file(&d.tmp);
            return Ok(p);
        }
        let rel = Self::blob_path(&d.sha256, d.ext);
        let dest = self.dir.join(&rel);
        let parent = dest.parent().expect("blob path has a parent");
        fs::create_dir_all(parent).map_err(|e| io("creating", parent, e))?;
        File::open(&d.tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| io("syncing", &d.tmp, e))?;
        fs::rename(&d.tmp, &dest).map_err(|e| io("renaming into", &dest, e))?;
        if let Ok(dirf) = File::open(parent) {
            let _ = dirf.sync_all();
        }
        Ok(rel)
    }

    /// Reads the temp file of `d`.
    pub fn read_tmp(d: &Downloaded) -> Result<Vec<u8>> {
        fs::read(&d.tmp).map_err(|e| io("reading", &d.tmp, e))
    }
}

// The SQL both implementations share. `worker` is a shared crawl's worker
// (None for a local crawl).

/// Starts the run after `previous` (the first when none): the previous
/// run's frontier is forgotten (its list pages are visited again; the
/// document index stays). Returns the new run's number.
pub(crate) async fn start_next_run(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    previous: Option<i64>,
    sources: &str,
) -> std::result::Result<i64, sqlx::Error> {
    let run = previous.map_or(1, |r| r + 1);
    sqlx::query("DELETE FROM frontier")
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO crawl_runs (run, state, sources, started_at) VALUES ($1, 'running', $2, $3)",
    )
    .bind(run)
    .bind(sources.to_string())
    .bind(now_rfc3339())
    .execute(&mut **tx)
    .await?;
    Ok(run)
}

/// An [`Item`] from a `frontier` row; `None` when its URL does not parse.
pub(crate) fn item_of(r: &sqlx::any::AnyRow) -> std::result::Result<Option<Item>, sqlx::Error> {
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

/// Adds `items` not in the frontier yet (and their hosts); returns those
/// that were new.
pub(crate) async fn insert_items(
    tx: &mut sqlx::AnyConnection,
    items: &[Item],
) -> std::result::Result<Vec<Item>, sqlx::Error> {
    let mut fresh = Vec::new();
    for it in items {
        let host = host_key(&it.url);
        let n = sqlx::query(
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
        .await?
        .rows_affected();
        sqlx::query(
            "INSERT INTO hosts (host, next_allowed_at) VALUES ($1, 0) ON CONFLICT (host) DO NOTHING",
        )
        .bind(host)
        .execute(&mut *tx)
        .await?;
        if n > 0 {
            fresh.push(it.clone());
        }
    }
    Ok(fresh)
}

/// Appends a line to the fetch log, and the event if any.
pub(crate) async fn record(
    tx: &mut sqlx::AnyConnection,
    run: i64,
    worker: Option<&str>,
    url: &Url,
    log: &FetchLog,
    event: Option<&Event>,
) -> std::result::Result<(), sqlx::Error> {
    let at = now_rfc3339();
    sqlx::query(
        "INSERT INTO crawl_log (run, worker, at, url, status, bytes, millis, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(run)
    .bind(worker.map(str::to_string))
    .bind(at.clone())
    .bind(url.as_str().to_string())
    .bind(log.status.map(i64::from))
    .bind(i64::try_from(log.bytes).unwrap_or(i64::MAX))
    .bind(i64::try_from(log.millis).unwrap_or(i64::MAX))
    .bind(log.outcome.clone())
    .execute(&mut *tx)
    .await?;
    if let Some(ev) = event {
        sqlx::query(
            "INSERT INTO crawl_events (run, worker, at, event, url, sha256, path, reason, anchor, known_url)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(run)
        .bind(worker.map(str::to_string))
        .bind(at)
        .bind(ev.event.as_str())
        .bind(ev.url.clone())
        .bind(ev.sha256.clone())
        .bind(ev.path.clone())
        .bind(ev.reason.clone())
        .bind(ev.anchor.clone())
        .bind(ev.known_url.clone())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Where some document with this content was stored, if any.
pub(crate) async fn stored_path(
    store: &crate::store::Store,
    sha256: &str,
) -> std::result::Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT path FROM crawled WHERE sha256 = $1 AND path IS NOT NULL LIMIT 1")
        .bind(sha256.to_string())
        .fetch_optional(store.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

/// Indexes a downloaded document stored at `path`: new, changed or unchanged
/// against the index; new and changed ones stay pending extraction when
/// `extract`. Returns the event.
pub(crate) async fn index_document(
    tx: &mut sqlx::AnyConnection,
    item: &Item,
    d: &Downloaded,
    path: &str,
    extract: bool,
) -> std::result::Result<Event, sqlx::Error> {
    let url = item.url.as_str().to_string();
    let prior: Option<String> = sqlx::query("SELECT sha256 FROM crawled WHERE url = $1")
        .bind(url.clone())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    let kind = match prior.as_deref() {
        None => EventKind::New,
        Some(s) if s == d.sha256 => EventKind::Unchanged,
        Some(_) => EventKind::Changed,
    };
    // The same content under another URL: a copy, not a new document.
    let known_elsewhere: Option<String> = if kind == EventKind::New {
        sqlx::query(
            "SELECT url FROM crawled WHERE sha256 = $1 AND url <> $2 ORDER BY first_seen LIMIT 1",
        )
        .bind(d.sha256.clone())
        .bind(url.clone())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
    } else {
        None
    };
    sqlx::query(
        "INSERT INTO crawled (url, sha256, ext, etag, last_modified, first_seen, last_seen, changed,
                              path, content_type, charset, extract_pending)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $6, $7, $8, $9, $10)
         ON CONFLICT (url) DO UPDATE SET
           changed = CASE WHEN crawled.sha256 = excluded.sha256 THEN crawled.changed ELSE excluded.changed END,
           extract_pending = CASE WHEN crawled.extract_pending > excluded.extract_pending
                                  THEN crawled.extract_pending ELSE excluded.extract_pending END,
           sha256 = excluded.sha256, ext = excluded.ext, etag = excluded.etag,
           last_modified = excluded.last_modified, last_seen = excluded.last_seen,
           path = excluded.path, content_type = excluded.content_type, charset = excluded.charset",
    )
    .bind(url.clone())
    .bind(d.sha256.clone())
    .bind(d.ext)
    .bind(d.etag.clone())
    .bind(d.last_modified.clone())
    .bind(now_rfc3339())
    .bind(path.to_string())
    .bind(d.content_type.clone())
    .bind(d.charset.clone())
    .bind(i64::from(extract && kind != EventKind::Unchanged))
    .execute(&mut *tx)
    .await?;
    let mut ev = Event::new(kind, url.clone());
    ev.sha256 = Some(d.sha256.clone());
    ev.path = Some(path.to_string());
    ev.anchor = (!item.anchor.is_empty()).then(|| item.anchor.clone());
    if kind == EventKind::New {
        ev.known_url = known_elsewhere;
    }
    Ok(ev)
}

/// A document answered 304: it is seen now.
pub(crate) async fn seen(
    tx: &mut sqlx::AnyConnection,
    item: &Item,
    known: &Known,
) -> std::result::Result<Event, sqlx::Error> {
    sqlx::query("UPDATE crawled SET last_seen = $1 WHERE url = $2")
        .bind(now_rfc3339())
        .bind(item.url.as_str().to_string())
        .execute(&mut *tx)
        .await?;
    let mut ev = Event::new(EventKind::Unchanged, item.url.to_string());
    ev.sha256 = Some(known.sha256.clone());
    ev.path = Some(known.path.clone());
    ev.reason = Some("not_modified".into());
    ev.anchor = (!item.anchor.is_empty()).then(|| item.anchor.clone());
    Ok(ev)
}

/// What the index holds for `url` (`ext`, path, validators), for a
/// conditional request. `path` is the stored one, or where the content
/// would be for rows written before it was recorded.
pub(crate) fn known_of(r: &sqlx::any::AnyRow) -> std::result::Result<Known, sqlx::Error> {
    let sha256: String = r.try_get("sha256")?;
    let ext: String = r.try_get("ext")?;
    let path: Option<String> = r.try_get("path")?;
    Ok(Known {
        path: path.unwrap_or_else(|| Files::blob_path(&sha256, &ext)),
        sha256,
        etag: r.try_get("etag")?,
        last_modified: r.try_get("last_modified")?,
    })
}

/// Confirms to the crawl state in a folder that the records of handed-over
/// documents are safe, so that the next run does not hand them over again.
/// Opens the state on the first confirmation (by then the crawl has created
/// it), with a runtime of its own: callers are plain threads.
pub struct Confirmations {
    db: String,
    open: std::cell::OnceCell<(tokio::runtime::Runtime, crate::store::Store)>,
}

impl Confirmations {
    /// The crawl state of `dir` (beside a running crawl).
    pub fn open(dir: &Path) -> Result<Confirmations> {
        Ok(Confirmations {
            db: dir.join(STATE_FILE).to_string_lossy().into_owned(),
            open: std::cell::OnceCell::new(),
        })
    }

    /// The record of `handed` is safe.
    pub fn confirm(&self, handed: &super::Handed) -> Result<()> {
        if self.open.get().is_none() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| StoreError::Io(format!("starting a runtime: {e}")))?;
            let store = runtime.block_on(crate::store::Store::open(&self.db))?;
            let _ = self.open.set((runtime, store));
        }
        let (runtime, store) = self.open.get().expect("opened above");
        runtime.block_on(async {
            sqlx::query("UPDATE crawled SET extract_pending = 0 WHERE url = $1 AND sha256 = $2")
                .bind(handed.url.clone())
                .bind(handed.sha256.clone())
                .execute(store.pool())
                .await
        })?;
        Ok(())
    }
}

impl Drop for Confirmations {
    fn drop(&mut self) {
        if let Some((runtime, store)) = self.open.get() {
            runtime.block_on(store.close());
        }
    }
}
