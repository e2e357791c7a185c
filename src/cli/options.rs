//! Flags shared by the commands that extract: the pattern set, the limits
//! per document, how PDFs are decoded, the worker threads.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use gongkai::settings::{self, Limits, PdfIsolation, PdfOptions};
use gongkai::{Extractor, Patterns};

/// `--patterns DIR`.
#[derive(Debug, Clone, clap::Args)]
pub struct PatternArgs {
    /// A folder of pattern files used instead of the bundled set (start from
    /// `gongkai patterns export DIR`; check it with `gongkai patterns check DIR`).
    #[arg(long, value_name = "DIR")]
    pub patterns: Option<PathBuf>,
}

impl PatternArgs {
    /// The pattern set: the folder given, or the bundled one.
    pub fn load(&self) -> Result<Patterns> {
        load(self.patterns.as_deref())
    }
}

/// The pattern set in `dir`, or the bundled one.
pub fn load(dir: Option<&Path>) -> Result<Patterns> {
    match dir {
        Some(dir) => Patterns::from_dir(dir)
            .with_context(|| format!("loading the patterns in {}", dir.display())),
        None => Patterns::bundled().context("loading the bundled patterns"),
    }
}

/// Where pdf-extract runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Isolation {
    /// A child process per PDF, killed past --timeout; a crash costs one document.
    Process,
    /// A thread of this process: cheaper, but a runaway decoder cannot be killed.
    Thread,
}

/// Everything `extract` takes to build its extractor.
#[derive(Debug, Clone, clap::Args)]
pub struct ExtractArgs {
    #[command(flatten)]
    pub patterns: PatternArgs,
    /// Seconds one document may take to decode.
    #[arg(long, value_name = "SECS", default_value_t = settings::DEFAULT_TIMEOUT.as_secs())]
    pub timeout: u64,
    /// Largest input file in bytes.
    #[arg(long, value_name = "N", default_value_t = settings::DEFAULT_MAX_BYTES)]
    pub max_bytes: u64,
    /// Largest number of pages of a PDF.
    #[arg(long, value_name = "N", default_value_t = settings::DEFAULT_MAX_PAGES)]
    pub max_pages: u32,
    /// Largest number of objects of a PDF.
    #[arg(long, value_name = "N", default_value_t = settings::DEFAULT_MAX_OBJECTS)]
    pub max_objects: u64,
    /// Largest decoded size in bytes: a PDF's Flate streams inflated, an .xlsx uncompressed.
    #[arg(long, value_name = "N", default_value_t = settings::DEFAULT_MAX_DECODED_BYTES)]
    pub max_decoded_bytes: u64,
    /// Where pdf-extract runs.
    #[arg(long, value_enum, value_name = "MODE", default_value = "process")]
    pub pdf_isolation: Isolation,
    /// The pdftotext executable of the fallback for PDFs pdf-extract cannot read.
    #[arg(long, value_name = "PATH", default_value = settings::DEFAULT_PDFTOTEXT)]
    pub pdftotext: PathBuf,
    /// No pdftotext fallback.
    #[arg(long, conflicts_with = "pdftotext")]
    pub no_pdftotext: bool,
    /// Worker threads (default: one per core).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
}

impl ExtractArgs {
    /// The extractor these flags describe.
    pub fn extractor(&self) -> Result<Extractor> {
        let limits = Limits {
            timeout: Duration::from_secs(self.timeout),
            max_bytes: self.max_bytes,
            max_pages: self.max_pages,
            max_objects: self.max_objects,
            max_decoded_bytes: self.max_decoded_bytes,
        };
        let pdf = PdfOptions {
            isolation: isolation(self.pdf_isolation),
            pdftotext: (!self.no_pdftotext).then(|| self.pdftotext.clone()),
        };
        Ok(Extractor::new(self.patterns.load()?)
            .with_limits(limits)
            .with_pdf(pdf))
    }
}

/// PDFs in child processes running this executable, where a runaway loop
/// can be killed and a crash costs one document; threads when asked, or
/// when the executable cannot be found.
pub fn isolation(mode: Isolation) -> PdfIsolation {
    match (mode, std::env::current_exe()) {
        (Isolation::Process, Ok(exe)) => PdfIsolation::Process(exe),
        _ => PdfIsolation::Thread,
    }
}
