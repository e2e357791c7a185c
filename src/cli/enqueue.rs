//! `gongkai enqueue --db URL PATH...`: adds document paths to the store's
//! shared work queue, for `gongkai extract --db URL --queue` workers.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use gongkai::store::{queue, shown, Store};

/// Arguments of `gongkai enqueue`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories (searched recursively like `extract`); stored as
    /// absolute paths, which every worker must be able to read.
    #[arg(required_unless_present = "retry_failed")]
    paths: Vec<PathBuf>,
    /// The dataset store: an SQLite file or a postgres:// URL.
    #[arg(long, value_name = "PATH|URL")]
    db: String,
    /// Put failed jobs back in the queue.
    #[arg(long)]
    retry_failed: bool,
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let files = super::extract::inputs(&args.paths)?;
    let paths: Vec<String> = files
        .iter()
        .map(|f| {
            std::path::absolute(f)
                .unwrap_or_else(|_| f.clone())
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = Store::open(&args.db)
            .await
            .with_context(|| format!("opening the store {}", shown(&args.db)))?;
        if args.retry_failed {
            let n = queue::requeue(&store, false).await?;
            eprintln!("gongkai: {n} failed jobs queued again");
        }
        let added = queue::enqueue(&store, &paths).await?;
        let states = queue::states(&store).await?;
        store.close().await;
        eprintln!(
            "gongkai: {added} of {} paths added; queue: {}",
            paths.len(),
            states
                .iter()
                .map(|(s, n)| format!("{n} {s}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(ExitCode::SUCCESS)
    })
}
