//! Typed errors of the library. A document that cannot be read becomes a
//! record with an [`ErrorKind`] and a message a user can act on; the batch
//! goes on.

use serde::{Deserialize, Serialize};

/// What went wrong with one document, as a stable machine-readable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read (missing, permissions, I/O).
    Io,
    /// The file is empty.
    Empty,
    /// The format is not one we decode (by content, not by name).
    UnsupportedFormat,
    /// Named or served as PDF but is not one.
    NotAPdf,
    /// The PDF ends early or its structure is broken.
    Truncated,
    /// The PDF is encrypted and cannot be opened without a password.
    Encrypted,
    /// The PDF has no text layer (a scan that needs OCR).
    NoTextLayer,
    /// Text could not be decoded into Unicode (unknown charset, CMap without mapping).
    UnsupportedEncoding,
    /// A decoder ran longer than the time limit.
    Timeout,
    /// The input is over a size or page limit.
    TooLarge,
    /// A third-party decoder failed internally (a contained panic).
    DecoderFailed,
    /// A pattern file is invalid.
    Pattern,
    /// A bundle (zip) that is not unpacked: a member named outside it
    /// (`../`), nested too deep, or too many members.
    BundleRefused,
    /// Reading the format needs a converter that is not installed (the
    /// message says which).
    ConverterMissing,
}

impl ErrorKind {
    /// The snake_case id used in records.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::Empty => "empty",
            ErrorKind::UnsupportedFormat => "unsupported_format",
            ErrorKind::NotAPdf => "not_a_pdf",
            ErrorKind::Truncated => "truncated",
            ErrorKind::Encrypted => "encrypted",
            ErrorKind::NoTextLayer => "no_text_layer",
            ErrorKind::UnsupportedEncoding => "unsupported_encoding",
            ErrorKind::Timeout => "timeout",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::DecoderFailed => "decoder_failed",
            ErrorKind::Pattern => "pattern",
            ErrorKind::BundleRefused => "bundle_refused",
            ErrorKind::ConverterMissing => "converter_missing",
        }
    }
}

/// An error of the library: a kind plus a sentence for the user.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// What happened.
    pub kind: ErrorKind,
    /// What happened, in words a user can act on.
    pub message: String,
}

impl Error {
    /// Builds an error.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }
}

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
