//! The state of a local crawl ([`CrawlState`] for one crawler): the crawl
//! tables in an SQLite file of its own, `DIR/state.sqlite` (WAL), opened
//! through the dataset store (every migration applied, so the dataset tables
//! are there too, empty). The frontier is mirrored in memory, where the
//! engine schedules from; the table is what a killed crawl resumes from.
//!
//! A run that was not finished is resumed (its queued URLs and their attempts
//! taken up again); a new run forgets the previous run's frontier (so list
//! pages are visited again) and keeps the document index and validators.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::Row as _;
use url::Url;

use super::frontier::{Frontier, Item};
use super::state::{
    self, CrawlState, Downloaded, FetchLog, Files, Known, Next, PendingDoc, Result, StoreError,
    STATE_FILE,
};
use super::Event;
use crate::store::{now_rfc3339, Store};

/// The state of one local crawl directory.
pub struct LocalState {
    store: Store,
    files: Files,
    run: i64,
    extract: bool,
    frontier: Frontier,
}

/// A document of a state file in the first format.
struct V1Doc {
    url: String,
    sha256: String,
    path: String,
    content_type: Option<String>,
    charset: Option<String>,
    etag: Option<String>,
    last_modified: Option<String>,
    /// Unix seconds.
    first_seen: i64,
    last_seen: i64,
    changed: i64,
    extract_pending: i64,
}

/// The document index of a state file in the first format (tables `meta`,
/// `documents`, `fetch_log`, … of its own, no `schema_migrations`), moved
/// aside to `state-v1.sqlite`; `None` when `db` is absent or current.
async fn read_v1(db: &Path) -> Result<Option<Vec<V1Doc>>> {
    use sqlx::Connection as _;
    if !db.exists() {
        return Ok(None);
    }
    sqlx::any::install_default_drivers();
    let (url, _) = crate::store::url_for(&db.to_string_lossy());
    let mut c = sqlx::AnyConnection::connect(&url).await?;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut c)
            .await?;
    let has = |t: &str| tables.iter().any(|n| n == t);
    if !has("meta") || !has("documents") || has("schema_migrations") {
        c.close().await?;
        return Ok(None);
    }
    let rows = sqlx::query(
        "SELECT url, sha256, path, content_type, charset, etag, last_modified,
                first_seen, last_seen, changed, extract_pending FROM documents",
    )
    .fetch_all(&mut c)
    .await?;
    let mut docs = Vec::with_capacity(rows.len());
    for r in &rows {
        docs.push(V1Doc {
            url: r.try_get(0)?,
            sha256: r.try_get(1)?,
            path: r.try_get(2)?,
            content_type: r.try_get(3)?,
            charset: r.try_get(4)?,
            etag: r.try_get(5)?,
            last_modified: r.try_get(6)?,
            first_seen: r.try_get(7)?,
            last_seen: r.try_get(8)?,
            changed: r.try_get(9)?,
            extract_pending: r.try_get(10)?,
        });
    }
    // Closing checkpoints the WAL, so the file alone is the whole database.
    c.close().await?;
    let aside = db.with_file_name("state-v1.sqlite");
    std::fs::rename(db, &aside)
        .map_err(|e| StoreError::Io(format!("move {} aside: {e}", db.display())))?;
    Ok(Some(docs))
}

/// Writes the first format's document index into the current state: known
/// documents keep their validators (asked for conditionally) and pending
/// extractions stay pending. An interrupted run of the old format is not
/// resumed: its frontier starts again from the seeds.
async fn carry_v1(store: &Store, docs: Vec<V1Doc>) -> Result<()> {
    let time = |secs: i64| {
        chrono::DateTime::from_timestamp(secs, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let mut tx = store.begin().await?;
    for d in docs {
        let ext = Path::new(&d.path)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("bin")
            .to_string();
        sqlx::query(
            "INSERT INTO crawled (url, sha256, ext, etag, last_modified, first_seen, last_seen, changed,
                                  path, content_type, charset, extract_pending)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (url) DO NOTHING",
        )
        .bind(d.url)
        .bind(d.sha256)
        .bind(ext)
        .bind(d.etag)
        .bind(d.last_modified)
        .bind(time(d.first_seen))
        .bind(time(d.last_seen))
        .bind(time(d.changed))
        .bind(d.path)
        .bind(d.content_type)
        .bind(d.charset)
        .bind(d.extract_pending)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

impl LocalState {
    /// Opens (creating) the state of `files`' directory, resumes the last run
    /// if it was interrupted or starts the next one, and queues `seeds`. With
    /// `extract`, new and changed documents stay pending extraction until
    /// confirmed. Returns the state, the run and whether it was resumed.
    pub async fn open(
        files: Files,
        sources: &str,
        seeds: &[Item],
        extract: bool,
    ) -> Result<(LocalState, i64, bool)> {
        let db = files.dir().join(STATE_FILE);
        let old = read_v1(&db).await?;
        let store = Store::open(&db.to_string_lossy()).await?;
        if let Some(docs) = old {
            carry_v1(&store, docs).await?;
        }
        let mut state = LocalState {
            store,
            files,
            run: 0,
            extract,
            frontier: Frontier::default(),
        };
        let (run, resumed) = state.start_run(sources).await?;
        // The seeds go to the table; the mirror is read from it (with what
        // an interrupted run left queued).
        let mut tx = state.store.begin().await?;
        state::insert_items(&mut tx, seeds).await?;
        tx.commit().await?;
        let rows = sqlx::query(
            "SELECT url, depth, pages, source, hint, anchor, attempts FROM frontier
             WHERE state = 'queued' ORDER BY id",
        )
        .fetch_all(state.store.pool())
        .await?;
        for r in &rows {
            if let Some(item) = state::item_of(r)? {
                state.frontier.push(item);
            }
        }
        Ok((state, run, resumed))
    }

    async fn start_run(&mut self, sources: &str) -> Result<(i64, bool)> {
        let mut tx = self.store.begin().await?;
        let last = sqlx::query("SELECT run, state FROM crawl_runs ORDER BY run DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
        let (run, resumed) = match last {
            Some(r) if r.try_get::<String, _>(1)? == "running" => (r.try_get::<i64, _>(0)?, true),
            last => {
                let previous = last.map(|r| r.try_get::<i64, _>(0)).transpose()?;
                (
                    state::start_next_run(&mut tx, previous, sources).await?,
                    false,
                )
            }
        };
        tx.commit().await?;
        self.run = run;
        Ok((run, resumed))
    }

    fn queue(&mut self, fresh: Vec<Item>) {
        for it in fresh {
            self.frontier.push(it);
        }
    }

    /// What earlier runs stored for this URL.
    pub async fn known(&self, url: &Url) -> Result<Option<Known>> {
        let row = sqlx::query(
            "SELECT sha256, ext, path, etag, last_modified FROM crawled WHERE url = $1",
        )
        .bind(url.as_str().to_string())
        .fetch_optional(self.store.pool())
        .await?;
        Ok(row.map(|r| state::known_of(&r)).transpose()?)
    }

    async fn mark_done(tx: &mut sqlx::AnyConnection, item: &Item, outcome: &str) -> Result<()> {
        sqlx::query("UPDATE frontier SET state = 'done', outcome = $1 WHERE url = $2")
            .bind(outcome.to_string())
            .bind(item.url.as_str().to_string())
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

impl CrawlState for LocalState {
    fn files(&self) -> &Files {
        &self.files
    }

    fn queued(&self) -> Option<usize> {
        Some(self.frontier.len())
    }

    async fn pending_extraction(&self) -> Result<Vec<PendingDoc>> {
        let rows = sqlx::query(
            "SELECT url, path, sha256, charset FROM crawled
             WHERE extract_pending = 1 AND path IS NOT NULL ORDER BY first_seen, url",
        )
        .fetch_all(self.store.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
            .collect::<std::result::Result<_, sqlx::Error>>()?)
    }

    async fn next(&mut self, busy: &HashSet<String>) -> Result<Next> {
        self.frontier.release_due(Instant::now());
        if let Some(item) = self.frontier.pop(busy) {
            let known = self
                .known(&item.url)
                .await?
                // Conditional GET only for documents still on disk; HTML documents
                // are pages too and are read every run for their links.
                .filter(|k| !k.path.ends_with(".html") && self.files.dir().join(&k.path).is_file());
            return Ok(Next::Item(Box::new((item, known))));
        }
        Ok(if self.frontier.is_empty() {
            Next::Finished
        } else {
            Next::Wait(self.frontier.next_due())
        })
    }

    async fn page_done(&mut self, item: &Item, links: &[Item], log: &FetchLog) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let fresh = state::insert_items(&mut tx, links).await?;
        Self::mark_done(&mut tx, item, &log.outcome).await?;
        state::record(&mut tx, self.run, None, &item.url, log, None).await?;
        tx.commit().await?;
        self.queue(fresh);
        Ok(())
    }

    async fn done(&mut self, item: &Item, event: Option<&Event>, log: &FetchLog) -> Result<()> {
        let mut tx = self.store.begin().await?;
        Self::mark_done(&mut tx, item, &log.outcome).await?;
        state::record(&mut tx, self.run, None, &item.url, log, event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn retry(&mut self, item: Item, wait: Duration, log: &FetchLog) -> Result<()> {
        let mut tx = self.store.begin().await?;
        sqlx::query("UPDATE frontier SET attempts = $1, outcome = $2 WHERE url = $3")
            .bind(i64::from(item.attempts))
            .bind(log.outcome.clone())
            .bind(item.url.as_str().to_string())
            .execute(&mut *tx)
            .await?;
        state::record(&mut tx, self.run, None, &item.url, log, None).await?;
        tx.commit().await?;
        self.frontier.push_delayed(Instant::now() + wait, item);
        Ok(())
    }

    async fn not_modified(&mut self, item: &Item, known: &Known, log: &FetchLog) -> Result<Event> {
        let mut tx = self.store.begin().await?;
        let ev = state::seen(&mut tx, item, known).await?;
        Self::mark_done(&mut tx, item, &log.outcome).await?;
        state::record(&mut tx, self.run, None, &item.url, log, Some(&ev)).await?;
        tx.commit().await?;
        Ok(ev)
    }

    async fn document(
        &mut self,
        item: &Item,
        d: &Downloaded,
        _bytes: Option<&[u8]>,
        links: &[Item],
        log: &FetchLog,
    ) -> Result<Event> {
        let existing = state::stored_path(&self.store, &d.sha256).await?;
        let path = self.files.place(d, existing)?;
        let mut tx = self.store.begin().await?;
        let ev = state::index_document(&mut tx, item, d, &path, self.extract).await?;
        let fresh = state::insert_items(&mut tx, links).await?;
        Self::mark_done(&mut tx, item, &log.outcome).await?;
        state::record(&mut tx, self.run, None, &item.url, log, Some(&ev)).await?;
        tx.commit().await?;
        self.queue(fresh);
        Ok(ev)
    }

    async fn finish(&mut self) -> Result<()> {
        sqlx::query("UPDATE crawl_runs SET state = 'finished', finished_at = $1 WHERE run = $2")
            .bind(now_rfc3339())
            .bind(self.run)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    async fn close(&mut self) {
        self.store.close().await;
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::PathBuf;

    use super::*;
    use crate::crawl::frontier::Hint;
    use crate::crawl::EventKind;

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

    fn download(s: &LocalState, body: &[u8]) -> Downloaded {
        let tmp = s.files().temp_path();
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

    async fn open(dir: &Path, seeds: &[Item]) -> Result<(LocalState, i64, bool)> {
        LocalState::open(Files::open(dir)?, "S", seeds, false).await
    }

    #[tokio::test]
    async fn same_content_under_two_urls_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (item("http://x.cn/a.pdf"), item("http://x.cn/b.pdf"));
        let (mut s, _, _) = open(dir.path(), &[a.clone(), b.clone()]).await.unwrap();
        let log = FetchLog::default();
        let d = download(&s, b"%PDF-1.4 same");
        let e1 = s.document(&a, &d, None, &[], &log).await.unwrap();
        let d = download(&s, b"%PDF-1.4 same");
        let e2 = s.document(&b, &d, None, &[], &log).await.unwrap();
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
            s.document(&a, &d, None, &[], &log).await.unwrap().event,
            EventKind::Changed
        );
        assert_eq!(s.known(&a.url).await.unwrap().unwrap().sha256, d.sha256);
        s.close().await;
    }

    #[tokio::test]
    async fn temp_files_are_removed_on_open_and_runs_resume() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut s, run, resumed) = open(dir.path(), &[item("http://x.cn/a.pdf")])
                .await
                .unwrap();
            assert_eq!((run, resumed), (1, false));
            fs::write(s.files().temp_path(), b"partial").unwrap();
            // closed without finish: as if killed
            s.close().await;
        }
        let (mut s, run, resumed) = open(dir.path(), &[]).await.unwrap();
        assert!(fs::read_dir(dir.path().join("tmp"))
            .unwrap()
            .next()
            .is_none());
        assert_eq!((run, resumed), (1, true));
        assert_eq!(s.queued(), Some(1));
        s.finish().await.unwrap();
        s.close().await;
        drop(s);
        let (mut s, run, resumed) = open(dir.path(), &[]).await.unwrap();
        assert_eq!((run, resumed), (2, false));
        assert_eq!(s.queued(), Some(0));
        s.close().await;
    }

    #[tokio::test]
    async fn a_second_open_is_refused_while_locked() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, _, _) = open(dir.path(), &[]).await.unwrap();
        assert!(matches!(
            open(dir.path(), &[]).await,
            Err(StoreError::Locked(_))
        ));
        s.close().await;
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect()
    }

    /// A state file of the first format (its own schema, before the crawl
    /// tables joined the store's migrations) is carried over: its documents
    /// keep their validators and pending extractions, the old file is kept
    /// aside.
    #[tokio::test]
    async fn a_state_file_of_the_first_format_is_carried_over() {
        use sqlx::Connection as _;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(STATE_FILE);
        sqlx::any::install_default_drivers();
        let (url, _) = crate::store::url_for(&db.to_string_lossy());
        let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
        for sql in [
            "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE documents(url TEXT PRIMARY KEY, sha256 TEXT NOT NULL, path TEXT NOT NULL,
               content_type TEXT, charset TEXT, etag TEXT, last_modified TEXT,
               first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, changed INTEGER NOT NULL,
               extract_pending INTEGER NOT NULL DEFAULT 0)",
            "INSERT INTO documents VALUES ('http://x.cn/a.pdf', 'ab12', 'docs/ab/ab12.pdf',
               'application/pdf', NULL, '\"e1\"', NULL, 1700000000, 1700000100, 1700000000, 1)",
        ] {
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
        c.close().await.unwrap();

        let (mut s, run, resumed) = open(dir.path(), &[]).await.unwrap();
        assert_eq!((run, resumed), (1, false));
        let known = s
            .known(&Url::parse("http://x.cn/a.pdf").unwrap())
            .await
            .unwrap()
            .expect("the old document index is carried over");
        assert_eq!(known.sha256, "ab12");
        assert_eq!(known.path, "docs/ab/ab12.pdf");
        assert_eq!(known.etag.as_deref(), Some("\"e1\""));
        let pending = s.pending_extraction().await.unwrap();
        assert_eq!(pending.len(), 1, "a pending extraction stays pending");
        let first: String = sqlx::query_scalar("SELECT first_seen FROM crawled")
            .fetch_one(s.store.pool())
            .await
            .unwrap();
        assert_eq!(first, "2023-11-14T22:13:20Z");
        assert!(dir.path().join("state-v1.sqlite").exists());
        s.close().await;
        drop(s);
        // Opened again, the file is current and nothing is carried twice.
        let (s, run, _) = open(dir.path(), &[]).await.unwrap();
        assert!(run >= 1);
        assert!(s
            .known(&Url::parse("http://x.cn/a.pdf").unwrap())
            .await
            .unwrap()
            .is_some());
    }
}
