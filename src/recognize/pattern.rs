//! The pattern schema and loader.

use crate::error::Result;

/// Every table pattern, compiled once.
#[derive(Debug, Default)]
pub struct PatternSet {}

impl PatternSet {
    /// The patterns bundled into the binary from `patterns/`.
    pub fn bundled() -> Result<PatternSet> {
        Ok(PatternSet {})
    }
}
