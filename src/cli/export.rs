//! `gongkai export --db PATH --format csv|jsonl|parquet`: the dataset in the
//! long format, one line per amount.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use gongkai::export::{export, exporter, Filter, Format};
use gongkai::store::{shown, Store};

/// Arguments of `gongkai export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset store: an SQLite file or a postgres:// URL.
    #[arg(long, value_name = "PATH|URL")]
    db: String,
    /// Output format.
    #[arg(long, value_enum)]
    format: Format,
    /// Write here instead of stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Only documents of this fiscal year.
    #[arg(long)]
    year: Option<i64>,
    /// Only documents of this kind: final_account or budget.
    #[arg(long)]
    kind: Option<String>,
    /// Only units whose name contains this text.
    #[arg(long)]
    unit: Option<String>,
    /// Only documents whose record's read verdict is this: complete (the
    /// whole document was read), partial, not_a_disclosure or failed.
    #[arg(long, value_name = "VERDICT")]
    read: Option<String>,
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    if let Some(k) = &args.kind {
        if !matches!(k.as_str(), "final_account" | "budget") {
            bail!("--kind {k:?}: use final_account or budget");
        }
    }
    if let Some(v) = &args.read {
        if !matches!(
            v.as_str(),
            "complete" | "partial" | "not_a_disclosure" | "failed"
        ) {
            bail!("--read {v:?}: use complete, partial, not_a_disclosure or failed");
        }
    }
    let db = args.db.clone();
    if !db.contains("://") && !db.starts_with("sqlite:") && !std::path::Path::new(&db).exists() {
        bail!("{db}: no such store");
    }
    let out: Box<dyn Write + Send> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout())),
    };
    let filter = Filter {
        year: args.year,
        kind: args.kind.clone(),
        unit: args.unit.clone(),
        read: args.read.clone(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = Store::open(&db)
            .await
            .with_context(|| format!("opening the store {}", shown(&db)))?;
        let mut ex = exporter(args.format, out)?;
        let n = export(&store, &filter, ex.as_mut()).await?;
        ex.finish()?;
        store.close().await;
        eprintln!("gongkai: exported {n} amounts");
        Ok(ExitCode::SUCCESS)
    })
}
