//! `gongkai crawl --out DIR URL...` / `--sources FILE`: download disclosure
//! documents from portals into a content-addressed store, printing one JSON
//! event per document (new, changed, unchanged, failed) on stdout. With
//! `--shared --db`, several workers crawl together through one database.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Result};

use gongkai::crawl::settings::{self as defaults, Settings};
use gongkai::crawl::sources::{self, SourceSpec};

/// Arguments of `gongkai crawl`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 the crawl completed (failed documents are reported as events), \
1 the store failed (disk full, permissions; state is kept and the same command resumes), 2 usage errors."
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
        extract: args.extract,
        db: args.db.clone(),
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
        ..Settings::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let stdout = std::io::stdout();
    let mut out = std::io::LineWriter::new(stdout.lock());
    let result = runtime.block_on(gongkai::crawl::run(settings, all, &args.out, &mut out));
    let _ = out.flush();
    match result {
        Ok(summary) => {
            eprintln!("gongkai: {summary}");
            Ok(ExitCode::SUCCESS)
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
