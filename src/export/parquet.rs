//! Apache Parquet through the `parquet` crate's column writer (no Arrow
//! dependency): one row group per 64 Ki lines, Snappy pages. `year`,
//! `flags` and `document_flags` are INT64; every other column is a UTF-8
//! string — `amount_yuan` and `count` too, as exact decimal text (the
//! amounts' scales vary; cast in the reader: `CAST(amount_yuan AS
//! DECIMAL(20,2))` in DuckDB, `pd.to_numeric` or `decimal.Decimal` in pandas).

use std::io::Write;
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::{ExportError, Exporter, Line, Result, COLUMNS};

/// Lines per row group.
const ROW_GROUP: usize = 65_536;

/// The Parquet schema of the export.
pub const SCHEMA: &str = "message gongkai_amount {
  OPTIONAL BYTE_ARRAY unit (UTF8);
  OPTIONAL BYTE_ARRAY region (UTF8);
  OPTIONAL INT64 year;
  OPTIONAL BYTE_ARRAY document_kind (UTF8);
  OPTIONAL BYTE_ARRAY scope (UTF8);
  REQUIRED BYTE_ARRAY table_kind (UTF8);
  OPTIONAL BYTE_ARRAY table_label (UTF8);
  OPTIONAL BYTE_ARRAY code (UTF8);
  OPTIONAL BYTE_ARRAY name (UTF8);
  OPTIONAL BYTE_ARRAY level (UTF8);
  OPTIONAL BYTE_ARRAY line (UTF8);
  OPTIONAL BYTE_ARRAY line_no (UTF8);
  OPTIONAL BYTE_ARRAY side (UTF8);
  REQUIRED BYTE_ARRAY column_key (UTF8);
  OPTIONAL BYTE_ARRAY amount_yuan (UTF8);
  OPTIONAL BYTE_ARRAY count (UTF8);
  OPTIONAL BYTE_ARRAY printed (UTF8);
  REQUIRED INT64 flags;
  REQUIRED INT64 document_flags;
  REQUIRED BYTE_ARRAY sha256 (UTF8);
  REQUIRED BYTE_ARRAY source (UTF8);
}";

/// Columns of INT64 type, by index in [`COLUMNS`].
const INT_COLUMNS: [usize; 3] = [2, 17, 18];

/// The Parquet exporter.
pub struct Parquet {
    writer: SerializedFileWriter<Box<dyn Write + Send>>,
    buffer: Vec<Line>,
}

fn err(e: parquet::errors::ParquetError) -> ExportError {
    ExportError::Format(format!("parquet: {e}"))
}

impl Parquet {
    /// Writes to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Result<Parquet> {
        let schema = Arc::new(parse_message_type(SCHEMA).map_err(err)?);
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_created_by(format!("gongkai {}", env!("CARGO_PKG_VERSION")))
                .build(),
        );
        Ok(Parquet {
            writer: SerializedFileWriter::new(out, schema, props).map_err(err)?,
            buffer: Vec::new(),
        })
    }

    fn flush_group(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let rows: Vec<[Option<String>; 21]> = self.buffer.iter().map(Line::fields).collect();
        let ints: Vec<[Option<i64>; 3]> = self
            .buffer
            .iter()
            .map(|l| [l.year, Some(l.flags), Some(l.document_flags)])
            .collect();
        let mut group = self.writer.next_row_group().map_err(err)?;
        let mut index = 0;
        while let Some(mut column) = group.next_column().map_err(err)? {
            let required = column_required(index);
            if let Some(k) = INT_COLUMNS.iter().position(|&c| c == index) {
                let values: Vec<i64> = ints.iter().filter_map(|r| r[k]).collect();
                let defs: Vec<i16> = ints.iter().map(|r| i16::from(r[k].is_some())).collect();
                column
                    .typed::<Int64Type>()
                    .write_batch(&values, (!required).then_some(&defs[..]), None)
                    .map_err(err)?;
            } else {
                let values: Vec<ByteArray> = rows
                    .iter()
                    .filter_map(|r| r.get(index).cloned().flatten())
                    .map(|s| ByteArray::from(s.into_bytes()))
                    .collect();
                let defs: Vec<i16> = rows
                    .iter()
                    .map(|r| i16::from(r.get(index).is_some_and(Option::is_some)))
                    .collect();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, (!required).then_some(&defs[..]), None)
                    .map_err(err)?;
            }
            column.close().map_err(err)?;
            index += 1;
        }
        group.close().map_err(err)?;
        self.buffer.clear();
        Ok(())
    }
}

fn column_required(index: usize) -> bool {
    matches!(
        COLUMNS.get(index).copied(),
        Some("table_kind" | "column_key" | "flags" | "document_flags" | "sha256" | "source")
    )
}

impl Exporter for Parquet {
    fn write(&mut self, line: &Line) -> Result<()> {
        self.buffer.push(line.clone());
        if self.buffer.len() >= ROW_GROUP {
            self.flush_group()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        self.flush_group()?;
        let mut inner = self.writer.into_inner().map_err(err)?;
        inner.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_lists_the_columns_in_order() {
        let t = parse_message_type(SCHEMA).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = t.get_fields().iter().map(|f| f.name()).collect();
        assert_eq!(names, COLUMNS);
        for (i, f) in t.get_fields().iter().enumerate() {
            assert_eq!(
                f.get_basic_info().repetition() == parquet::basic::Repetition::REQUIRED,
                column_required(i),
                "{}",
                f.name()
            );
        }
    }
}
