//! `gongkai extract PATH...`: files or directories (recursive) to JSON Lines,
//! or into a dataset store (`--db`); `--queue` makes it a worker draining the
//! store's shared work queue.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use gongkai::extract::{extract_bytes, extract_path, sha256_hex};
use gongkai::recognize::PatternSet;
use gongkai::record::Record;
use gongkai::settings::Limits;
use gongkai::store::ingest::{ingest, is_current, Outcome, Tally};
use gongkai::store::{queue, Store};

/// Arguments of `gongkai extract`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories (searched recursively for .pdf, .html, .htm, .xls, .xlsx, .txt).
    #[arg(required_unless_present = "queue", conflicts_with = "queue")]
    paths: Vec<PathBuf>,
    /// Write the records here instead of stdout (with --db: also here).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Store the records in a dataset: an SQLite file (created when missing) or a
    /// postgres:// URL. No JSON on stdout then.
    #[arg(long, value_name = "PATH|URL")]
    db: Option<String>,
    /// Work on the database's queue (filled by `gongkai enqueue`) instead of PATHs:
    /// claim batches, extract, store, until nothing is left.
    #[arg(long, requires = "db")]
    queue: bool,
    /// Jobs claimed at a time (--queue).
    #[arg(long, value_name = "N", default_value_t = 16, requires = "queue")]
    batch: usize,
    /// Seconds a claim holds without renewal; a dead worker's jobs are taken over after it (--queue).
    #[arg(long, value_name = "SECS", default_value_t = 600, requires = "queue")]
    lease: u64,
    /// Worker name in the queue, unique among live workers (default HOST:PID) (--queue).
    #[arg(long, requires = "queue")]
    worker: Option<String>,
    /// Indented JSON instead of one record per line.
    #[arg(long)]
    pretty: bool,
    /// Seconds one document may take to decode.
    #[arg(long, default_value_t = gongkai::settings::DEFAULT_TIMEOUT.as_secs())]
    timeout: u64,
    /// Largest input file in bytes.
    #[arg(long, default_value_t = gongkai::settings::DEFAULT_MAX_BYTES)]
    max_bytes: u64,
    /// Largest number of pages of a PDF.
    #[arg(long, default_value_t = gongkai::settings::DEFAULT_MAX_PAGES)]
    max_pages: u32,
    /// Largest number of objects of a PDF.
    #[arg(long, default_value_t = gongkai::settings::DEFAULT_MAX_OBJECTS)]
    max_objects: u64,
    /// Largest decoded size in bytes: a PDF's Flate streams inflated, an .xlsx uncompressed.
    #[arg(long, default_value_t = gongkai::settings::DEFAULT_MAX_DECODED_BYTES)]
    max_decoded_bytes: u64,
    /// Worker threads (default: one per core).
    #[arg(short, long)]
    jobs: Option<usize>,
}

const EXTENSIONS: &[&str] = &["pdf", "html", "htm", "xls", "xlsx", "txt"];

/// Expands the arguments into a sorted list of files.
pub(crate) fn inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .follow_links(false)
                .into_iter()
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .filter(|f| {
                    f.extension()
                        .and_then(|x| x.to_str())
                        .is_some_and(|x| EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()))
                })
                .collect();
            found.sort();
            files.extend(found);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            anyhow::bail!("{}: no such file or directory", p.display());
        }
    }
    Ok(files)
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let patterns = PatternSet::bundled().context("loading the bundled patterns")?;
    let limits = Limits {
        timeout: Duration::from_secs(args.timeout),
        max_bytes: args.max_bytes,
        max_pages: args.max_pages,
        max_objects: args.max_objects,
        max_decoded_bytes: args.max_decoded_bytes,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    // One runtime thread of its own, so a queue worker's lease heartbeat runs
    // while the extraction threads work.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the database runtime")?;
    let store = match &args.db {
        Some(db) => Some(
            runtime
                .block_on(Store::open(db))
                .with_context(|| format!("opening the store {}", gongkai::store::shown(db)))?,
        ),
        None => None,
    };
    // `-o FILE` is written to a temporary file beside it and renamed over it
    // at the end: a killed run leaves FILE as it was, never half written.
    let mut target: Option<Output> = None;
    let out: Option<Box<dyn Write>> = match (&args.output, &store) {
        (Some(path), _) => {
            let o = Output::create(path)?;
            let file = o
                .file
                .try_clone()
                .context("duplicating the output handle")?;
            target = Some(o);
            Some(Box::new(BufWriter::new(file)))
        }
        (None, None) => Some(Box::new(BufWriter::new(std::io::stdout()))),
        (None, Some(_)) => None,
    };
    let mut sink = Sink {
        out,
        pretty: args.pretty,
        store: store.as_ref(),
        runtime: &runtime,
        fingerprint: &patterns.fingerprint,
        tally: Tally::default(),
        failed: 0,
    };
    let started = Instant::now();
    if args.queue {
        let Some(store) = &store else {
            anyhow::bail!("--queue needs --db");
        };
        work_queue(&args, store, &runtime, &pool, &patterns, &limits, &mut sink)?;
    } else {
        let files = inputs(&args.paths)?;
        let bar = progress(files.len() as u64);
        // Documents run in parallel in chunks; output keeps input order and
        // memory stays bounded by the chunk.
        let chunk = pool.current_num_threads().max(1) * 4;
        for batch in files.chunks(chunk) {
            // With only a store to fill, documents it already holds from this
            // extraction (same content hash, gongkai and patterns) are skipped.
            let current = match (&store, sink.out.is_none()) {
                (Some(store), true) => {
                    let hashes: Vec<Option<String>> = pool.install(|| {
                        batch
                            .par_iter()
                            .map(|f| std::fs::read(f).ok().map(|b| sha256_hex(&b)))
                            .collect()
                    });
                    let mut current = Vec::with_capacity(batch.len());
                    for (f, h) in batch.iter().zip(hashes) {
                        current.push(match h {
                            Some(h) => runtime
                                .block_on(is_current(
                                    store,
                                    &h,
                                    &patterns.fingerprint,
                                    &f.display().to_string(),
                                ))
                                .context("reading the store")?,
                            None => false,
                        });
                    }
                    current
                }
                _ => vec![false; batch.len()],
            };
            let records: Vec<Option<Record>> = pool.install(|| {
                batch
                    .par_iter()
                    .zip(current.par_iter())
                    .map(|(f, skip)| {
                        let r = (!skip).then(|| extract_path(f, &patterns, &limits));
                        bar.inc(1);
                        r
                    })
                    .collect()
            });
            for record in records {
                match record {
                    Some(record) => sink.put(&record)?,
                    None => sink.tally.add(&Outcome::Unchanged),
                }
            }
        }
        bar.finish_and_clear();
    }
    if let Some(o) = sink.out.as_mut() {
        o.flush()?;
    }
    drop(sink.out.take());
    if let Some(o) = target {
        o.commit()?;
    }
    let (tally, failed) = (sink.tally.clone(), sink.failed);
    if let (Some(store), Some(db)) = (&store, &args.db) {
        runtime.block_on(store.close());
        eprintln!(
            "gongkai: stored in {}: {tally} ({:.1} s)",
            gongkai::store::shown(db),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(if failed > 0 {
        ExitCode::from(super::EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn progress(len: u64) -> ProgressBar {
    if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} documents {per_sec} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    }
}

/// Where records go: JSON Lines, the store, or both.
struct Sink<'a> {
    out: Option<Box<dyn Write>>,
    pretty: bool,
    store: Option<&'a Store>,
    runtime: &'a tokio::runtime::Runtime,
    fingerprint: &'a str,
    tally: Tally,
    failed: usize,
}

impl Sink<'_> {
    /// Writes and stores one record; a store failure stops the command.
    fn put(&mut self, record: &Record) -> Result<()> {
        if record.error.is_some() {
            self.failed += 1;
        }
        if let Some(out) = self.out.as_mut() {
            if self.pretty {
                serde_json::to_writer_pretty(&mut **out, record)?;
            } else {
                serde_json::to_writer(&mut **out, record)?;
            }
            out.write_all(b"\n")?;
        }
        if let Some(store) = self.store {
            let outcome = self
                .runtime
                .block_on(ingest(store, record, self.fingerprint))
                .with_context(|| format!("storing {}", record.source.path))?;
            if let Outcome::Skipped(why) = &outcome {
                tracing::warn!("not stored: {why}");
            }
            self.tally.add(&outcome);
        }
        Ok(())
    }
}

/// Test-only hook: milliseconds a queue worker sleeps after each claim,
/// holding its jobs, so a test can kill it mid-batch.
const STALL_AFTER_CLAIM: &str = "GONGKAI_TEST_STALL_AFTER_CLAIM_MS";

/// `--queue`: claim, extract, store and finish batches until no job is
/// queued or held by another worker. A heartbeat renews this worker's leases
/// every third of the lease while it works; while others hold jobs it waits,
/// and takes them over if their leases expire.
fn work_queue(
    args: &Args,
    store: &Store,
    runtime: &tokio::runtime::Runtime,
    pool: &rayon::ThreadPool,
    patterns: &PatternSet,
    limits: &Limits,
    sink: &mut Sink<'_>,
) -> Result<()> {
    let worker = args.worker.clone().unwrap_or_else(queue::default_worker);
    let lease = Duration::from_secs(args.lease.max(1));
    let stall = std::env::var(STALL_AFTER_CLAIM)
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis);
    // Jobs still claimed under this name were held by a predecessor that
    // stopped: put them back rather than renew them as if they were ours.
    let orphans = runtime.block_on(queue::release_held(store, &worker))?;
    if orphans > 0 {
        tracing::warn!(
            "{worker}: {orphans} jobs claimed under this name by a stopped worker queued again"
        );
    }
    let _heartbeat = {
        let (store, name) = (store.clone(), worker.clone());
        gongkai::store::heartbeat(runtime.handle(), lease, worker.clone(), move || {
            let (store, name) = (store.clone(), name.clone());
            async move { queue::renew(&store, &name, lease).await }
        })
    };
    let threads = pool.current_num_threads().max(1);
    let mut done = 0usize;
    loop {
        let jobs = runtime
            .block_on(queue::claim(store, &worker, args.batch.max(1), lease))
            .context("claiming jobs")?;
        if jobs.is_empty() {
            let others = runtime
                .block_on(queue::held_by_others(store, &worker))
                .context("looking for held jobs")?;
            if others == 0 {
                break;
            }
            tracing::debug!("{worker}: waiting for {others} jobs held by other workers");
            std::thread::sleep(Duration::from_millis(500).min(lease));
            continue;
        }
        tracing::info!("{worker}: claimed {} jobs", jobs.len());
        if let Some(stall) = stall {
            std::thread::sleep(stall);
        }
        for chunk in jobs.chunks(threads) {
            let mut contents = Vec::with_capacity(chunk.len());
            for job in chunk {
                contents.push(match &job.blob {
                    Some(sha) => Some(
                        runtime
                            .block_on(queue::blob(store, sha))
                            .with_context(|| format!("reading the content of {}", job.path))?,
                    ),
                    None => None,
                });
            }
            let records: Vec<Record> = pool.install(|| {
                chunk
                    .par_iter()
                    .zip(contents)
                    .map(|(j, bytes)| match bytes {
                        Some(b) => extract_bytes(&b, &j.path, None, patterns, limits),
                        None => extract_path(Path::new(&j.path), patterns, limits),
                    })
                    .collect()
            });
            for (job, record) in chunk.iter().zip(records) {
                sink.put(&record)?;
                let sha =
                    (!record.source.sha256.is_empty()).then_some(record.source.sha256.as_str());
                let error = record.error.as_ref().map(|e| e.message.as_str());
                let held = runtime
                    .block_on(queue::finish(store, job, &worker, sha, error))
                    .context("finishing a job")?;
                if !held {
                    tracing::warn!(
                        "{worker}: lost the lease of {} (another worker took it over)",
                        job.path
                    );
                }
                done += 1;
            }
        }
    }
    tracing::info!("{worker}: queue empty after {done} jobs");
    Ok(())
}

/// An output file being written: a temporary file in the same directory,
/// renamed over the destination by [`Output::commit`] (removed if dropped
/// uncommitted). A destination that exists and is not a regular file (a
/// device such as `/dev/null`, a FIFO, a symbolic link) is written in place:
/// renaming over it would replace it.
struct Output {
    /// The temporary file, or `None` when writing in place.
    tmp: Option<PathBuf>,
    dest: PathBuf,
    file: std::fs::File,
    done: bool,
}

impl Output {
    fn create(dest: &std::path::Path) -> Result<Output> {
        if std::fs::symlink_metadata(dest).is_ok_and(|m| !m.file_type().is_file()) {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(dest)
                .with_context(|| format!("opening {}", dest.display()))?;
            return Ok(Output {
                tmp: None,
                dest: dest.to_path_buf(),
                file,
                done: false,
            });
        }
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "records".to_string());
        remove_stale(&dir, &name);
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let file = std::fs::File::create(&tmp)
            .with_context(|| format!("creating {} (for {})", tmp.display(), dest.display()))?;
        Ok(Output {
            tmp: Some(tmp),
            dest: dest.to_path_buf(),
            file,
            done: false,
        })
    }

    /// Flushes to disk and renames into place.
    fn commit(mut self) -> Result<()> {
        let Some(tmp) = self.tmp.clone() else {
            self.done = true;
            return Ok(());
        };
        self.file
            .sync_all()
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &self.dest)
            .with_context(|| format!("renaming {} to {}", tmp.display(), self.dest.display()))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let (false, Some(tmp)) = (self.done, &self.tmp) {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Removes the temporary files of killed runs (`.NAME.PID.tmp` whose process
/// is gone). Only where `/proc` tells which processes live.
fn remove_stale(dir: &std::path::Path, name: &str) {
    let proc = std::path::Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.filter_map(|e| e.ok()) {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !proc.join(pid.to_string()).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
