//! The store under `DIR`: documents as content-addressed files
//! (`DIR/docs/ab/abcdef….pdf`) and the crawl state in SQLite
//! (`DIR/state.sqlite`, WAL): frontier and seen-set, fetch log, events,
//! validators and the document index.
//!
//! Crash safety: a body is streamed to `DIR/tmp/`, fsynced, hashed, then
//! renamed into `docs/` *before* the transaction that records it commits; a
//! crash in between leaves a complete file that the next run's download of the
//! same URL renames over. `DIR/tmp/` is emptied on open, so a partial file is
//! never taken for a document. Every state change is one transaction.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};
use url::Url;

use super::frontier::{Hint, Item};
use super::{Event, EventKind};

/// A failure of the store: fatal for the crawl (disk full, permissions,
/// a corrupt database). State written so far stays consistent.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("state database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The file system failed.
    #[error("{0}")]
    Io(String),
    /// Another crawl holds the directory.
    #[error("{0} is in use by another gongkai crawl")]
    Locked(String),
    /// The shared frontier's database failed.
    #[error("shared frontier: {0}")]
    Shared(#[from] crate::store::StoreError),
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io(format!("{what} {}: {e}", path.display()))
}

/// Result alias of the store.
pub type Result<T> = std::result::Result<T, StoreError>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS frontier(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  url TEXT NOT NULL UNIQUE, depth INTEGER NOT NULL, pages INTEGER NOT NULL,
  source INTEGER NOT NULL, hint TEXT NOT NULL, anchor TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued', attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS blobs(
  sha256 TEXT PRIMARY KEY, path TEXT NOT NULL, bytes INTEGER NOT NULL,
  content_type TEXT, first_seen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
  url TEXT PRIMARY KEY, sha256 TEXT NOT NULL, path TEXT NOT NULL,
  content_type TEXT, charset TEXT, etag TEXT, last_modified TEXT,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, changed INTEGER NOT NULL,
  extract_pending INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS fetch_log(
  id INTEGER PRIMARY KEY, run INTEGER NOT NULL, at INTEGER NOT NULL, url TEXT NOT NULL,
  status INTEGER, bytes INTEGER, millis INTEGER, outcome TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events(
  id INTEGER PRIMARY KEY, run INTEGER NOT NULL, at INTEGER NOT NULL, event TEXT NOT NULL,
  url TEXT NOT NULL, sha256 TEXT, path TEXT, reason TEXT);
";

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

/// The store of one output directory.
pub struct Store {
    dir: PathBuf,
    conn: Connection,
    run: i64,
    extract: bool,
    _lock: File,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Opens the SQLite database of `dir` with the crawler's settings.
pub fn connect(dir: &Path) -> Result<Connection> {
    let conn = Connection::open(dir.join("state.sqlite"))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // NORMAL is durable against a killed process (the WAL is in the OS cache);
    // only a power cut may lose the last transactions.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

impl Store {
    /// Opens (creating) the store, takes its lock and removes leftover temp files.
    pub fn open(dir: &Path) -> Result<Store> {
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
        let conn = connect(dir)?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store {
            dir: dir.to_path_buf(),
            conn,
            run: 0,
            extract: false,
            _lock: lock,
        })
    }

    /// With `--extract`, new and changed documents are marked for extraction
    /// until [`Store::mark_extracted`] (so a killed run extracts them on resume).
    pub fn set_extract(&mut self, on: bool) {
        self.extract = on;
    }

    /// The output directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Starts a run, or resumes the last one if it was interrupted. A new run
    /// forgets the previous run's frontier (so list pages are visited again);
    /// the document index and validators stay. Returns (run id, resumed).
    pub fn start_run(&mut self) -> Result<(i64, bool)> {
        let run: i64 = self.meta("run")?.and_then(|v| v.parse().ok()).unwrap_or(0);
        let running = self.meta("run_state")?.as_deref() == Some("running");
        let tx = self.conn.transaction()?;
        let (run, resumed) = if running {
            (run, true)
        } else {
            tx.execute("DELETE FROM frontier", [])?;
            (run + 1, false)
        };
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('run', ?1), ('run_state', 'running')",
            [run.to_string()],
        )?;
        tx.commit()?;
        self.run = run;
        Ok((run, resumed))
    }

    /// Marks the run complete: the next command starts a new one.
    pub fn finish_run(&mut self) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('run_state', 'finished')",
            [],
        )?;
        self.conn
            .pragma_update(None, "wal_checkpoint", "TRUNCATE")
            .ok();
        Ok(())
    }

    /// Items still queued (in the order they were found).
    pub fn queued(&self) -> Result<Vec<Item>> {
        let mut st = self.conn.prepare(
            "SELECT url, depth, pages, source, hint, anchor, attempts FROM frontier WHERE state = 'queued' ORDER BY seq",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, i64>(3)? as usize,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, u32>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (url, depth, pages, source, hint, anchor, attempts) = row?;
            if let Ok(url) = Url::parse(&url) {
                out.push(Item {
                    url,
                    depth,
                    pages,
                    source,
                    hint: Hint::parse(&hint),
                    anchor,
                    attempts,
                });
            }
        }
        Ok(out)
    }

    fn insert_items(tx: &rusqlite::Transaction, items: &[Item]) -> Result<Vec<Item>> {
        let mut st = tx.prepare_cached(
            "INSERT OR IGNORE INTO frontier(url, depth, pages, source, hint, anchor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut fresh = Vec::new();
        for it in items {
            let n = st.execute(params![
                it.url.as_str(),
                it.depth,
                it.pages,
                it.source as i64,
                it.hint.as_str(),
                it.anchor
            ])?;
            if n > 0 {
                fresh.push(it.clone());
            }
        }
        Ok(fresh)
    }

    fn log(tx: &rusqlite::Transaction, run: i64, url: &Url, log: &FetchLog) -> Result<()> {
        tx.prepare_cached(
            "INSERT INTO fetch_log(run, at, url, status, bytes, millis, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            run,
            now(),
            url.as_str(),
            log.status,
            log.bytes as i64,
            log.millis as i64,
            log.outcome
        ])?;
        Ok(())
    }

    fn event(tx: &rusqlite::Transaction, run: i64, ev: &Event) -> Result<()> {
        tx.prepare_cached(
            "INSERT INTO events(run, at, event, url, sha256, path, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![run, now(), ev.event.as_str(), ev.url, ev.sha256, ev.path, ev.reason])?;
        Ok(())
    }

    /// Adds items not seen in this run; returns those that were new.
    pub fn add(&mut self, items: &[Item]) -> Result<Vec<Item>> {
        let tx = self.conn.transaction()?;
        let fresh = Self::insert_items(&tx, items)?;
        tx.commit()?;
        Ok(fresh)
    }

    fn mark_done(tx: &rusqlite::Transaction, url: &Url) -> Result<()> {
        tx.prepare_cached("UPDATE frontier SET state = 'done' WHERE url = ?1")?
            .execute([url.as_str()])?;
        Ok(())
    }

    /// A page was read: its links are queued and it is done, atomically.
    /// Returns the links not seen before in this run.
    pub fn page_done(&mut self, item: &Item, links: &[Item], log: &FetchLog) -> Result<Vec<Item>> {
        let tx = self.conn.transaction()?;
        let fresh = Self::insert_items(&tx, links)?;
        Self::mark_done(&tx, &item.url)?;
        Self::log(&tx, self.run, &item.url, log)?;
        tx.commit()?;
        Ok(fresh)
    }

    /// An item is put back for a retry.
    pub fn retry(&mut self, item: &Item, log: &FetchLog) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE frontier SET attempts = ?2 WHERE url = ?1",
            params![item.url.as_str(), item.attempts],
        )?;
        Self::log(&tx, self.run, &item.url, log)?;
        tx.commit()?;
        Ok(())
    }

    /// An item is done without a document (skipped, or a failure that is not
    /// reported as an event when `event` is `None`).
    pub fn done(&mut self, item: &Item, event: Option<&Event>, log: &FetchLog) -> Result<()> {
        let tx = self.conn.transaction()?;
        Self::mark_done(&tx, &item.url)?;
        Self::log(&tx, self.run, &item.url, log)?;
        if let Some(ev) = event {
            Self::event(&tx, self.run, ev)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// What earlier runs stored for this URL.
    pub fn known(&self, url: &Url) -> Result<Option<Known>> {
        Ok(self
            .conn
            .query_row(
                "SELECT sha256, path, etag, last_modified FROM documents WHERE url = ?1",
                [url.as_str()],
                |r| {
                    Ok(Known {
                        sha256: r.get(0)?,
                        path: r.get(1)?,
                        etag: r.get(2)?,
                        last_modified: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// A conditional GET answered 304: the document is unchanged.
    pub fn not_modified(&mut self, item: &Item, known: &Known, log: &FetchLog) -> Result<Event> {
        let ev = Event {
            event: EventKind::Unchanged,
            url: item.url.to_string(),
            sha256: Some(known.sha256.clone()),
            path: Some(known.path.clone()),
            reason: Some("not_modified".into()),
        };
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE documents SET last_seen = ?2 WHERE url = ?1",
            params![item.url.as_str(), now()],
        )?;
        Self::mark_done(&tx, &item.url)?;
        Self::log(&tx, self.run, &item.url, log)?;
        Self::event(&tx, self.run, &ev)?;
        tx.commit()?;
        Ok(ev)
    }

    /// A fresh path for a temp file in `DIR/tmp/`.
    pub fn temp_path(&self) -> PathBuf {
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        self.dir
            .join("tmp")
            .join(format!("{}-{n}.part", std::process::id()))
    }

    /// Where a blob lives, relative to DIR.
    pub fn blob_path(sha256: &str, ext: &str) -> String {
        format!("docs/{}/{sha256}.{ext}", &sha256[..2])
    }

    /// Stores a downloaded document: fsync, rename into `docs/` (unless that
    /// content is already there), then record it, atomically with marking the
    /// item done, queueing its `links` (an HTML document's) and logging its
    /// event. The event is new, changed or unchanged against this directory's
    /// index, or `judged` (a shared crawl's verdict: other workers download
    /// too). Returns the event and the links not seen before.
    pub fn commit_document(
        &mut self,
        item: &Item,
        d: &Downloaded,
        links: &[Item],
        log: &FetchLog,
        judged: Option<EventKind>,
    ) -> Result<(Event, Vec<Item>)> {
        let existing: Option<String> = self
            .conn
            .query_row(
                "SELECT path FROM blobs WHERE sha256 = ?1",
                [&d.sha256],
                |r| r.get(0),
            )
            .optional()?;
        let rel = match existing {
            Some(p) if self.dir.join(&p).is_file() => {
                let _ = fs::remove_file(&d.tmp);
                p
            }
            _ => {
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
                rel
            }
        };
        let prior: Option<String> = self
            .conn
            .query_row(
                "SELECT sha256 FROM documents WHERE url = ?1",
                [item.url.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        let kind = judged.unwrap_or(match &prior {
            None => EventKind::New,
            Some(s) if *s == d.sha256 => EventKind::Unchanged,
            Some(_) => EventKind::Changed,
        });
        let ev = Event {
            event: kind,
            url: item.url.to_string(),
            sha256: Some(d.sha256.clone()),
            path: Some(rel.clone()),
            reason: None,
        };
        let t = now();
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO blobs(sha256, path, bytes, content_type, first_seen) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![d.sha256, rel, d.bytes as i64, d.content_type, t],
        )?;
        tx.execute(
            "INSERT INTO documents(url, sha256, path, content_type, charset, etag, last_modified, first_seen, last_seen, changed, extract_pending)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8, ?9)
             ON CONFLICT(url) DO UPDATE SET
               extract_pending = MAX(extract_pending, excluded.extract_pending),
               changed = CASE WHEN sha256 = excluded.sha256 THEN changed ELSE excluded.changed END,
               sha256 = excluded.sha256, path = excluded.path, content_type = excluded.content_type,
               charset = excluded.charset, etag = excluded.etag, last_modified = excluded.last_modified,
               last_seen = excluded.last_seen",
            params![
                item.url.as_str(),
                d.sha256,
                rel,
                d.content_type,
                d.charset,
                d.etag,
                d.last_modified,
                t,
                self.extract && kind != EventKind::Unchanged
            ],
        )?;
        let fresh = Self::insert_items(&tx, links)?;
        Self::mark_done(&tx, &item.url)?;
        Self::log(&tx, self.run, &item.url, log)?;
        Self::event(&tx, self.run, &ev)?;
        tx.commit()?;
        Ok((ev, fresh))
    }

    /// Documents stored for extraction by a `--extract` run that was killed:
    /// (url, path, sha256, charset).
    pub fn pending_extraction(&self) -> Result<Vec<PendingDoc>> {
        let mut st = self.conn.prepare(
            "SELECT url, path, sha256, charset FROM documents
             WHERE extract_pending = 1 ORDER BY first_seen, url",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Records that a document's content was extracted.
    pub fn mark_extracted(conn: &Connection, url: &str, sha256: &str) -> Result<()> {
        conn.execute(
            "UPDATE documents SET extract_pending = 0 WHERE url = ?1 AND sha256 = ?2",
            params![url, sha256],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(u: &str) -> Item {
        Item {
            url: Url::parse(u).unwrap(),
            depth: 0,
            pages: 0,
            source: 0,
            hint: Hint::Document,
            anchor: String::new(),
            attempts: 0,
        }
    }

    fn download(store: &Store, body: &[u8]) -> Downloaded {
        let tmp = store.temp_path();
        fs::write(&tmp, body).unwrap();
        Downloaded {
            tmp,
            sha256: crate::text::sha256_hex(body),
            bytes: body.len() as u64,
            ext: "pdf",
            content_type: Some("application/pdf".into()),
            charset: None,
            etag: Some("\"1\"".into()),
            last_modified: None,
        }
    }

    #[test]
    fn same_content_under_two_urls_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        s.start_run().unwrap();
        let (a, b) = (item("http://x.cn/a.pdf"), item("http://x.cn/b.pdf"));
        s.add(&[a.clone(), b.clone()]).unwrap();
        let d = download(&s, b"%PDF-1.4 same");
        let e1 = s
            .commit_document(&a, &d, &[], &FetchLog::default(), None)
            .unwrap()
            .0;
        let d = download(&s, b"%PDF-1.4 same");
        let e2 = s
            .commit_document(&b, &d, &[], &FetchLog::default(), None)
            .unwrap()
            .0;
        assert_eq!(e1.event, EventKind::New);
        assert_eq!(e2.event, EventKind::New);
        assert_eq!(e1.path, e2.path);
        let files: Vec<_> = walk(&dir.path().join("docs"));
        assert_eq!(files.len(), 1);
        assert!(fs::read_dir(dir.path().join("tmp"))
            .unwrap()
            .next()
            .is_none());
        let d = download(&s, b"%PDF-1.4 other");
        assert_eq!(
            s.commit_document(&a, &d, &[], &FetchLog::default(), None)
                .unwrap()
                .0
                .event,
            EventKind::Changed
        );
        assert_eq!(s.known(&a.url).unwrap().unwrap().sha256, d.sha256);
    }

    #[test]
    fn temp_files_are_removed_on_open_and_runs_resume() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut s = Store::open(dir.path()).unwrap();
            assert_eq!(s.start_run().unwrap(), (1, false));
            s.add(&[item("http://x.cn/a.pdf")]).unwrap();
            fs::write(s.temp_path(), b"partial").unwrap();
            // dropped without finish_run: as if killed
        }
        let mut s = Store::open(dir.path()).unwrap();
        assert!(fs::read_dir(dir.path().join("tmp"))
            .unwrap()
            .next()
            .is_none());
        assert_eq!(s.start_run().unwrap(), (1, true));
        assert_eq!(s.queued().unwrap().len(), 1);
        s.finish_run().unwrap();
        assert_eq!(s.start_run().unwrap(), (2, false));
        assert!(s.queued().unwrap().is_empty());
    }

    #[test]
    fn a_second_open_is_refused_while_locked() {
        let dir = tempfile::tempdir().unwrap();
        let _s = Store::open(dir.path()).unwrap();
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::Locked(_))
        ));
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect()
    }
}
