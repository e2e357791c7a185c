//! One document from bytes to a [`Record`]: decode, recognize, normalize.
//! Never panics on input: every failure becomes the record's `error`.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::check;
use crate::decode;
use crate::error::{Error, ErrorKind};
use crate::narrative;
use crate::recognize::{self, PatternSet};
use crate::record::{DocumentMeta, Record, RecordError, Source};
use crate::settings::Limits;

/// Reads and extracts one file.
pub fn extract_path(path: &Path, patterns: &PatternSet, limits: &Limits) -> Record {
    let shown = path.display().to_string();
    if let Ok(m) = std::fs::metadata(path) {
        if m.len() > limits.max_bytes {
            return too_large(&shown, m.len(), limits);
        }
    }
    match std::fs::read(path) {
        Ok(bytes) => extract_bytes(&bytes, &shown, None, patterns, limits),
        Err(e) => failed(
            &shown,
            &[],
            0,
            Error::new(ErrorKind::Io, format!("cannot read {shown}: {e}")),
        ),
    }
}

/// Extracts one document held in memory. `name` is its path or URL; `charset`
/// an HTTP charset when known.
pub fn extract_bytes(
    bytes: &[u8],
    name: &str,
    charset: Option<&str>,
    patterns: &PatternSet,
    limits: &Limits,
) -> Record {
    if bytes.len() as u64 > limits.max_bytes {
        return too_large(name, bytes.len() as u64, limits);
    }
    let decoded = match decode::decode(bytes, name, charset, limits) {
        Ok(d) => d,
        Err(e) => return failed(name, bytes, bytes.len() as u64, e),
    };
    let (document, tables) = recognize::recognize(&decoded, patterns);
    let narrative = narrative::facts(&decoded.blocks, &patterns.narrative);
    let mut record = Record {
        source: Source {
            path: name.to_string(),
            sha256: sha256_hex(bytes),
            bytes: bytes.len() as u64,
            format: Some(decoded.format),
            engine: Some(decoded.engine.clone()),
            pages: Some(decoded.pages),
            warnings: decoded.warnings.clone(),
        },
        document,
        tables,
        narrative,
        flags: Vec::new(),
        error: None,
    };
    record.flags = check::run(&record, &patterns.checks, patterns);
    record
}

/// The record of a document over `limits.max_bytes` (not read, not hashed).
fn too_large(name: &str, len: u64, limits: &Limits) -> Record {
    failed(
        name,
        &[],
        len,
        Error::new(
            ErrorKind::TooLarge,
            format!(
                "the file has {len} bytes, over the limit of {}",
                limits.max_bytes
            ),
        ),
    )
}

fn failed(name: &str, bytes: &[u8], len: u64, e: Error) -> Record {
    Record {
        source: Source {
            path: name.to_string(),
            sha256: if bytes.is_empty() && len > 0 {
                String::new()
            } else {
                sha256_hex(bytes)
            },
            bytes: len,
            format: None,
            engine: None,
            pages: None,
            warnings: Vec::new(),
        },
        document: DocumentMeta::default(),
        tables: Vec::new(),
        narrative: Vec::new(),
        flags: Vec::new(),
        error: Some(RecordError {
            kind: e.kind,
            message: e.message,
        }),
    }
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
