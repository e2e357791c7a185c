//! `gongkai report (--db STORE | --records FILE...) -o DIR`: the findings
//! report, a static HTML site (see `gongkai::report`).

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use gongkai::record::Record;
use gongkai::report::{Entry, Options, Site};

/// Arguments of `gongkai report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset store to report on: an SQLite file or a postgres:// URL.
    #[arg(
        long,
        value_name = "PATH|URL",
        required_unless_present = "records",
        conflicts_with = "records"
    )]
    db: Option<String>,
    /// JSON Lines of records (what `extract` writes) instead of a store; repeatable.
    #[arg(long, value_name = "FILE")]
    records: Vec<PathBuf>,
    /// The folder to write the site into (index.html, doc/…).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Do not draw the flagged pages of PDFs.
    #[arg(long)]
    no_pages: bool,
    /// At most this many pages drawn per document.
    #[arg(long, value_name = "N", default_value_t = 20)]
    max_drawn_pages: usize,
    /// With --db: which documents (as `export`; every version unless --versions is given).
    #[command(flatten)]
    filter: super::export::FilterArgs,
    /// Limits and isolation of the PDF decoding the drawings need.
    #[command(flatten)]
    extraction: super::options::ExtractArgs,
}

/// The file a record was read from, when it is a local file.
fn local_file(sources: &[String]) -> Option<PathBuf> {
    sources
        .iter()
        .filter(|s| !s.contains("://") && !s.contains("!/"))
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let extractor = args.extraction.extractor()?;
    let options = Options {
        pages: !args.no_pages,
        max_pages: args.max_drawn_pages,
        limits: extractor.limits().clone(),
        decode: extractor.decode_options().clone(),
    };
    let mut site = Site::new(&args.output, options)?;
    if let Some(db) = &args.db {
        let filter = args.filter.filter(gongkai::export::Versions::All)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let store = super::export::open_existing(db).await?;
            let result = gongkai::export::records(&store, &filter, |stored| {
                let record: Record = serde_json::from_str(&stored.record).map_err(|e| {
                    gongkai::export::ExportError::Format(format!("a stored record: {e}"))
                })?;
                let entry = Entry {
                    file: local_file(&stored.sources),
                    record,
                    version: stored.version,
                };
                site.add(&entry)
                    .map_err(|e| gongkai::export::ExportError::Format(e.to_string()))
            })
            .await;
            store.close().await;
            result?;
            anyhow::Ok(())
        })?;
    } else {
        for path in &args.records {
            let file =
                std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
            for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
                let line = line.with_context(|| format!("reading {}", path.display()))?;
                if line.trim().is_empty() {
                    continue;
                }
                let record: Record = serde_json::from_str(&line)
                    .with_context(|| format!("{} line {}: not a record", path.display(), i + 1))?;
                let entry = Entry {
                    file: local_file(std::slice::from_ref(&record.source.path)),
                    record,
                    version: (1, 1),
                };
                site.add(&entry)?;
            }
        }
    }
    let summary = site.finish()?;
    if summary.documents == 0 && args.db.is_none() && args.records.is_empty() {
        bail!("nothing to report");
    }
    for (source, why) in &summary.undrawn {
        eprintln!("gongkai: {source}: no page drawings: {why}");
    }
    eprintln!(
        "gongkai: report in {}: {} documents, {} flags, {} pages drawn",
        args.output.join("index.html").display(),
        summary.documents,
        summary.flags,
        summary.pages_drawn
    );
    Ok(ExitCode::SUCCESS)
}
