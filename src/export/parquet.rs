//! Apache Parquet through the `parquet` crate's column writer (no Arrow
//! dependency): one row group per 64 Ki rows, Snappy pages, typed columns.
//! Text is `BYTE_ARRAY (UTF8)`, integers `INT32`/`INT64`, and decimals
//! (`amount_yuan`) `FIXED_LEN_BYTE_ARRAY(16)` annotated `DECIMAL(38, 6)`:
//! exact, and read as a decimal by DuckDB, pyarrow, pandas and Spark without
//! a cast (see [`super::DECIMAL_SCALE`] for why that precision and scale).

use std::io::Write;
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{
    ByteArray, ByteArrayType, FixedLenByteArray, FixedLenByteArrayType, Int32Type, Int64Type,
};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use rust_decimal::Decimal;

use super::{Column, ExportError, Exporter, Result, Type, Value, DECIMAL_PRECISION, DECIMAL_SCALE};

/// Rows per row group.
const ROW_GROUP: usize = 65_536;

/// The Parquet schema of rows of `columns`.
pub fn schema(columns: &[Column]) -> String {
    let mut s = String::from("message gongkai {\n");
    for c in columns {
        let rep = if c.required { "REQUIRED" } else { "OPTIONAL" };
        let ty = match c.ty {
            Type::Text => "BYTE_ARRAY".to_string(),
            Type::Int32 => "INT32".to_string(),
            Type::Int64 => "INT64".to_string(),
            Type::Decimal => "FIXED_LEN_BYTE_ARRAY (16)".to_string(),
        };
        let annotation = match c.ty {
            Type::Text => " (UTF8)".to_string(),
            Type::Decimal => format!(" (DECIMAL({DECIMAL_PRECISION}, {DECIMAL_SCALE}))"),
            _ => String::new(),
        };
        s.push_str(&format!("  {rep} {ty} {}{annotation};\n", c.name));
    }
    s.push('}');
    s
}

/// The Parquet exporter.
pub struct Parquet {
    writer: SerializedFileWriter<Box<dyn Write + Send>>,
    columns: &'static [Column],
    buffer: Vec<Vec<Value>>,
}

fn err(e: parquet::errors::ParquetError) -> ExportError {
    ExportError::Format(format!("parquet: {e}"))
}

/// A decimal as the 16-byte big-endian two's complement of its value at
/// [`DECIMAL_SCALE`]; an error when it has more places (never rounded).
pub fn decimal_bytes(d: Decimal) -> Result<[u8; 16]> {
    let d = d.normalize();
    if d.scale() > DECIMAL_SCALE {
        return Err(ExportError::Format(format!(
            "{d} has more than {DECIMAL_SCALE} decimal places"
        )));
    }
    let factor = 10i128.pow(DECIMAL_SCALE - d.scale());
    let unscaled = d
        .mantissa()
        .checked_mul(factor)
        .filter(|v| v.unsigned_abs() < 10u128.pow(DECIMAL_PRECISION))
        .ok_or_else(|| ExportError::Format(format!("{d} does not fit DECIMAL(38, 6)")))?;
    Ok(unscaled.to_be_bytes())
}

impl Parquet {
    /// Writes rows of `columns` to `out`.
    pub fn new(out: Box<dyn Write + Send>, columns: &'static [Column]) -> Result<Parquet> {
        let schema = Arc::new(parse_message_type(&schema(columns)).map_err(err)?);
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_created_by(format!("gongkai {}", env!("CARGO_PKG_VERSION")))
                .build(),
        );
        Ok(Parquet {
            writer: SerializedFileWriter::new(out, schema, props).map_err(err)?,
            columns,
            buffer: Vec::new(),
        })
    }

    fn flush_group(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let mut group = self.writer.next_row_group().map_err(err)?;
        let mut index = 0;
        while let Some(mut column) = group.next_column().map_err(err)? {
            let Some(c) = self.columns.get(index) else {
                return Err(ExportError::Format(
                    "parquet: more columns than the schema".into(),
                ));
            };
            let cells: Vec<&Value> = self
                .buffer
                .iter()
                .map(|r| r.get(index).unwrap_or(&Value::Null))
                .collect();
            let defs: Vec<i16> = cells
                .iter()
                .map(|v| i16::from(!matches!(v, Value::Null)))
                .collect();
            if c.required && defs.contains(&0) {
                return Err(ExportError::Format(format!(
                    "parquet: column {} is required but a row has no value",
                    c.name
                )));
            }
            let defs = (!c.required).then_some(&defs[..]);
            let mismatch = |v: &Value| {
                ExportError::Format(format!(
                    "parquet: column {}: {v:?} is not a {:?}",
                    c.name, c.ty
                ))
            };
            match c.ty {
                Type::Text => {
                    let values = cells
                        .iter()
                        .filter(|v| !matches!(v, Value::Null))
                        .map(|v| match v {
                            Value::Text(s) => Ok(ByteArray::from(s.as_bytes().to_vec())),
                            other => Err(mismatch(other)),
                        })
                        .collect::<Result<Vec<_>>>()?;
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&values, defs, None)
                        .map_err(err)?;
                }
                Type::Int32 => {
                    let values = cells
                        .iter()
                        .filter(|v| !matches!(v, Value::Null))
                        .map(|v| match v {
                            Value::Int(i) => i32::try_from(*i).map_err(|_| mismatch(v)),
                            other => Err(mismatch(other)),
                        })
                        .collect::<Result<Vec<_>>>()?;
                    column
                        .typed::<Int32Type>()
                        .write_batch(&values, defs, None)
                        .map_err(err)?;
                }
                Type::Int64 => {
                    let values = cells
                        .iter()
                        .filter(|v| !matches!(v, Value::Null))
                        .map(|v| match v {
                            Value::Int(i) => Ok(*i),
                            other => Err(mismatch(other)),
                        })
                        .collect::<Result<Vec<_>>>()?;
                    column
                        .typed::<Int64Type>()
                        .write_batch(&values, defs, None)
                        .map_err(err)?;
                }
                Type::Decimal => {
                    let values = cells
                        .iter()
                        .filter(|v| !matches!(v, Value::Null))
                        .map(|v| match v {
                            Value::Decimal(d) => decimal_bytes(*d)
                                .map(|b| FixedLenByteArray::from(b.to_vec()))
                                .map_err(|e| {
                                    ExportError::Format(format!("column {}: {e}", c.name))
                                }),
                            other => Err(mismatch(other)),
                        })
                        .collect::<Result<Vec<_>>>()?;
                    column
                        .typed::<FixedLenByteArrayType>()
                        .write_batch(&values, defs, None)
                        .map_err(err)?;
                }
            }
            column.close().map_err(err)?;
            index += 1;
        }
        group.close().map_err(err)?;
        self.buffer.clear();
        Ok(())
    }
}

impl Exporter for Parquet {
    fn write(&mut self, row: &[Value]) -> Result<()> {
        self.buffer.push(row.to_vec());
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
    use std::str::FromStr;

    use super::*;
    use crate::export::Dataset;

    #[test]
    fn every_schema_parses_with_its_columns_in_order() {
        for d in Dataset::ALL {
            let t = parse_message_type(&schema(d.columns())).unwrap_or_else(|e| panic!("{e}"));
            let names: Vec<&str> = t.get_fields().iter().map(|f| f.name()).collect();
            let want: Vec<&str> = d.columns().iter().map(|c| c.name).collect();
            assert_eq!(names, want);
        }
    }

    #[test]
    fn decimals_are_exact_or_refused() {
        let d = |s: &str| Decimal::from_str(s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            i128::from_be_bytes(decimal_bytes(d("7753338.96")).unwrap_or_default()),
            7_753_338_960_000
        );
        assert_eq!(
            i128::from_be_bytes(decimal_bytes(d("-0.5")).unwrap_or_default()),
            -500_000
        );
        assert_eq!(
            i128::from_be_bytes(decimal_bytes(d("12.3400000")).unwrap_or_default()),
            12_340_000
        );
        assert!(decimal_bytes(d("0.0000001")).is_err());
    }
}
