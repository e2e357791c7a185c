//! JSON Lines: one object per row, keys as the CSV header, nulls kept;
//! decimals as strings (exact), integers as numbers.

use std::io::{BufWriter, Write};

use super::{Column, ExportError, Exporter, Result, Value};

/// The JSON Lines exporter.
pub struct Jsonl {
    out: BufWriter<Box<dyn Write + Send>>,
    columns: &'static [Column],
}

impl Jsonl {
    /// Writes rows of `columns` to `out`.
    pub fn new(out: Box<dyn Write + Send>, columns: &'static [Column]) -> Jsonl {
        Jsonl {
            out: BufWriter::new(out),
            columns,
        }
    }
}

impl Exporter for Jsonl {
    fn write(&mut self, row: &[Value]) -> Result<()> {
        // Keys in column order (a JSON map would sort them).
        self.out.write_all(b"{")?;
        for (i, (c, v)) in self.columns.iter().zip(row).enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            serde_json::to_writer(&mut self.out, c.name)
                .and_then(|()| self.out.write_all(b":").map_err(serde_json::Error::io))
                .and_then(|()| serde_json::to_writer(&mut self.out, &v.json()))
                .map_err(|e| ExportError::Format(e.to_string()))?;
        }
        self.out.write_all(b"}\n")?;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        self.out.flush()?;
        Ok(())
    }
}
