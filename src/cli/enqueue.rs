//! `gongkai enqueue --db URL PATH...`: adds documents to the store's shared
//! work queue, for `gongkai extract --db URL --queue` workers. The content
//! goes into the database with each job, so workers on other machines need
//! only the database URL.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

use gongkai::store::{queue, shown, Store};

use super::extract::Input;

/// Arguments of `gongkai enqueue`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories (searched recursively like `extract`); each
    /// file's content is stored in the database, its absolute path recorded
    /// as the document's source.
    #[arg(required_unless_present = "retry_failed")]
    paths: Vec<PathBuf>,
    /// The dataset store: an SQLite file or a postgres:// URL.
    #[arg(long, value_name = "PATH|URL")]
    db: String,
    /// Files larger than this many bytes are left out (with a warning).
    #[arg(long, default_value_t = gongkai::settings::DEFAULT_MAX_BYTES)]
    max_bytes: u64,
    /// Put failed jobs back in the queue.
    #[arg(long)]
    retry_failed: bool,
}

/// Bytes of documents sent to the database in one transaction.
const BATCH_BYTES: usize = 64 << 20;

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let files = super::extract::inputs(&args.paths);
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
        let mut added = 0;
        let mut left_out = 0;
        // Documents go to the database in transactions of at most
        // BATCH_BYTES (or one document, when it is larger).
        let mut docs: Vec<(String, Vec<u8>)> = Vec::new();
        let mut held = 0usize;
        for (i, input) in files.iter().enumerate() {
            let (f, read) = match input {
                Input::File(f) => (
                    f,
                    gongkai::extractor::read_input(f, args.max_bytes).map_err(|(e, _)| e.to_string()),
                ),
                Input::Unlisted(p, why) => (p, Err(why.clone())),
            };
            let path = std::path::absolute(f).unwrap_or_else(|_| f.clone());
            let shown = path.to_string_lossy().into_owned();
            match read {
                Ok(bytes) => {
                    held += bytes.len();
                    docs.push((shown, bytes));
                }
                Err(e) => {
                    eprintln!("gongkai: {shown}: {e}; left out");
                    left_out += 1;
                }
            }
            if held >= BATCH_BYTES || docs.len() >= 64 || i + 1 == files.len() {
                added += queue::enqueue(&store, &docs).await?;
                docs.clear();
                held = 0;
            }
        }
        let states = queue::states(&store).await?;
        store.close().await;
        eprintln!(
            "gongkai: {added} of {} documents queued (new, or their content changed; {left_out} left out); queue: {}",
            files.len(),
            states
                .iter()
                .map(|(s, n)| format!("{n} {s}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(if left_out > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    })
}
