//! Recognition: finds each table in the block stream by the patterns in
//! `patterns/` and reads it into rows.

pub mod pattern;

pub use pattern::PatternSet;

use crate::model::Decoded;
use crate::record::{DocumentMeta, Table};

/// Finds the document's metadata and every table in a decoded document.
pub fn recognize(_decoded: &Decoded, _patterns: &PatternSet) -> (DocumentMeta, Vec<Table>) {
    (DocumentMeta::default(), Vec::new())
}
