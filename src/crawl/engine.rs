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
use super::frontier::{host_key, Hint, Item};
use super::local::LocalState;
use super::polite::{backoff, Polite};
use super::settings::{self, Settings};
use super::shared::{self, SharedState};
use super::sources::Source;
use super::state::{CrawlState, Downloaded, FetchLog, Files, Known, Next, StoreError};
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
    /// URLs skipped (robots.txt, not HTML and not a document, too large),
    /// each with a `skipped` event.
    pub skipped: u64,
    /// Links dropped because they leave the allowed hosts.
    pub off_site: u64,
    /// Retries scheduled.
    pub retries: u64,
    /// Body bytes downloaded.
    pub bytes: u64,
    /// Start URLs that could not be fetched at all (a portal down, robots.txt
    /// unreachable): a monitoring run must not pass them off as "nothing new".
    pub unreachable: Vec<String>,
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
        if h.contains("OFD.xml") {
            return Some("ofd");
        }
        return Some(hint(&["xlsx", "docx", "ofd"]).unwrap_or("zip"));
    }
    if head.starts_with(b"Rar!\x1a\x07") {
        return Some("rar");
    }
    if head.starts_with(&[b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C]) {
        return Some("7z");
    }
    None
}

struct Engine<S: CrawlState> {
    settings: Settings,
    sources: Arc<Vec<Source>>,
    /// The frontier and document index: local, or shared (`--shared`).
    state: S,
    fetcher: Arc<Fetcher>,
    /// Hosts with a request in flight.
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
    // 1. Open the state, resume or start a run, seed the frontier.
    let files = Files::open(dir)?;
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
    let mut host_delays: HashMap<String, Duration> = HashMap::new();
    for s in &sources {
        if let Some(d) = s.delay {
            for h in &s.hosts {
                let e = host_delays.entry(h.clone()).or_insert(d);
                *e = (*e).max(d);
            }
        }
    }
    let polite = Arc::new(Polite::new(settings.delay, host_delays));
    let fingerprint = shared::fingerprint(&sources);
    match &settings.shared {
        Some(sh) => {
            let mut state =
                SharedState::open(&sh.db, sh.worker.clone(), sh.lease, files, polite.clone())
                    .await?;
            let (run, joined) = match state.start(&fingerprint, &seeds).await {
                Ok(r) => r,
                Err(e) => {
                    state.close().await;
                    return Err(e.into());
                }
            };
            tracing::info!(
                "worker {} {} shared crawl run {run} in {}",
                state.worker(),
                if joined { "joined" } else { "started" },
                crate::store::shown(&sh.db)
            );
            drive(
                state,
                (run, joined),
                settings,
                sources,
                polite,
                out,
                handover,
                started,
            )
            .await
        }
        None => {
            let (state, run, resumed) =
                LocalState::open(files, &fingerprint, &seeds, handover.is_some()).await?;
            if resumed {
                tracing::info!("resuming interrupted run {run} in {}", dir.display());
            }
            drive(
                state,
                (run, resumed),
                settings,
                sources,
                polite,
                out,
                handover,
                started,
            )
            .await
        }
    }
}

/// Runs the crawl on `state` until nothing is left (`run`: its number and
/// whether it was resumed or joined).
#[allow(clippy::too_many_arguments)]
async fn drive<S: CrawlState>(
    mut state: S,
    run: (i64, bool),
    settings: Settings,
    sources: Vec<Source>,
    polite: Arc<Polite>,
    out: &mut dyn Write,
    handover: Option<mpsc::Sender<Handed>>,
    started: Instant,
) -> Result<Summary, StoreError> {
    let fetcher = match Fetcher::new(settings.clone(), polite) {
        Ok(f) => f,
        Err(e) => {
            state.close().await;
            return Err(StoreError::Io(e));
        }
    };
    if let Some(tx) = &handover {
        // Documents stored by an interrupted run but never extracted.
        let pending = match state.pending_extraction().await {
            Ok(p) => p,
            Err(e) => {
                state.close().await;
                return Err(e);
            }
        };
        for (url, path, sha256, charset) in pending {
            let _ = tx.send(Handed {
                url,
                path: state.files().dir().join(path),
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
    let shared = settings.shared.is_some();
    let mut engine = Engine {
        retry_budget: settings.retry_budget,
        settings,
        sources: Arc::new(sources),
        state,
        fetcher: Arc::new(fetcher),
        busy: HashSet::new(),
        summary: Summary {
            run: run.0,
            resumed: run.1,
            shared,
            ..Summary::default()
        },
        handover,
        progress,
        started,
    };
    let mut result = engine.run_loop(out).await;
    if result.is_ok() {
        // 6. Nothing left: the next command starts a new run.
        result = engine.state.finish().await;
    }
    engine.state.close().await;
    if let Some(pb) = &engine.progress {
        pb.finish_and_clear();
    }
    drop(engine.handover.take());
    result?;
    engine.summary.elapsed = started.elapsed();
    Ok(engine.summary)
}

impl<S: CrawlState> Engine<S> {
    async fn run_loop(&mut self, out: &mut dyn Write) -> Result<(), StoreError> {
        let mut tasks: JoinSet<Done> = JoinSet::new();
        loop {
            // 2. Dispatch work for idle hosts, within the global limit.
            let mut next_due = None;
            let mut finished = false;
            while tasks.len() < self.settings.concurrency {
                match self.state.next(&self.busy).await? {
                    Next::Item(next) => {
                        let (item, known) = *next;
                        if item.source >= self.sources.len() {
                            // Queued by a run over more sources (a shared
                            // run refuses mismatched sources): nothing to
                            // fetch it with.
                            let log = FetchLog {
                                outcome: "failed: unknown source".into(),
                                ..FetchLog::default()
                            };
                            self.state.done(&item, None, &log).await?;
                            continue;
                        }
                        self.busy.insert(host_key(&item.url));
                        self.spawn_fetch(&mut tasks, item, known);
                    }
                    Next::Wait(at) => {
                        next_due = at;
                        break;
                    }
                    Next::Finished => {
                        finished = true;
                        break;
                    }
                }
            }
            if finished && tasks.is_empty() {
                return Ok(());
            }
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
        let tmp = self.state.files().temp_path();
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

    fn show_progress(&self) {
        if let Some(pb) = &self.progress {
            let s = &self.summary;
            let secs = self.started.elapsed().as_secs_f64().max(0.001);
            // A shared frontier's queue is the database's: see `gongkai stats`.
            let queued = match self.state.queued() {
                Some(n) => format!(" | queued {n}"),
                None => String::new(),
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

    fn emit(&mut self, ev: &Event, item: &Item, out: &mut dyn Write) {
        if item.hint == Hint::Start && ev.event == EventKind::Failed {
            self.summary.unreachable.push(ev.url.clone());
        }
        match ev.event {
            EventKind::New => self.summary.new += 1,
            EventKind::Changed => self.summary.changed += 1,
            EventKind::Unchanged => self.summary.unchanged += 1,
            EventKind::Failed => {
                self.summary.failed += 1;
                tracing::warn!("{}: {}", ev.url, ev.reason.as_deref().unwrap_or("failed"));
            }
            EventKind::Skipped => {
                self.summary.skipped += 1;
                tracing::info!(
                    "{}: skipped: {}",
                    ev.url,
                    ev.reason.as_deref().unwrap_or("")
                );
            }
        }
        if self.settings.changes_only && !ev.is_change() {
            return;
        }
        let mut ev = ev.clone();
        ev.at = Some(crate::store::now_rfc3339());
        ev.run = Some(self.summary.run);
        ev.source = self.sources.get(item.source).map(|s| s.name.clone());
        if ev.anchor.is_none() && !item.anchor.is_empty() {
            ev.anchor = Some(item.anchor.clone());
        }
        if let Ok(line) = serde_json::to_string(&ev) {
            let _ = writeln!(out, "{line}").and_then(|_| out.flush());
        }
    }

    /// An item is done without a document: failed, with an event saying why.
    async fn fail(
        &mut self,
        item: &Item,
        reason: String,
        log: &mut FetchLog,
        out: &mut dyn Write,
    ) -> Result<(), StoreError> {
        self.done_without_document(item, EventKind::Failed, reason, log, out)
            .await
    }

    /// An item is done without a document (failed or skipped), with an
    /// event saying why.
    async fn done_without_document(
        &mut self,
        item: &Item,
        event: EventKind,
        reason: String,
        log: &mut FetchLog,
        out: &mut dyn Write,
    ) -> Result<(), StoreError> {
        log.outcome = format!("{}: {reason}", event.as_str());
        let mut ev = Event::new(event, item.url.to_string());
        ev.reason = Some(reason);
        ev.anchor = (!item.anchor.is_empty()).then(|| item.anchor.clone());
        self.state.done(item, Some(&ev), log).await?;
        self.emit(&ev, item, out);
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
                let mut ev = self.state.not_modified(&item, &known, &log).await?;
                // A shared crawl's content is in the database; this directory
                // has it only if this worker downloaded it.
                if !self.state.files().dir().join(&known.path).is_file() {
                    ev.path = None;
                }
                self.emit(&ev, &item, out);
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
                    self.state.retry(item, wait_for, &log).await
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
                let why = format!("robots.txt disallows {url}");
                self.done_without_document(&item, EventKind::Skipped, why, &mut log, out)
                    .await
            }
            Outcome::RobotsUnavailable { until, give_up } => {
                if give_up {
                    self.fail(&item, "robots_unavailable".into(), &mut log, out)
                        .await
                } else {
                    log.outcome = "waiting: robots.txt unavailable".into();
                    let wait = until.saturating_duration_since(Instant::now());
                    self.state.retry(item, wait, &log).await
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
            let ev = self.state.document(item, &d, None, &[], log).await?;
            self.after_document(&ev, item, &d, out);
            return Ok(());
        }
        let is_html = matches!(sniff(&body.head, body.final_url.path()), Some(Format::Html))
            || body
                .content_type
                .as_deref()
                .is_some_and(|c| c.contains("html"));
        if !is_html || body.bytes > settings::DOWNLOAD_MAX_HTML_BYTES {
            let _ = std::fs::remove_file(&body.tmp);
            let ct = body.content_type.as_deref().unwrap_or("unknown");
            if item.hint == Hint::Document {
                return self
                    .fail(item, format!("not_a_document: content is {ct}"), log, out)
                    .await;
            }
            let reason = if is_html {
                format!(
                    "an HTML page of {} bytes, over the {} read for links",
                    body.bytes,
                    settings::DOWNLOAD_MAX_HTML_BYTES
                )
            } else {
                format!("not HTML and not a document (content is {ct})")
            };
            return self
                .done_without_document(item, EventKind::Skipped, reason, log, out)
                .await;
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
        if inline {
            d.ext = "html";
            d.charset = charset;
            log.outcome = "document (inline tables)".into();
            let ev = self
                .state
                .document(item, &d, Some(&bytes), &links, log)
                .await?;
            self.after_document(&ev, item, &d, out);
        } else {
            let _ = std::fs::remove_file(&body.tmp);
            log.outcome = format!("page, {} links", links.len());
            self.state.page_done(item, &links, log).await?;
        }
        Ok(())
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

    fn after_document(&mut self, ev: &Event, item: &Item, d: &Downloaded, out: &mut dyn Write) {
        self.emit(ev, item, out);
        if matches!(ev.event, EventKind::New | EventKind::Changed) {
            if let (Some(tx), Some(path)) = (&self.handover, &ev.path) {
                let _ = tx.send(Handed {
                    url: ev.url.clone(),
                    path: self.state.files().dir().join(path),
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
/// documents are safe.
pub use super::state::Confirmations;

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
        assert_eq!(
            document_ext(b"PK\x03\x04....OFD.xml", "http://x.cn/x", ""),
            Some("ofd")
        );
        assert_eq!(
            document_ext(b"PK\x03\x04..a.pdf", "http://x.cn/dl?id=3", "附件"),
            Some("zip")
        );
        assert_eq!(
            document_ext(b"Rar!\x1a\x07\x00", "http://x.cn/x", ""),
            Some("rar")
        );
    }
}
