//! CSV: UTF-8 (a byte-order mark with `--bom`, for Excel on Chinese
//! Windows), a header line, RFC 4180 quoting; an empty field is null.
//! Decimals are written as stored (exact), never in exponent form.

use std::io::Write;

use super::{Column, ExportError, Exporter, Result, Value};

/// The CSV exporter.
pub struct Csv {
    out: csv::Writer<Box<dyn Write + Send>>,
    columns: &'static [Column],
    header: bool,
}

impl Csv {
    /// Writes rows of `columns` to `out`, after a byte-order mark when `bom`.
    pub fn new(
        mut out: Box<dyn Write + Send>,
        columns: &'static [Column],
        bom: bool,
    ) -> Result<Csv> {
        if bom {
            out.write_all("\u{feff}".as_bytes())?;
        }
        Ok(Csv {
            out: csv::Writer::from_writer(out),
            columns,
            header: false,
        })
    }

    fn header(&mut self) -> Result<()> {
        if !self.header {
            self.out
                .write_record(self.columns.iter().map(|c| c.name))
                .map_err(err)?;
            self.header = true;
        }
        Ok(())
    }
}

fn err(e: csv::Error) -> ExportError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => ExportError::Io(io),
        other => ExportError::Format(format!("{other:?}")),
    }
}

impl Exporter for Csv {
    fn write(&mut self, row: &[Value]) -> Result<()> {
        self.header()?;
        self.out
            .write_record(row.iter().map(Value::text))
            .map_err(err)
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        self.header()?;
        self.out.flush()?;
        Ok(())
    }
}
