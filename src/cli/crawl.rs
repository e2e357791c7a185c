//! `gongkai crawl --out DIR URL...` / `--sources FILE`: download disclosure
//! documents from portals into a content-addressed store, printing one JSON
//! event per document (new, changed, unchanged, failed) on stdout. With
//! `--shared --db`, several workers crawl together through one database.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use std::sync::mpsc;

use anyhow::{bail, Context, Result};

use gongkai::crawl::settings::{self as defaults, Settings};
use gongkai::crawl::sources::{self, SourceSpec};
use gongkai::crawl::{Confirmations, Handed};
use gongkai::settings::{DecodeOptions, Limits};
use gongkai::store::Store;
use gongkai::{Batch, Document, Extractor};

use super::sink::{drop_partial_line, Lines, Sink};

/// Arguments of `gongkai crawl`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 the crawl completed (failed documents are reported as events), \
1 the store failed (disk full, permissions; state is kept and the same command resumes), 2 usage errors, \
3 a source yielded nothing (every start URL failed)."
)]
pub struct Args {
    /// Start URLs (http or https); links never leave their hosts.
    #[arg(required_unless_present = "sources")]
    urls: Vec<String>,
    /// Output directory: docs/, state.sqlite, records.jsonl, dataset.sqlite.
    #[arg(short, long, value_name = "DIR")]
    out: PathBuf,
    /// TOML file listing portals (start URLs, allowed hosts, link rules, depth, rate); repeatable.
    #[arg(long, value_name = "FILE")]
    sources: Vec<PathBuf>,
    /// Another host the start URLs' links may go to; repeatable.
    #[arg(long, value_name = "HOST")]
    allow_host: Vec<String>,
    /// Minimum seconds between two requests to one host (jittered up to +50%).
    #[arg(long, value_name = "SECS", default_value_t = defaults::DOWNLOAD_DELAY.as_secs_f64(), value_parser = secs)]
    delay: f64,
    /// Requests in flight across all hosts (never more than one per host).
    #[arg(long, value_name = "N", default_value_t = defaults::CONCURRENT_REQUESTS, value_parser = concurrency)]
    concurrency: usize,
    /// Seconds a whole request (body included) may take.
    #[arg(long, value_name = "SECS", default_value_t = defaults::DOWNLOAD_TIMEOUT.as_secs_f64(), value_parser = positive_secs)]
    timeout: f64,
    /// Seconds to establish a connection.
    #[arg(long, value_name = "SECS", default_value_t = defaults::DOWNLOAD_CONNECT_TIMEOUT.as_secs_f64(), value_parser = positive_secs)]
    connect_timeout: f64,
    /// Largest response body in bytes; larger ones are aborted and reported too_large.
    #[arg(long, value_name = "BYTES", default_value_t = defaults::DOWNLOAD_MAX_BYTES)]
    max_bytes: u64,
    /// Links followed from a start URL (documents are fetched one link further).
    #[arg(long, value_name = "N", default_value_t = defaults::DEPTH_LIMIT)]
    max_depth: u32,
    /// Retries of one URL after connect errors, 5xx and 429.
    #[arg(long, value_name = "N", default_value_t = defaults::RETRY_TIMES)]
    retries: u32,
    /// Retries allowed in the whole run.
    #[arg(long, value_name = "N", default_value_t = defaults::RETRY_BUDGET)]
    retry_budget: u32,
    /// Seconds of the first retry backoff (doubled per attempt, jittered); Retry-After wins.
    #[arg(long, value_name = "SECS", default_value_t = defaults::RETRY_BACKOFF_BASE.as_secs_f64(), value_parser = secs)]
    backoff: f64,
    /// Contact URL put in the User-Agent (gongkai/<version> (+URL)).
    #[arg(long, value_name = "URL")]
    contact: Option<String>,
    /// Run the extractor on new and changed documents; records are appended to DIR/records.jsonl
    /// and stored in the dataset store (--db).
    #[arg(long)]
    extract: bool,
    /// The dataset store --extract writes to, or the database a --shared crawl shares:
    /// an SQLite file or a postgres:// URL [default with --extract: DIR/dataset.sqlite].
    #[arg(long, value_name = "PATH|URL")]
    db: Option<String>,
    /// Share the crawl with every worker started with the same --db (on any machine) and the
    /// same sources: one frontier (each URL fetched by one worker), one politeness clock per
    /// host, one document index; new and changed documents are queued in the database for
    /// `gongkai extract --queue` workers. This worker's files and logs still go to --out.
    #[arg(long, requires = "db", conflicts_with = "extract")]
    shared: bool,
    /// This worker's name in a --shared crawl, unique among live workers [default: HOST:PID].
    #[arg(long, value_name = "NAME", requires = "shared")]
    worker: Option<String>,
    /// Seconds a --shared worker's claim of a URL holds without renewal (renewed every third
    /// while it lives); a dead worker's URLs and hosts are taken over after it.
    #[arg(long, value_name = "SECS", default_value_t = defaults::SHARED_LEASE.as_secs_f64(), value_parser = positive_secs, requires = "shared")]
    lease: f64,
    /// No progress bar, even on a terminal.
    #[arg(long)]
    no_progress: bool,
    /// Print only what a monitoring run acts on: new, changed and failed documents (the state
    /// keeps every event). A run where nothing changed prints nothing.
    #[arg(long)]
    changes_only: bool,
    /// With --extract: a folder of pattern files instead of the bundled set.
    #[arg(long, value_name = "DIR", requires = "extract")]
    patterns: Option<PathBuf>,
    /// With --extract: findings reviewed and accepted, as for `extract --accept`
    /// (their flags are marked `"accepted": true`; the log counts the others).
    #[arg(long, value_name = "FILE", requires = "extract")]
    accept: Option<PathBuf>,
}

fn concurrency(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=256).contains(&n) => Ok(n),
        _ => Err(format!("{s:?} is not a number from 1 to 256")),
    }
}

fn secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..1e6).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a number of seconds")),
    }
}

fn positive_secs(s: &str) -> Result<f64, String> {
    match secs(s)? {
        v if v > 0.0 => Ok(v),
        _ => Err("must be more than 0 seconds".into()),
    }
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let mut all = Vec::new();
    if !args.urls.is_empty() {
        let spec = SourceSpec {
            name: Some("command line".into()),
            start: args.urls.clone(),
            allow_hosts: args.allow_host.clone(),
            max_depth: Some(args.max_depth),
            ..SourceSpec::default()
        };
        match sources::compile(&spec, args.max_depth) {
            Ok(s) => all.push(s),
            Err(e) => bail!("start URLs: {e}"),
        }
    }
    for path in &args.sources {
        match sources::load(path, args.max_depth) {
            Ok(list) => all.extend(list),
            Err(e) => bail!("{e}"),
        }
    }
    if let Some(c) = &args.contact {
        if url::Url::parse(c).is_err() && !c.contains('@') {
            bail!("--contact {c:?} is neither a URL nor an e-mail address");
        }
    }
    if args.db.is_some() && !args.extract && !args.shared {
        bail!("--db is where --extract stores records or what a --shared crawl shares: give one of them");
    }
    let delay = Duration::from_secs_f64(args.delay);
    if delay < defaults::DOWNLOAD_DELAY_POLITE_MIN {
        tracing::warn!(
            "--delay {}s is below {}s: government portals may block the crawler",
            args.delay,
            defaults::DOWNLOAD_DELAY_POLITE_MIN.as_secs_f64()
        );
    }
    let settings = Settings {
        delay,
        concurrency: args.concurrency,
        connect_timeout: Duration::from_secs_f64(args.connect_timeout),
        timeout: Duration::from_secs_f64(args.timeout),
        max_bytes: args.max_bytes,
        max_depth: args.max_depth,
        retries: args.retries,
        retry_budget: args.retry_budget,
        backoff_base: Duration::from_secs_f64(args.backoff),
        user_agent: defaults::user_agent(args.contact.as_deref()),
        progress: !args.no_progress && std::io::stderr().is_terminal(),
        shared: match (&args.db, args.shared) {
            (Some(db), true) => Some(defaults::Shared {
                db: db.clone(),
                worker: args
                    .worker
                    .clone()
                    .unwrap_or_else(gongkai::store::queue::default_worker),
                lease: Duration::from_secs_f64(args.lease),
            }),
            _ => None,
        },
        changes_only: args.changes_only,
        ..Settings::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // --extract: new and changed documents are handed over to a thread that
    // extracts them (the loaded patterns are checked before the crawl starts).
    let extraction = if args.extract {
        let db = args
            .db
            .clone()
            .unwrap_or_else(|| gongkai::store::default_for_dir(&args.out));
        let extractor = Extractor::new(super::options::load(args.patterns.as_deref())?)
            .with_limits(Limits {
                max_bytes: args.max_bytes,
                ..Limits::default()
            })
            .with_decode(DecodeOptions {
                isolation: super::options::isolation(super::options::IsolationMode::Process),
                ..DecodeOptions::default()
            });
        let accepted = super::options::accepted(args.accept.as_deref())?;
        let (tx, rx) = mpsc::channel::<Handed>();
        let dir = args.out.clone();
        let handle = std::thread::spawn(move || {
            if let Err(e) = extract_handed(&extractor, &dir, &db, accepted, rx) {
                tracing::error!("--extract: {e:#}");
            }
        });
        Some((tx, handle))
    } else {
        None
    };
    let (handover, extraction) = match extraction {
        Some((tx, handle)) => (Some(tx), Some(handle)),
        None => (None, None),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::LineWriter::new(stdout.lock());
    // Which start URLs each source has, to tell a source that yielded
    // nothing (every start URL unreachable).
    let starts: Vec<(String, Vec<String>)> = all
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                s.start.iter().map(|u| u.as_str().to_string()).collect(),
            )
        })
        .collect();
    let result = runtime.block_on(gongkai::crawl::run(
        settings, all, &args.out, &mut out, handover,
    ));
    let _ = out.flush();
    if let Some(handle) = extraction {
        let _ = handle.join();
    }
    match result {
        Ok(summary) => {
            eprintln!("gongkai: {summary}");
            let dead: Vec<&str> = starts
                .iter()
                .filter(|(_, urls)| {
                    !urls.is_empty() && urls.iter().all(|u| summary.unreachable.contains(u))
                })
                .map(|(name, _)| name.as_str())
                .collect();
            if dead.is_empty() {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "gongkai: no start URL of {} could be fetched (see the failed events): nothing was crawled there",
                    dead.join(", ")
                );
                Ok(ExitCode::from(EXIT_UNREACHABLE))
            }
        }
        Err(e) => {
            eprintln!(
                "gongkai: crawl stopped: {e} (the state in {} is intact; run the same command to resume)",
                args.out.display()
            );
            Ok(ExitCode::from(super::EXIT_SOME_FAILED))
        }
    }
}

/// Exit code when a source yielded nothing: every one of its start URLs
/// failed (a portal down, its robots.txt unreachable).
pub const EXIT_UNREACHABLE: u8 = 3;

/// `--extract`: runs the extractor on each handed-over document, appends its
/// record to `DIR/records.jsonl` (one synced line each) and stores it in the
/// dataset store `db`, then confirms it to the crawl state (a crash in between
/// may repeat a record on the next run, never lose one; storing is
/// idempotent). Documents waiting together are extracted in parallel.
fn extract_handed(
    extractor: &Extractor,
    dir: &std::path::Path,
    db: &str,
    accepted: std::collections::HashSet<String>,
    rx: mpsc::Receiver<Handed>,
) -> Result<()> {
    let confirmations = Confirmations::open(dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let store = runtime
        .block_on(Store::open(db))
        .with_context(|| format!("store {}", gongkai::store::shown(db)))?;
    let records = dir.join("records.jsonl");
    drop_partial_line(&records).with_context(|| format!("repairing {}", records.display()))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&records)
        .with_context(|| format!("opening {}", records.display()))?;
    let fingerprint = extractor.patterns().fingerprint.clone();
    let mut sink = Sink {
        lines: Some(Lines::Synced(file)),
        pretty: false,
        store: Some(&store),
        runtime: &runtime,
        fingerprint: &fingerprint,
        tally: Default::default(),
        failed: 0,
        accepted,
        open_flags: 0,
        read: Default::default(),
    };
    let batch = Batch::new(extractor, None)?;
    // Whatever is waiting, up to a chunk; blocks only for the first.
    let chunk = batch.chunk();
    let chunks = std::iter::from_fn(|| {
        let first = rx.recv().ok()?;
        let mut docs = vec![first];
        while docs.len() < chunk {
            match rx.try_recv() {
                Ok(h) => docs.push(h),
                Err(_) => break,
            }
        }
        Some(
            docs.into_iter()
                .map(|h| {
                    let doc = Document {
                        name: h.url.clone(),
                        content: gongkai::extractor::Content::Path(h.path.clone()),
                        charset: h.charset.clone(),
                    };
                    (h, doc)
                })
                .collect::<Vec<_>>(),
        )
    });
    let result = batch.run_chunks(
        chunks,
        |_| false,
        |handed, records| {
            if records.is_empty() {
                return Ok(());
            }
            for record in &records {
                if let Err(e) = sink.put(record) {
                    // A record that could not be stored is not confirmed: the
                    // next run hands the download over again.
                    tracing::error!("--extract: {}: {e:#}", record.source.path);
                    return Ok(());
                }
            }
            confirmations.confirm(&handed).map_err(anyhow::Error::from)
        },
    );
    runtime.block_on(store.close());
    if !sink.accepted.is_empty() {
        eprintln!(
            "gongkai: --extract: {} findings not in --accept",
            sink.open_flags
        );
    }
    result.map(|_| ())
}
