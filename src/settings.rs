//! Every tunable of extraction, with its named default.

use std::time::Duration;

/// Default time one document may take to decode.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default largest input file, in bytes.
pub const DEFAULT_MAX_BYTES: u64 = 200 * 1024 * 1024;
/// Default largest page count.
pub const DEFAULT_MAX_PAGES: u32 = 2000;
/// Default largest number of PDF objects.
pub const DEFAULT_MAX_OBJECTS: u64 = 1_000_000;
/// Default largest decoded size: the sum of the inflated PDF streams, or of
/// the uncompressed members of an .xlsx.
pub const DEFAULT_MAX_DECODED_BYTES: u64 = 1024 * 1024 * 1024;
/// Default memory one document's decoder may use (the worker process's
/// address space).
pub const DEFAULT_MAX_MEMORY: u64 = 2 * 1024 * 1024 * 1024;
/// Default largest number of cells of one sheet's used range, or of one HTML
/// table with its row and column spans expanded.
pub const DEFAULT_MAX_CELLS: u64 = 2_000_000;
/// Default largest number of content-stream operators on one PDF page
/// (dense table pages have tens of thousands; parsing one takes about 800
/// bytes an operator).
pub const DEFAULT_MAX_PAGE_OPERATORS: u64 = 1_000_000;
/// Default largest number of glyphs on one PDF page (a dense page of small
/// print has about ten thousand).
pub const DEFAULT_MAX_PAGE_GLYPHS: u64 = 500_000;
/// Default largest number of nodes of an HTML page (elements, text, comments).
pub const DEFAULT_MAX_HTML_NODES: u64 = 2_000_000;

/// Limits applied to each document.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Wall-clock time one document may take to decode.
    pub timeout: Duration,
    /// Largest input size in bytes.
    pub max_bytes: u64,
    /// Largest number of pages decoded.
    pub max_pages: u32,
    /// Largest number of objects in a PDF.
    pub max_objects: u64,
    /// Largest decoded size in bytes (decompression-bomb guard): all Flate
    /// streams of a PDF inflated, all members of an .xlsx uncompressed, all
    /// members of a zip bundle unpacked (nested bundles included).
    pub max_decoded_bytes: u64,
    /// Memory one document's decoder may use, in bytes: the address-space
    /// limit of the worker process (enforced under
    /// [`Isolation::Process`] only; a thread cannot be limited).
    pub max_memory: u64,
    /// Largest number of cells of one sheet's used range or of one HTML
    /// table with its spans expanded (checked before the grid is built).
    pub max_cells: u64,
    /// Largest number of content-stream operators on one PDF page (counted
    /// before the page is parsed); a page over it is not read, and says so.
    pub max_page_operators: u64,
    /// Largest number of glyphs kept from one PDF page; a page over it is
    /// not read, and says so.
    pub max_page_glyphs: u64,
    /// Largest number of nodes of an HTML page.
    pub max_html_nodes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: DEFAULT_TIMEOUT,
            max_bytes: DEFAULT_MAX_BYTES,
            max_pages: DEFAULT_MAX_PAGES,
            max_objects: DEFAULT_MAX_OBJECTS,
            max_decoded_bytes: DEFAULT_MAX_DECODED_BYTES,
            max_memory: DEFAULT_MAX_MEMORY,
            max_cells: DEFAULT_MAX_CELLS,
            max_page_operators: DEFAULT_MAX_PAGE_OPERATORS,
            max_page_glyphs: DEFAULT_MAX_PAGE_GLYPHS,
            max_html_nodes: DEFAULT_MAX_HTML_NODES,
        }
    }
}

/// Where a document is decoded (see [`crate::decode::isolate`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Isolation {
    /// In the calling process: panics are caught and a PDF decoder past the
    /// time limit is abandoned, but an abort, a stack overflow or runaway
    /// memory takes the process down (the library default).
    #[default]
    Thread,
    /// In a child process running this executable, which must call
    /// [`crate::decode::isolate::serve`] when its first argument is
    /// [`crate::decode::isolate::WORKER_ARG`] (the `gongkai` binary does):
    /// limited to [`Limits::max_memory`], killed past the time limit, dying
    /// with its parent; a crash costs one document.
    Process(std::path::PathBuf),
}

/// The name under which the pdftotext fallback is looked up by default.
pub const DEFAULT_PDFTOTEXT: &str = "pdftotext";

/// The name under which LibreOffice, the converter of legacy binary office
/// files, is looked up by default.
pub const DEFAULT_SOFFICE: &str = "soffice";

/// How documents are decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Where decoders run.
    pub isolation: Isolation,
    /// The `pdftotext` executable of the PDF fallback engine (poppler), a
    /// name looked up in `PATH` or a path; `None` disables the fallback.
    pub pdftotext: Option<std::path::PathBuf>,
    /// The LibreOffice executable that converts .doc/.wps/.et (and .xls
    /// files calamine cannot open), a name looked up in `PATH` or a path;
    /// `None` disables it.
    pub soffice: Option<std::path::PathBuf>,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            isolation: Isolation::Thread,
            pdftotext: Some(DEFAULT_PDFTOTEXT.into()),
            soffice: Some(DEFAULT_SOFFICE.into()),
        }
    }
}
