//! PDF decoding: pdf-extract with our own `OutputDev` collects glyphs and
//! ruling lines per page; `layout` turns them into blocks.

use crate::error::{Error, ErrorKind, Result};
use crate::model::Decoded;
use crate::settings::Limits;

/// Decodes a PDF held in memory.
pub fn decode(_bytes: &[u8], _limits: &Limits) -> Result<Decoded> {
    Err(Error::new(
        ErrorKind::UnsupportedFormat,
        "PDF decoding is not built yet",
    ))
}
