//! `gongkai extract PATH...`: files or directories (recursive) to JSON Lines.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use gongkai::extract::extract_path;
use gongkai::recognize::PatternSet;
use gongkai::settings::Limits;

/// Arguments of `gongkai extract`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories (searched recursively for .pdf, .html, .htm, .xls, .xlsx, .txt).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Write the records here instead of stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Indented JSON instead of one record per line.
    #[arg(long)]
    pretty: bool,
    /// Seconds one document may take to decode.
    #[arg(long, default_value_t = gongkai::settings::DEFAULT_TIMEOUT.as_secs())]
    timeout: u64,
    /// Largest input file in bytes.
    #[arg(long, default_value_t = gongkai::settings::DEFAULT_MAX_BYTES)]
    max_bytes: u64,
    /// Worker threads (default: one per core).
    #[arg(short, long)]
    jobs: Option<usize>,
}

const EXTENSIONS: &[&str] = &["pdf", "html", "htm", "xls", "xlsx", "txt"];

/// Expands the arguments into a sorted list of files.
fn inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
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
    let files = inputs(&args.paths)?;
    let patterns = PatternSet::bundled().context("loading the bundled patterns")?;
    let limits = Limits {
        timeout: Duration::from_secs(args.timeout),
        max_bytes: args.max_bytes,
        ..Limits::default()
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout())),
    };
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} documents {per_sec} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("starting worker threads")?;
    let mut failed = 0usize;
    // Documents run in parallel in chunks; output keeps input order and
    // memory stays bounded by the chunk.
    let chunk = pool.current_num_threads().max(1) * 4;
    for batch in files.chunks(chunk) {
        let records: Vec<_> = pool.install(|| {
            batch
                .par_iter()
                .map(|f| {
                    let r = extract_path(f, &patterns, &limits);
                    bar.inc(1);
                    r
                })
                .collect()
        });
        for record in records {
            if record.error.is_some() {
                failed += 1;
            }
            if args.pretty {
                serde_json::to_writer_pretty(&mut out, &record)?;
            } else {
                serde_json::to_writer(&mut out, &record)?;
            }
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    bar.finish_and_clear();
    Ok(if failed > 0 {
        ExitCode::from(super::EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}
