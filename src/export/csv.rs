//! CSV: UTF-8 (no byte-order mark), a header line, RFC 4180 quoting; an
//! empty field is null.

use std::io::Write;

use super::{ExportError, Exporter, Line, Result, COLUMNS};

/// The CSV exporter.
pub struct Csv {
    out: csv::Writer<Box<dyn Write + Send>>,
    header: bool,
}

impl Csv {
    /// Writes to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Csv {
        Csv {
            out: csv::Writer::from_writer(out),
            header: false,
        }
    }
}

fn err(e: csv::Error) -> ExportError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => ExportError::Io(io),
        other => ExportError::Format(format!("{other:?}")),
    }
}

impl Exporter for Csv {
    fn write(&mut self, line: &Line) -> Result<()> {
        if !self.header {
            self.out.write_record(COLUMNS).map_err(err)?;
            self.header = true;
        }
        let fields = line.fields();
        self.out
            .write_record(fields.iter().map(|f| f.as_deref().unwrap_or("")))
            .map_err(err)
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        if !self.header {
            self.out.write_record(COLUMNS).map_err(err)?;
        }
        self.out.flush()?;
        Ok(())
    }
}
