//! `gongkai export --db PATH --format csv|jsonl|parquet [--what DATASET]`:
//! the dataset typed, one row per amount (or per document, flag or
//! narrative fact), each disclosure once by default.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use gongkai::export::{export, exporter, Dataset, Filter, Format, Options, Versions};
use gongkai::store::Store;

/// Which documents: the filters `export` and `documents` share.
#[derive(Debug, Clone, clap::Args)]
pub struct FilterArgs {
    /// Only documents of this fiscal year.
    #[arg(long)]
    year: Option<i64>,
    /// Only documents of this kind: final_account or budget.
    #[arg(long)]
    kind: Option<String>,
    /// Only units whose name (as printed or as spelled one way) contains this text.
    #[arg(long)]
    unit: Option<String>,
    /// Only documents whose region, province, city or county contains this
    /// text, or whose division code starts with it (14, 1404, 140400).
    #[arg(long)]
    region: Option<String>,
    /// Only documents whose record's read verdict is this: complete (the
    /// whole document was read), partial, not_a_disclosure or failed.
    #[arg(long, value_name = "VERDICT")]
    read: Option<String>,
    /// Only documents that failed with this error kind (`any`: every failed one).
    #[arg(long, value_name = "KIND")]
    error: Option<String>,
    /// Which versions of a disclosure published in several files: best
    /// (the most complete), latest (first seen most recently) or all
    /// [default: best for export, all for documents and report].
    #[arg(long, value_enum)]
    versions: Option<Versions>,
}

impl FilterArgs {
    /// The checked filter; `versions` when `--versions` is not given.
    pub fn filter(&self, versions: Versions) -> Result<Filter> {
        if let Some(k) = &self.kind {
            if !matches!(k.as_str(), "final_account" | "budget") {
                bail!("--kind {k:?}: use final_account or budget");
            }
        }
        if let Some(v) = &self.read {
            if !matches!(
                v.as_str(),
                "complete" | "partial" | "not_a_disclosure" | "failed"
            ) {
                bail!("--read {v:?}: use complete, partial, not_a_disclosure or failed");
            }
        }
        Ok(Filter {
            year: self.year,
            kind: self.kind.clone(),
            unit: self.unit.clone(),
            read: self.read.clone(),
            region: self.region.clone(),
            error: self.error.clone(),
            versions: self.versions.unwrap_or(versions),
        })
    }
}

/// Arguments of `gongkai export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset store: an SQLite file or a postgres:// URL.
    #[arg(long, value_name = "PATH|URL")]
    db: String,
    /// Output format.
    #[arg(long, value_enum)]
    format: Format,
    /// What to export: amounts (the long format), documents, flags or facts.
    #[arg(long, value_enum, default_value_t = Dataset::Amounts)]
    what: Dataset,
    /// Start a CSV with a UTF-8 byte-order mark (for Excel on Chinese Windows).
    #[arg(long)]
    bom: bool,
    /// Write here instead of stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    filter: FilterArgs,
}

/// Opens an existing store for reading (never created, never a database
/// that is not a store).
pub async fn open_existing(db: &str) -> Result<Store> {
    Ok(Store::open_existing(db).await?)
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let filter = args.filter.filter(Versions::Best)?;
    if args.bom && args.format != Format::Csv {
        bail!("--bom is for --format csv");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = open_existing(&args.db).await?;
        let out: Box<dyn Write + Send> = match &args.output {
            Some(path) => Box::new(BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?,
            )),
            None => Box::new(BufWriter::new(std::io::stdout())),
        };
        let options = Options { bom: args.bom };
        let mut ex = exporter(args.format, args.what.columns(), options, out)?;
        let n = export(&store, args.what, &filter, ex.as_mut()).await?;
        ex.finish()?;
        store.close().await;
        eprintln!("gongkai: exported {n} {}", args.what.name());
        Ok(ExitCode::SUCCESS)
    })
}
