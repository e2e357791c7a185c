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

/// Limits applied to each document.
#[derive(Debug, Clone)]
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
    /// streams of a PDF inflated, all members of an .xlsx uncompressed.
    pub max_decoded_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: DEFAULT_TIMEOUT,
            max_bytes: DEFAULT_MAX_BYTES,
            max_pages: DEFAULT_MAX_PAGES,
            max_objects: DEFAULT_MAX_OBJECTS,
            max_decoded_bytes: DEFAULT_MAX_DECODED_BYTES,
        }
    }
}

/// Where pdf-extract runs (see [`crate::decode::pdf::worker`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PdfIsolation {
    /// In a thread of the calling process: panics are caught, but a runaway
    /// decoder can only be abandoned, not killed (the library default).
    #[default]
    Thread,
    /// In a child process running this executable, which must call
    /// [`crate::decode::pdf::worker::serve`] when its first argument is
    /// [`crate::decode::pdf::worker::WORKER_ARG`] (the `gongkai` binary
    /// does): killed past the time limit, a crash costs one document.
    Process(std::path::PathBuf),
}

/// The name under which the pdftotext fallback is looked up by default.
pub const DEFAULT_PDFTOTEXT: &str = "pdftotext";

/// How PDFs are decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfOptions {
    /// Where pdf-extract runs.
    pub isolation: PdfIsolation,
    /// The `pdftotext` executable of the fallback engine (poppler), a name
    /// looked up in `PATH` or a path; `None` disables the fallback.
    pub pdftotext: Option<std::path::PathBuf>,
}

impl Default for PdfOptions {
    fn default() -> Self {
        PdfOptions {
            isolation: PdfIsolation::Thread,
            pdftotext: Some(DEFAULT_PDFTOTEXT.into()),
        }
    }
}
