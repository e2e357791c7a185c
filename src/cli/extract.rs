//! `gongkai extract PATH...`: files or directories (recursive) to JSON Lines,
//! or into a dataset store (`--db`); `--queue` makes it a worker draining the
//! store's shared work queue.

use std::io::{BufWriter, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use gongkai::store::ingest::is_current;
use gongkai::store::{claims, queue, Store};
use gongkai::text::sha256_hex;
use gongkai::{Batch, Document, Extractor};

use super::options::ExtractArgs;
use super::sink::{Lines, Sink};

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
    /// Draw page N of each PDF input (1-based) as SVG into --debug-dir: its glyphs, ruling
    /// lines, table cells and text lines, as layout saw them.
    #[arg(
        long,
        value_name = "N",
        requires = "debug_dir",
        conflicts_with = "queue"
    )]
    debug_page: Option<u32>,
    /// Where --debug-page writes its drawings (created when missing).
    #[arg(long, value_name = "DIR", requires = "debug_page")]
    debug_dir: Option<PathBuf>,
    #[command(flatten)]
    extraction: ExtractArgs,
}

/// Files a directory is searched for: every format the portals publish,
/// those gongkai does not read yet included, so that each gets a record
/// saying what it is rather than being passed over in silence.
const EXTENSIONS: &[&str] = &[
    "pdf", "html", "htm", "xls", "xlsx", "et", "docx", "doc", "wps", "ofd", "zip", "rar", "7z",
    "txt",
];

/// One input: a file to read (which may still turn out missing, a FIFO or
/// a dangling link: the extractor says so in its record), or a path that
/// could not be listed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Input {
    File(PathBuf),
    Unlisted(PathBuf, String),
}

impl Input {
    /// The document it is for a batch.
    fn document(&self) -> Document {
        match self {
            Input::File(f) => Document::path(f),
            Input::Unlisted(p, why) => Document {
                name: p.display().to_string(),
                content: gongkai::extractor::Content::Unreadable(why.clone()),
                charset: None,
            },
        }
    }
}

/// Expands the arguments into the inputs, one record each: a file named on
/// the command line as it is (missing or not), the files of a directory
/// with a document extension (regular files, links and special files alike:
/// each gets its record), sorted, and whatever part of a directory could
/// not be listed.
pub(crate) fn inputs(paths: &[PathBuf]) -> Vec<Input> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() {
            out.push(Input::File(p.clone()));
            continue;
        }
        let mut found = Vec::new();
        for entry in walkdir::WalkDir::new(p).follow_links(false) {
            match entry {
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) => {
                    let known = e
                        .path()
                        .extension()
                        .and_then(|x| x.to_str())
                        .is_some_and(|x| EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()));
                    if known {
                        found.push(Input::File(e.into_path()));
                    }
                }
                Err(e) => {
                    let at = e.path().map(Path::to_path_buf).unwrap_or_else(|| p.clone());
                    let why = format!("cannot list {}: {e}", at.display());
                    found.push(Input::Unlisted(at, why));
                }
            }
        }
        found.sort_by(|a, b| input_path(a).cmp(input_path(b)));
        out.extend(found);
    }
    out
}

fn input_path(i: &Input) -> &Path {
    match i {
        Input::File(p) | Input::Unlisted(p, _) => p,
    }
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let extractor = args.extraction.extractor()?;
    let batch = Batch::new(&extractor, args.extraction.jobs).context("starting worker threads")?;
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
    let lines: Option<Lines> = match (&args.output, &store) {
        (Some(path), _) => {
            let o = Output::create(path)?;
            let file = o
                .file
                .try_clone()
                .context("duplicating the output handle")?;
            target = Some(o);
            Some(Lines::Stream(Box::new(BufWriter::new(file))))
        }
        (None, None) => Some(Lines::Stream(Box::new(BufWriter::new(std::io::stdout())))),
        (None, Some(_)) => None,
    };
    let fingerprint = extractor.patterns().fingerprint.clone();
    let mut sink = Sink {
        lines,
        pretty: args.pretty,
        store: store.as_ref(),
        runtime: &runtime,
        fingerprint: &fingerprint,
        tally: Default::default(),
        failed: 0,
        accepted: args.extraction.accepted()?,
        open_flags: 0,
        read: Default::default(),
    };
    let started = Instant::now();
    let mut extracted: Option<usize> = None;
    if args.queue {
        let Some(store) = &store else {
            anyhow::bail!("--queue needs --db");
        };
        work_queue(&args, store, &runtime, &batch, &mut sink)?;
    } else {
        let files = inputs(&args.paths);
        if let (Some(page), Some(dir)) = (args.debug_page, &args.debug_dir) {
            let paths: Vec<PathBuf> = files
                .iter()
                .filter_map(|i| match i {
                    Input::File(f) => Some(f.clone()),
                    Input::Unlisted(..) => None,
                })
                .collect();
            debug_pages(&extractor, &paths, page, dir)?;
        }
        let bar = progress(files.len() as u64);
        // With only a store to fill, documents it already holds from this
        // extraction (same content hash, gongkai and patterns) are skipped,
        // and so are those another run is extracting now (claims).
        let check_store = match (&store, sink.lines.is_none()) {
            (Some(store), true) => Some(store),
            _ => None,
        };
        let worker = queue::default_worker();
        let elsewhere = AtomicUsize::new(0);
        let _heartbeat = check_store.map(|store| {
            let (store, name) = (store.clone(), worker.clone());
            gongkai::store::heartbeat(runtime.handle(), CLAIM_LEASE, worker.clone(), move || {
                let (store, name) = (store.clone(), name.clone());
                async move { claims::renew(&store, &name, CLAIM_LEASE).await }
            })
        });
        let current = |doc: &Document| -> bool {
            let (Some(store), gongkai::extractor::Content::Path(path)) =
                (check_store, &doc.content)
            else {
                return false;
            };
            let Ok(bytes) = gongkai::extractor::read_input(path, extractor.limits().max_bytes)
            else {
                return false;
            };
            let sha = sha256_hex(&bytes);
            // Claimed first, then checked: a run that stored it meanwhile
            // has released it, and the check sees its record.
            let ours = runtime
                .block_on(claims::claim(
                    store,
                    &sha,
                    &fingerprint,
                    &worker,
                    CLAIM_LEASE,
                ))
                .unwrap_or(true);
            if !ours {
                elsewhere.fetch_add(1, Ordering::Relaxed);
                return true;
            }
            let stored = runtime
                .block_on(is_current(store, &sha, &fingerprint, &doc.name))
                .unwrap_or(false);
            if stored {
                let _ = runtime.block_on(claims::release(store, &sha, &fingerprint, &worker));
            }
            stored
        };
        let documents = files.iter().map(|f| ((), f.document()));
        let summary = batch.run(documents, current, |(), records| {
            bar.inc(1);
            if records.is_empty() {
                sink.unchanged();
            }
            for record in &records {
                sink.put(record)?;
            }
            // The claim was taken on the input's content: a document's own,
            // or the bundle's its members came from.
            let claimed = records.first().map(|r| match &r.source.bundle {
                Some(b) => b.sha256.as_str(),
                None => r.source.sha256.as_str(),
            });
            if let (Some(store), Some(sha)) = (check_store, claimed.filter(|s| !s.is_empty())) {
                let _ = runtime.block_on(claims::release(store, sha, &fingerprint, &worker));
            }
            anyhow::Ok(())
        })?;
        extracted = Some(summary.extracted);
        if let Some(store) = check_store {
            let _ = runtime.block_on(claims::release_all(store, &worker));
        }
        let left = elsewhere.load(Ordering::Relaxed);
        if left > 0 {
            eprintln!(
                "gongkai: {left} documents another run was extracting were left to it (counted unchanged)"
            );
        }
        bar.finish_and_clear();
    }
    sink.flush()?;
    drop(sink.lines.take());
    if let Some(o) = target {
        o.commit()?;
    }
    let (tally, failed) = (sink.tally.clone(), sink.failed);
    eprintln!(
        "gongkai: read {} ({:.1} s)",
        sink.read,
        started.elapsed().as_secs_f64()
    );
    if args.extraction.accept.is_some() {
        eprintln!(
            "gongkai: {} findings not in --accept {}",
            sink.open_flags,
            args.extraction
                .accept
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    }
    if let (Some(store), Some(db)) = (&store, &args.db) {
        runtime.block_on(store.close());
        eprintln!(
            "gongkai: stored in {}: {tally}{} ({:.1} s)",
            gongkai::store::shown(db),
            extracted
                .map(|n| format!("; {n} extracted by this run"))
                .unwrap_or_default(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(if failed > 0 {
        ExitCode::from(super::EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--debug-page N --debug-dir DIR`: page N of each PDF as `DIR/<file>.pN.svg`.
fn debug_pages(extractor: &Extractor, files: &[PathBuf], page: u32, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for f in files {
        let Ok(bytes) = gongkai::extractor::read_input(f, extractor.limits().max_bytes) else {
            continue;
        };
        if gongkai::decode::sniff(&bytes, &f.display().to_string())
            != Some(gongkai::model::Format::Pdf)
        {
            continue;
        }
        let pages = match gongkai::decode::pdf::pages(
            &bytes,
            extractor.limits(),
            extractor.decode_options(),
        ) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("gongkai: {}: no debug drawing: {e}", f.display());
                continue;
            }
        };
        let Some(p) = pages.pages.iter().find(|p| p.number == page) else {
            eprintln!("gongkai: {}: has no page {page}", f.display());
            continue;
        };
        let stem = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "document".into());
        // The tables recognized on the page, for the legend.
        let record = extractor.extract_bytes(&bytes, &f.display().to_string(), None);
        let notes: Vec<String> = record
            .tables
            .iter()
            .filter(|t| t.pages.contains(&page))
            .map(|t| {
                format!(
                    "recognized: {} {} ({}, {} rows)",
                    t.label.as_deref().unwrap_or("-"),
                    t.title,
                    t.kind,
                    t.rows.len()
                )
            })
            .collect();
        let out = dir.join(format!("{stem}.p{page}.svg"));
        std::fs::write(&out, gongkai::layout::debug::page_svg(p, &notes))
            .with_context(|| format!("writing {}", out.display()))?;
        eprintln!("gongkai: {}", out.display());
    }
    Ok(())
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

/// How long a claim on a document holds without renewal (`extract --db`;
/// the heartbeat renews it every third of that while the run lives).
const CLAIM_LEASE: Duration = Duration::from_secs(120);

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
    batch: &Batch<'_>,
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
    let threads = batch.threads();
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
        // A chunk's contents are read from the store just before it is
        // extracted, so memory holds one chunk of documents.
        let mut failure = None;
        let chunks = jobs.chunks(threads).map_while(|chunk| {
            let mut docs = Vec::with_capacity(chunk.len());
            for job in chunk {
                let doc = match &job.blob {
                    Some(sha) => match runtime.block_on(queue::blob(store, sha)) {
                        Ok(bytes) => Document::bytes(job.path.clone(), bytes),
                        Err(e) => {
                            failure = Some(
                                anyhow::Error::new(e)
                                    .context(format!("reading the content of {}", job.path)),
                            );
                            return None;
                        }
                    },
                    None => Document::path(&job.path),
                };
                docs.push((job, doc));
            }
            Some(docs)
        });
        batch.run_chunks(
            chunks,
            |_| false,
            |job, records| {
                let Some(first) = records.first() else {
                    return Ok(());
                };
                for record in &records {
                    sink.put(record)?;
                }
                // The job is the input: a bundle is done with its hash when
                // any member was read, failed when none was.
                let sha = match &first.source.bundle {
                    Some(b) => Some(b.sha256.as_str()),
                    None => Some(first.source.sha256.as_str()),
                }
                .filter(|s| !s.is_empty());
                let error = if records.iter().all(|r| r.error.is_some()) {
                    first.error.as_ref().map(|e| e.message.as_str())
                } else {
                    None
                };
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
                anyhow::Ok(())
            },
        )?;
        if let Some(e) = failure {
            return Err(e);
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
