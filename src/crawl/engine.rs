//! The engine: frontier → fetch → discover → store, until nothing is left.
//! See the numbered flow in the [module documentation](super).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::discover;
use super::fetch::{Body, Fetched, Fetcher, Outcome};
use super::frontier::{host_key, Frontier, Hint, Item};
use super::polite::{backoff, Polite};
use super::settings::{self, Settings};
use super::shared::{self, Claim};
use super::sources::Source;
use super::store::{Downloaded, FetchLog, Known, Store, StoreError};
use super::{Event, EventKind};
use crate::decode::sniff;
use crate::model::Format;

/// Counters of one run, printed at the end.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// Run number in this directory.
    pub run: i64,
    /// Whether an interrupted run was resumed (a shared run joined).
    pub resumed: bool,
    /// Whether the frontier was shared with other workers.
    pub shared: bool,
    /// HTTP requests made (robots.txt and redirect hops included).
    pub requests: u64,
    /// HTML pages read for links.
    pub pages: u64,
    /// Documents first stored.
    pub new: u64,
    /// Documents whose content changed.
    pub changed: u64,
    /// Documents unchanged.
    pub unchanged: u64,
    /// URLs that failed.
    pub failed: u64,
    /// URLs skipped because robots.txt disallows them.
    pub disallowed: u64,
    /// Links dropped because they leave the allowed hosts.
    pub off_site: u64,
    /// Retries scheduled.
    pub retries: u64,
    /// Body bytes downloaded.
    pub bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}crawl run {}{}: {} requests, {} pages, documents {} new, {} changed, {} unchanged, {} failed; \
             {} disallowed by robots.txt, {} off-site links, {} retries, {:.1} MB in {:.1}s",
            if self.shared { "shared " } else { "" },
            self.run,
            match (self.resumed, self.shared) {
                (true, true) => " (joined)",
                (true, false) => " (resumed)",
                _ => "",
            },
            self.requests,
            self.pages,
            self.new,
            self.changed,
            self.unchanged,
            self.failed,
            self.disallowed,
            self.off_site,
            self.retries,
            self.bytes as f64 / 1e6,
            self.elapsed.as_secs_f64()
        )
    }
}

/// The file extension of a document body, by its magic bytes, with the URL
/// or link text breaking ties between formats sharing a container.
pub fn document_ext(head: &[u8], url: &str, anchor: &str) -> Option<&'static str> {
    let hint = |choices: &[&'static str]| -> Option<&'static str> {
        let lower = format!("{} {}", url.to_ascii_lowercase(), anchor.to_lowercase());
        choices
            .iter()
            .find(|e| lower.contains(&format!(".{e}")))
            .copied()
    };
    if head.windows(5).take(1024).any(|w| w == b"%PDF-") {
        return Some("pdf");
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Some(hint(&["xls", "doc", "wps", "et"]).unwrap_or("ole"));
    }
    if head.starts_with(b"PK\x03\x04") {
        // xlsx/docx are zips with their part names near the start.
        let h = String::from_utf8_lossy(head);
        if h.contains("xl/") {
            return Some("xlsx");
        }
        if h.contains("word/") {
            return Some("docx");
        }
        return Some(hint(&["xlsx", "docx"]).unwrap_or("zip"));
    }
    None
}

struct Engine {
    settings: Settings,
    sources: Arc<Vec<Source>>,
    store: Store,
    frontier: Frontier,
    /// The shared frontier (`--shared`), used instead of `frontier`.
    shared: Option<shared::Frontier>,
    fetcher: Arc<Fetcher>,
    busy: HashSet<String>,
    retry_budget: u32,
    summary: Summary,
    handover: Option<mpsc::Sender<Handed>>,
    progress: Option<indicatif::ProgressBar>,
    started: Instant,
}

type Done = (Item, Option<Known>, Fetched);

/// Crawls `sources` into `dir`, printing one JSON event per document to `out`.
/// Returns when the frontier is exhausted; a store failure stops the crawl
/// (the state stays consistent and the next run resumes).
///
/// With `handover`, every new or changed document (and, first, every one an
/// interrupted run stored but whose extraction was never confirmed) is sent
/// there; the receiver confirms each with [`Confirmations`] once its
/// record is safe, or the next run sends it again.
pub async fn run(
    settings: Settings,
    sources: Vec<Source>,
    dir: &Path,
    out: &mut dyn Write,
    handover: Option<mpsc::Sender<Handed>>,
) -> Result<Summary, StoreError> {
    let started = Instant::now();
    // 1. Open the store, resume or start a run, seed the frontier.
    let mut store = Store::open(dir)?;
    store.set_extract(handover.is_some());
    let (mut run, mut resumed) = store.start_run()?;
    if resumed && settings.shared.is_none() {
        tracing::info!("resuming interrupted run {run} in {}", dir.display());
    }
    let mut seeds = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        for u in &s.start {
            seeds.push(Item {
                url: u.clone(),
                depth: 0,
                pages: 0,
                source: i,
                hint: Hint::Start,
                anchor: String::new(),
                attempts: 0,
            });
        }
    }
    let mut frontier = Frontier::default();
    let shared = match &settings.shared {
        Some(sh) => {
            let mut f = shared::Frontier::open(&sh.db, sh.worker.clone(), sh.lease).await?;
            let (r, joined) = f.start(&shared::fingerprint(&sources), &seeds).await?;
            tracing::info!(
                "worker {} {} shared crawl run {r} in {}",
                sh.worker,
                if joined { "joined" } else { "started" },
                crate::store::shown(&sh.db)
            );
            (run, resumed) = (r, joined);
            Some(f)
        }
        None => {
            store.add(&seeds)?;
            for item in store.queued()? {
                if item.source < sources.len() {
                    frontier.push(item);
                }
            }
            None
        }
    };
    let mut host_delays: HashMap<String, Duration> = HashMap::new();
    for s in &sources {
        if let Some(d) = s.delay {
            for h in &s.hosts {
                let e = host_delays.entry(h.clone()).or_insert(d);
                *e = (*e).max(d);
            }
        }
    }
    let polite = Polite::new(settings.delay, host_delays);
    let fetcher = Fetcher::new(settings.clone(), polite).map_err(StoreError::Io)?;
    if let Some(tx) = &handover {
        // Documents stored by an interrupted run but never extracted.
        for (url, path, sha256, charset) in store.pending_extraction()? {
            let _ = tx.send(Handed {
                url,
                path: dir.join(path),
                sha256,
                charset,
            });
        }
    }
    let progress = settings.progress.then(|| {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        pb.enable_steady_tick(Duration::from_millis(200));
        pb
    });
    let settings_shared = settings.shared.is_some();
    // A shared crawl's claims are renewed while this worker lives.
    let heartbeat = shared.clone().map(|f| {
        let name = f.worker().to_string();
        crate::store::heartbeat(
            &tokio::runtime::Handle::current(),
            f.lease(),
            name,
            move || {
                let f = f.clone();
                async move { f.renew().await }
            },
        )
    });
    let mut engine = Engine {
        retry_budget: settings.retry_budget,
        settings,
        sources: Arc::new(sources),
        store,
        frontier,
        shared,
        fetcher: Arc::new(fetcher),
        busy: HashSet::new(),
        summary: Summary {
            run,
            resumed,
            shared: settings_shared,
            ..Summary::default()
        },
        handover,
        progress,
        started,
    };
    let result = engine.run_loop(out).await;
    drop(heartbeat);
    if let Some(f) = &engine.shared {
        f.close().await;
    }
    if let Some(pb) = &engine.progress {
        pb.finish_and_clear();
    }
    drop(engine.handover.take());
    result?;
    // 6. Nothing left: the next command starts a new run.
    engine.store.finish_run()?;
    engine.summary.elapsed = started.elapsed();
    Ok(engine.summary)
}

impl Engine {
    async fn run_loop(&mut self, out: &mut dyn Write) -> Result<(), StoreError> {
        let mut tasks: JoinSet<Done> = JoinSet::new();
        loop {
            // 2. Dispatch work for idle hosts, within the global limit.
            let next_due = if self.shared.is_some() {
                if self.claim_shared(&mut tasks).await? && tasks.is_empty() {
                    if let Some(f) = &self.shared {
                        f.finish_run().await?;
                    }
                    return Ok(());
                }
                // Claimable work appears as hosts rest and other workers
                // report links: ask again shortly.
                Some(Instant::now() + settings::SHARED_POLL)
            } else {
                self.frontier.release_due(Instant::now());
                while tasks.len() < self.settings.concurrency {
                    let Some(item) = self.frontier.pop(&self.busy) else {
                        break;
                    };
                    let known = self
                        .store
                        .known(&item.url)?
                        // Conditional GET only for documents still on disk; HTML documents
                        // are pages too and are read every run for their links.
                        .filter(|k| {
                            !k.path.ends_with(".html") && self.store.dir().join(&k.path).is_file()
                        });
                    self.busy.insert(host_key(&item.url));
                    self.spawn_fetch(&mut tasks, item, known);
                }
                if tasks.is_empty() && self.frontier.is_empty() {
                    return Ok(());
                }
                self.frontier.next_due()
            };
            let joined = if tasks.is_empty() {
                if let Some(t) = next_due {
                    tokio::time::sleep_until(t.into()).await;
                }
                continue;
            } else if let Some(t) = next_due {
                match tokio::time::timeout_at(t.into(), tasks.join_next()).await {
                    Ok(j) => j,
                    Err(_) => continue,
                }
            } else {
                tasks.join_next().await
            };
            let Some(joined) = joined else { continue };
            match joined {
                Ok((item, known, fetched)) => {
                    self.busy.remove(&host_key(&item.url));
                    // 4–5. Classify, store, discover, report.
                    if let Err(e) = self.handle(item, known, fetched, out).await {
                        tasks.abort_all();
                        return Err(e);
                    }
                }
                Err(e) => {
                    tracing::error!("a fetch task failed: {e}");
                    self.busy.clear();
                }
            }
            self.show_progress();
        }
    }

    /// Starts fetching `item`.
    fn spawn_fetch(&self, tasks: &mut JoinSet<Done>, item: Item, known: Option<Known>) {
        let tmp = self.store.temp_path();
        let fetcher = self.fetcher.clone();
        let sources = self.sources.clone();
        tasks.spawn(async move {
            // 3. Fetch.
            let fetched = fetcher
                .fetch(&item.url, &sources[item.source], known.as_ref(), tmp)
                .await;
            (item, known, fetched)
        });
    }

    /// Claims shared work up to the concurrency limit (the claim itself keeps
    /// one request per host across all workers). True when the shared run has
    /// nothing queued or held any more.
    async fn claim_shared(&mut self, tasks: &mut JoinSet<Done>) -> Result<bool, StoreError> {
        while tasks.len() < self.settings.concurrency {
            let Some(f) = &self.shared else {
                return Ok(true);
            };
            match f.claim().await? {
                Claim::Item(claimed) => {
                    let (item, known) = *claimed;
                    if item.source >= self.sources.len() {
                        // Queued by a run over more sources; `start` refuses
                        // mismatched sources, so this is a corrupt row.
                        let rest = self.fetcher.polite.rest(&item.url).await;
                        f.done(&item, &[], "failed: unknown source", rest).await?;
                        continue;
                    }
                    self.spawn_fetch(tasks, item, known);
                }
                Claim::Wait => return Ok(false),
                Claim::Finished => return Ok(true),
            }
        }
        Ok(false)
    }

    /// Tells the shared frontier (if any) that `item` is done (`outcome`),
    /// with `links` found on it.
    async fn shared_done(
        &self,
        item: &Item,
        links: &[Item],
        outcome: &str,
    ) -> Result<(), StoreError> {
        if let Some(f) = &self.shared {
            let rest = self.fetcher.polite.rest(&item.url).await;
            if !f.done(item, links, outcome, rest).await? {
                lost(item);
            }
        }
        Ok(())
    }

    fn show_progress(&self) {
        if let Some(pb) = &self.progress {
            let s = &self.summary;
            let secs = self.started.elapsed().as_secs_f64().max(0.001);
            // A shared frontier's queue is the database's: see `gongkai stats`.
            let queued = match &self.shared {
                Some(_) => String::new(),
                None => format!(" | queued {}", self.frontier.len()),
            };
            pb.set_message(format!(
                "pages {} | documents {} (new {}, changed {}) | errors {}{queued} | {:.1} req/s",
                s.pages,
                s.new + s.changed + s.unchanged,
                s.new,
                s.changed,
                s.failed,
                s.requests as f64 / secs
            ));
        }
    }

    fn emit(&mut self, ev: &Event, out: &mut dyn Write) {
        match ev.event {
            EventKind::New => self.summary.new += 1,
            EventKind::Changed => self.summary.changed += 1,
            EventKind::Unchanged => self.summary.unchanged += 1,
            EventKind::Failed => {
                self.summary.failed += 1;
                tracing::warn!("{}: {}", ev.url, ev.reason.as_deref().unwrap_or("failed"));
            }
        }
        if let Ok(line) = serde_json::to_string(ev) {
            let _ = writeln!(out, "{line}").and_then(|_| out.flush());
        }
    }

    async fn fail(
        &mut self,
        item: &Item,
        reason: String,
        log: &mut FetchLog,
        out: &mut dyn Write,
    ) -> Result<(), StoreError> {
        log.outcome = format!("failed: {reason}");
        let ev = Event {
            event: EventKind::Failed,
            url: item.url.to_string(),
            sha256: None,
            path: None,
            reason: Some(reason),
        };
        self.shared_done(item, &[], &log.outcome).await?;
        self.store.done(item, Some(&ev), log)?;
        self.emit(&ev, out);
        Ok(())
    }

    /// An item is done without a document or an event (skipped).
    async fn skip(&mut self, item: &Item, log: &FetchLog) -> Result<(), StoreError> {
        self.shared_done(item, &[], &log.outcome).await?;
        self.store.done(item, None, log)
    }

    /// Puts `item` back to be fetched again after `wait`.
    async fn requeue(
        &mut self,
        item: Item,
        wait: Duration,
        log: &FetchLog,
    ) -> Result<(), StoreError> {
        if let Some(f) = &self.shared {
            let rest = self.fetcher.polite.rest(&item.url).await;
            if !f.retry(&item, wait, &log.outcome, rest).await? {
                lost(&item);
            }
            self.store.retry(&item, log)?;
        } else {
            self.store.retry(&item, log)?;
            self.frontier.push_delayed(Instant::now() + wait, item);
        }
        Ok(())
    }

    async fn handle(
        &mut self,
        mut item: Item,
        known: Option<Known>,
        f: Fetched,
        out: &mut dyn Write,
    ) -> Result<(), StoreError> {
        self.summary.requests += u64::from(f.requests);
        let mut log = FetchLog {
            status: f.status,
            bytes: 0,
            millis: f.elapsed.as_millis() as u64,
            outcome: String::new(),
        };
        match f.outcome {
            Outcome::Body(body) => {
                log.bytes = body.bytes;
                self.summary.bytes += body.bytes;
                self.handle_body(&item, body, &mut log, out).await
            }
            Outcome::NotModified => {
                log.outcome = "not_modified".into();
                // The fetcher reports NotModified only for a known document
                // (an unasked 304 is a failure there); stay total anyway.
                let Some(known) = known else {
                    return self
                        .fail(&item, "http_304_unasked".into(), &mut log, out)
                        .await;
                };
                if let Some(f) = &self.shared {
                    let rest = self.fetcher.polite.rest(&item.url).await;
                    if !f.unchanged(&item, &log.outcome, rest).await? {
                        lost(&item);
                    }
                }
                let mut ev = self.store.not_modified(&item, &known, &log)?;
                // A shared crawl's content is in the database; this directory
                // has it only if this worker downloaded it.
                if !self.store.dir().join(&known.path).is_file() {
                    ev.path = None;
                }
                self.emit(&ev, out);
                Ok(())
            }
            Outcome::Retry { reason, wait } => {
                if item.attempts < self.settings.retries && self.retry_budget > 0 {
                    let mut wait_for = backoff(
                        self.settings.backoff_base,
                        self.settings.backoff_max,
                        item.attempts,
                    );
                    if let Some(w) = wait {
                        wait_for = w;
                    }
                    item.attempts += 1;
                    self.retry_budget -= 1;
                    self.summary.retries += 1;
                    log.outcome = format!("retry {} in {wait_for:.1?}: {reason}", item.attempts);
                    tracing::info!("{}: {}", item.url, log.outcome);
                    self.requeue(item, wait_for, &log).await
                } else {
                    let why = if self.retry_budget == 0 {
                        "retry budget spent"
                    } else {
                        "retries exhausted"
                    };
                    self.fail(
                        &item,
                        format!("{reason} ({why} after {} attempts)", item.attempts + 1),
                        &mut log,
                        out,
                    )
                    .await
                }
            }
            Outcome::Failed(reason) => self.fail(&item, reason, &mut log, out).await,
            Outcome::Disallowed(url) => {
                self.summary.disallowed += 1;
                tracing::info!("{url}: disallowed by robots.txt, not requested");
                log.outcome = format!("skipped: robots.txt disallows {url}");
                self.skip(&item, &log).await
            }
            Outcome::RobotsUnavailable { until, give_up } => {
                if give_up {
                    self.fail(&item, "robots_unavailable".into(), &mut log, out)
                        .await
                } else if self.shared.is_some() {
                    log.outcome = "waiting: robots.txt unavailable".into();
                    let wait = until.saturating_duration_since(Instant::now());
                    self.requeue(item, wait, &log).await
                } else {
                    self.frontier.push_delayed(until, item);
                    Ok(())
                }
            }
            Outcome::Fatal(msg) => Err(StoreError::Io(msg)),
        }
    }

    async fn handle_body(
        &mut self,
        item: &Item,
        body: Body,
        log: &mut FetchLog,
        out: &mut dyn Write,
    ) -> Result<(), StoreError> {
        let mut d = Downloaded {
            tmp: body.tmp.clone(),
            sha256: body.sha256.clone(),
            bytes: body.bytes,
            ext: "bin",
            content_type: body.content_type.clone(),
            charset: None,
            etag: body.etag.clone(),
            last_modified: body.last_modified.clone(),
        };
        // 4. The content decides, not the Content-Type header.
        if let Some(ext) = document_ext(&body.head, body.final_url.as_str(), &item.anchor) {
            d.ext = ext;
            log.outcome = "document".into();
            let judged = self.shared_document(item, &d, None, &[], log).await?;
            let (ev, _) = self.store.commit_document(item, &d, &[], log, judged)?;
            self.after_document(&ev, &d, out);
            return Ok(());
        }
        let is_html = matches!(sniff(&body.head, body.final_url.path()), Some(Format::Html))
            || body
                .content_type
                .as_deref()
                .is_some_and(|c| c.contains("html"));
        if !is_html || body.bytes > settings::DOWNLOAD_MAX_HTML_BYTES {
            let _ = std::fs::remove_file(&body.tmp);
            if item.hint == Hint::Document {
                let ct = body.content_type.as_deref().unwrap_or("unknown");
                return self
                    .fail(item, format!("not_a_document: content is {ct}"), log, out)
                    .await;
            }
            log.outcome = "skipped: not HTML and not a document".into();
            return self.skip(item, log).await;
        }
        let bytes = match std::fs::read(&body.tmp) {
            Ok(b) => b,
            Err(e) => {
                return Err(StoreError::Io(format!(
                    "reading {}: {e}",
                    body.tmp.display()
                )))
            }
        };
        let (html, charset) = discover::decode_html(&bytes, body.content_type.as_deref());
        let source = &self.sources[item.source];
        let inline = discover::is_inline_document(&html, &source.rules);
        if item.hint == Hint::Document && !inline {
            let _ = std::fs::remove_file(&body.tmp);
            return self
                .fail(
                    item,
                    "not_a_document: an HTML page without tables".into(),
                    log,
                    out,
                )
                .await;
        }
        self.summary.pages += 1;
        // Links of a page reached as a document are not followed.
        let links = if item.hint == Hint::Document {
            Vec::new()
        } else {
            self.links(item, &html, &body.final_url)
        };
        // A shared crawl queues links in the shared frontier only.
        let local_links: &[Item] = if self.shared.is_some() { &[] } else { &links };
        if inline {
            d.ext = "html";
            d.charset = charset;
            log.outcome = "document (inline tables)".into();
            let judged = self
                .shared_document(item, &d, Some(&bytes), &links, log)
                .await?;
            let (ev, fresh) = self
                .store
                .commit_document(item, &d, local_links, log, judged)?;
            self.after_document(&ev, &d, out);
            self.queue(fresh);
        } else {
            let _ = std::fs::remove_file(&body.tmp);
            log.outcome = format!("page, {} links", links.len());
            self.shared_done(item, &links, &log.outcome).await?;
            let fresh = self.store.page_done(item, local_links, log)?;
            self.queue(fresh);
        }
        Ok(())
    }

    /// A shared crawl records a downloaded document (`bytes`, or read from its
    /// temp file) in the shared store and judges it new, changed or unchanged
    /// across all workers. `None` when not shared.
    async fn shared_document(
        &self,
        item: &Item,
        d: &Downloaded,
        bytes: Option<&[u8]>,
        links: &[Item],
        log: &FetchLog,
    ) -> Result<Option<EventKind>, StoreError> {
        let Some(f) = &self.shared else {
            return Ok(None);
        };
        let read;
        let bytes = match bytes {
            Some(b) => b,
            None => {
                read = std::fs::read(&d.tmp)
                    .map_err(|e| StoreError::Io(format!("reading {}: {e}", d.tmp.display())))?;
                &read
            }
        };
        let doc = shared::Document {
            sha256: &d.sha256,
            bytes,
            ext: d.ext,
            etag: d.etag.as_deref(),
            last_modified: d.last_modified.as_deref(),
        };
        let rest = self.fetcher.polite.rest(&item.url).await;
        let (kind, held) = f.document(item, &doc, links, &log.outcome, rest).await?;
        if !held {
            lost(item);
        }
        Ok(Some(kind))
    }

    fn queue(&mut self, fresh: Vec<Item>) {
        for it in fresh {
            self.frontier.push(it);
        }
    }

    fn links(&mut self, item: &Item, html: &str, page_url: &url::Url) -> Vec<Item> {
        let source = &self.sources[item.source];
        let mut out = Vec::new();
        for link in discover::links(html, page_url, &source.rules) {
            if !source.in_scope(&link.url) {
                self.summary.off_site += 1;
                tracing::debug!("off-site, not followed: {}", link.url);
                continue;
            }
            let (depth, pages) = match link.hint {
                Hint::Document => (item.depth + 1, item.pages),
                Hint::Pagination => {
                    if item.pages + 1 > settings::PAGINATION_LIMIT {
                        continue;
                    }
                    (item.depth, item.pages + 1)
                }
                _ => {
                    if item.depth + 1 > source.max_depth {
                        continue;
                    }
                    (item.depth + 1, 0)
                }
            };
            out.push(Item {
                url: link.url,
                depth,
                pages,
                source: item.source,
                hint: link.hint,
                anchor: link.text,
                attempts: 0,
            });
        }
        out
    }

    fn after_document(&mut self, ev: &Event, d: &Downloaded, out: &mut dyn Write) {
        self.emit(ev, out);
        if matches!(ev.event, EventKind::New | EventKind::Changed) {
            if let (Some(tx), Some(path)) = (&self.handover, &ev.path) {
                let _ = tx.send(Handed {
                    url: ev.url.clone(),
                    path: self.store.dir().join(path),
                    sha256: d.sha256.clone(),
                    charset: d.charset.clone(),
                });
            }
        }
    }
}

/// A stored document handed over for extraction.
#[derive(Debug, Clone)]
pub struct Handed {
    /// The normalized URL it was found at (the record's source).
    pub url: String,
    /// The stored file.
    pub path: PathBuf,
    /// Its content hash.
    pub sha256: String,
    /// The charset its HTTP response declared.
    pub charset: Option<String>,
}

/// Confirms to the crawl state in a folder that the records of handed-over
/// documents are safe, so that the next run does not hand them over again.
pub struct Confirmations {
    conn: rusqlite::Connection,
}

impl Confirmations {
    /// Opens the crawl state of `dir` (beside a running crawl).
    pub fn open(dir: &Path) -> Result<Confirmations, StoreError> {
        Ok(Confirmations {
            conn: super::store::connect(dir)?,
        })
    }

    /// The record of `handed` is safe.
    pub fn confirm(&self, handed: &Handed) -> Result<(), StoreError> {
        Store::mark_extracted(&self.conn, &handed.url, &handed.sha256)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_recognized_by_content() {
        assert_eq!(
            document_ext(b"%PDF-1.7\n", "http://x.cn/a.htm", ""),
            Some("pdf")
        );
        let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
        assert_eq!(
            document_ext(&ole, "http://x.cn/download.jsp?id=1", "决算.xls"),
            Some("xls")
        );
        assert_eq!(document_ext(&ole, "http://x.cn/a.doc", ""), Some("doc"));
        assert_eq!(
            document_ext(b"PK\x03\x04....xl/workbook.xml", "http://x.cn/x", ""),
            Some("xlsx")
        );
        assert_eq!(
            document_ext(b"<html><table>", "http://x.cn/a.pdf", ""),
            None
        );
    }
}
