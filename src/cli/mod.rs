//! Command-line interface: one file per subcommand.

mod completions;
mod crawl;
mod documents;
mod enqueue;
mod events;
mod export;
mod extract;
mod options;
mod patterns;
mod report;
mod schema;
mod sink;
mod stats;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Turns Chinese budget and final-account disclosures into checked, normalized records.
#[derive(Debug, Parser)]
#[command(name = "gongkai", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read disclosure files (PDF, HTML, Word, Excel, OFD, text, zip bundles) into JSON records, one per document.
    Extract(extract::Args),
    /// Print the JSON Schema of the records `extract` writes.
    Schema(schema::Args),
    /// Download disclosure documents from portals, politely and incrementally; JSON events on stdout.
    Crawl(crawl::Args),
    /// Read a crawl's recorded events back (JSON Lines), since a time or of one run.
    Events(events::Args),
    /// Write a dataset store out, typed, as CSV, JSON Lines or Parquet: amounts, documents, flags or facts.
    Export(export::Args),
    /// List the documents a dataset store holds (disclosure, version, verdict, flags), filtered.
    Documents(documents::Args),
    /// Write the findings report: a static HTML site of documents, tables and flags.
    Report(report::Args),
    /// Report what a dataset store holds: documents, tables found vs expected, flags.
    Stats(stats::Args),
    /// Add document paths to a dataset store's work queue (for `extract --queue` workers).
    Enqueue(enqueue::Args),
    /// Check a folder of pattern files, or write the bundled set out as a starting point.
    Patterns(patterns::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::Args),
}

/// Exit code when some input could not be read.
pub const EXIT_SOME_FAILED: u8 = 1;
/// Exit code for usage errors.
pub const EXIT_USAGE: u8 = 2;

pub fn main() -> ExitCode {
    // Arguments need not be UTF-8 (file names): only the worker's are read here.
    if std::env::args_os().nth(1).as_deref()
        == Some(std::ffi::OsStr::new(gongkai::decode::isolate::WORKER_ARG))
    {
        let args: Vec<String> = std::env::args_os()
            .skip(2)
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        return gongkai::decode::isolate::serve(&args);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // Third-party parsers (lopdf, pdf-extract) log every oddity of a
    // malformed file; a record's warnings carry what matters.
    let level = match cli.verbose {
        0 => "warn,lopdf=error,pdf_extract=error",
        1 => "info,lopdf=error,pdf_extract=error",
        _ => "debug",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let result = match cli.command {
        Command::Extract(args) => extract::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Crawl(args) => crawl::run(args),
        Command::Events(args) => events::run(args),
        Command::Export(args) => export::run(args),
        Command::Documents(args) => documents::run(args),
        Command::Report(args) => report::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Enqueue(args) => enqueue::run(args),
        Command::Patterns(args) => patterns::run(args),
        Command::Completions(args) => completions::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("gongkai: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// A closed stdout (`gongkai extract | head`): the reader has what it
/// wanted, which is success (as ripgrep treats it). The I/O error may come
/// wrapped in a JSON or CSV writer's error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(BrokenPipe))
            || c.downcast_ref::<csv::Error>().is_some_and(
                |e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe),
            )
    })
}
