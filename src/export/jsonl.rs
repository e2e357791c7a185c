//! JSON Lines: one object per amount, keys as the CSV header, nulls kept.

use std::io::{BufWriter, Write};

use super::{ExportError, Exporter, Line, Result};

/// The JSON Lines exporter.
pub struct Jsonl {
    out: BufWriter<Box<dyn Write + Send>>,
}

impl Jsonl {
    /// Writes to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Jsonl {
        Jsonl {
            out: BufWriter::new(out),
        }
    }
}

impl Exporter for Jsonl {
    fn write(&mut self, line: &Line) -> Result<()> {
        serde_json::to_writer(&mut self.out, line)
            .map_err(|e| ExportError::Format(e.to_string()))?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        self.out.flush()?;
        Ok(())
    }
}
