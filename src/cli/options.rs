//! Flags shared by the commands that extract: the pattern set, the limits
//! per document, how PDFs are decoded, the worker threads.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use gongkai::settings::{self, DecodeOptions, Isolation, Limits};
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

/// Where documents are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IsolationMode {
    /// A child process per document, limited to --max-memory, killed past --timeout and
    /// when this process dies; a crash costs one document.
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
    /// Largest decoded size in bytes: a PDF's Flate streams inflated, an .xlsx or .docx
    /// uncompressed, a zip bundle's members unpacked (nested bundles included).
    #[arg(long, value_name = "N", default_value_t = settings::DEFAULT_MAX_DECODED_BYTES)]
    pub max_decoded_bytes: u64,
    /// Largest number of cells of one sheet, or of one HTML table with its spans expanded.
    #[arg(long, value_name = "N", default_value_t = settings::DEFAULT_MAX_CELLS)]
    pub max_cells: u64,
    /// Largest number of content-stream operators of one PDF page (a page over it is not read).
    #[arg(long, value_name = "N", default_value_t = settings::DEFAULT_MAX_PAGE_OPERATORS)]
    pub max_page_operators: u64,
    /// Largest number of glyphs of one PDF page (a page over it is not read).
    #[arg(long, value_name = "N", default_value_t = settings::DEFAULT_MAX_PAGE_GLYPHS)]
    pub max_page_glyphs: u64,
    /// Largest number of nodes (tags) of an HTML page.
    #[arg(long, value_name = "N", default_value_t = settings::DEFAULT_MAX_HTML_NODES)]
    pub max_html_nodes: u64,
    /// Memory one document's decoder may use, in bytes (the worker process's address space).
    #[arg(long, value_name = "N", default_value_t = settings::DEFAULT_MAX_MEMORY)]
    pub max_memory: u64,
    /// Where documents are decoded.
    #[arg(
        long,
        alias = "pdf-isolation",
        value_enum,
        value_name = "MODE",
        default_value = "process"
    )]
    pub isolation: IsolationMode,
    /// The pdftotext executable of the fallback for PDFs pdf-extract cannot read.
    #[arg(long, value_name = "PATH", default_value = settings::DEFAULT_PDFTOTEXT)]
    pub pdftotext: PathBuf,
    /// No pdftotext fallback.
    #[arg(long, conflicts_with = "pdftotext")]
    pub no_pdftotext: bool,
    /// The LibreOffice executable that converts legacy .doc/.wps/.et files.
    #[arg(long, value_name = "PATH", default_value = settings::DEFAULT_SOFFICE)]
    pub soffice: PathBuf,
    /// No LibreOffice conversion (legacy binary files get `converter_missing`).
    #[arg(long, conflicts_with = "soffice")]
    pub no_soffice: bool,
    /// Worker threads (default: one per core).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Findings reviewed and accepted: a file of flag ids, one per line
    /// (anything after the id, and lines starting with #, are notes). Their
    /// flags are marked `"accepted": true` and left out of the summary's
    /// count of new findings.
    #[arg(long, value_name = "FILE")]
    pub accept: Option<PathBuf>,
}

/// The flag ids of an `--accept` file (empty without one): one per line,
/// anything after the id and lines starting with # are notes.
pub fn accepted(path: Option<&std::path::Path>) -> Result<std::collections::HashSet<String>> {
    let Some(path) = path else {
        return Ok(Default::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading --accept {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect())
}

impl ExtractArgs {
    /// The flag ids of `--accept` (empty without it).
    pub fn accepted(&self) -> Result<std::collections::HashSet<String>> {
        accepted(self.accept.as_deref())
    }

    /// The extractor these flags describe.
    pub fn extractor(&self) -> Result<Extractor> {
        let limits = Limits {
            timeout: Duration::from_secs(self.timeout),
            max_bytes: self.max_bytes,
            max_pages: self.max_pages,
            max_objects: self.max_objects,
            max_decoded_bytes: self.max_decoded_bytes,
            max_memory: self.max_memory,
            max_cells: self.max_cells,
            max_page_operators: self.max_page_operators,
            max_page_glyphs: self.max_page_glyphs,
            max_html_nodes: self.max_html_nodes,
        };
        let decode = DecodeOptions {
            isolation: isolation(self.isolation),
            pdftotext: (!self.no_pdftotext).then(|| self.pdftotext.clone()),
            soffice: (!self.no_soffice).then(|| self.soffice.clone()),
        };
        Ok(Extractor::new(self.patterns.load()?)
            .with_limits(limits)
            .with_decode(decode))
    }
}

/// Decoders in child processes running this executable, where a runaway
/// loop can be killed, memory is limited and a crash costs one document;
/// threads when asked, or when the executable cannot be found.
pub fn isolation(mode: IsolationMode) -> Isolation {
    match (mode, std::env::current_exe()) {
        (IsolationMode::Process, Ok(exe)) => Isolation::Process(exe),
        _ => Isolation::Thread,
    }
}
