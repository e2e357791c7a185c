//! Exports of a dataset store in the long format: one line per amount
//! (document × table × row × column), with the document's unit, region,
//! year and kind, the row's identity and the amount in yuan — what
//! researchers load straight into pandas, R or DuckDB.
//!
//! One file per format behind [`Exporter`]: [`csv`], [`jsonl`], [`parquet`].

pub mod csv;
pub mod jsonl;
#[cfg(feature = "parquet")]
pub mod parquet;

use futures_util::TryStreamExt;
use serde::Serialize;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe, Row as _};

use crate::store::{Store, StoreError};

/// Errors of an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the store.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Writing the output.
    #[error("writing: {0}")]
    Io(#[from] std::io::Error),
    /// The encoder refused.
    #[error("{0}")]
    Format(String),
}

impl From<sqlx::Error> for ExportError {
    fn from(e: sqlx::Error) -> Self {
        ExportError::Store(StoreError::Db(e))
    }
}

/// Result of exports.
pub type Result<T> = std::result::Result<T, ExportError>;

/// One amount, in context. The field order is the column order of every format.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Line {
    /// The publishing unit.
    pub unit: Option<String>,
    /// Its region, when the unit name starts with one.
    pub region: Option<String>,
    /// Fiscal year of the document.
    pub year: Option<i64>,
    /// final_account | budget.
    pub document_kind: Option<String>,
    /// department | unit.
    pub scope: Option<String>,
    /// The table kind (`income_expenditure_summary`, …).
    pub table_kind: String,
    /// The printed label (公开01表).
    pub table_label: Option<String>,
    /// Classification code, compact ("2010301").
    pub code: Option<String>,
    /// The row name as printed.
    pub name: Option<String>,
    /// class | section | item.
    pub level: Option<String>,
    /// Named-line id (`total`, `general_budget_appropriation`, …).
    pub line: Option<String>,
    /// The printed line number (行次).
    pub line_no: Option<String>,
    /// income | expenditure on two-sided tables.
    pub side: Option<String>,
    /// The column key (`total`, `basic`, …).
    pub column_key: String,
    /// Exact yuan amount; empty for counts and non-numeric marks.
    pub amount_yuan: Option<String>,
    /// A count (vehicles) instead of money.
    pub count: Option<String>,
    /// The cell as printed.
    pub printed: Option<String>,
    /// Flags pointing at this cell (its table, row and column).
    pub flags: i64,
    /// Flags of the whole document.
    pub document_flags: i64,
    /// SHA-256 of the document.
    pub sha256: String,
    /// Where the document was first read from.
    pub source: String,
}

/// Column names, in [`Line`] field order.
pub const COLUMNS: &[&str] = &[
    "unit",
    "region",
    "year",
    "document_kind",
    "scope",
    "table_kind",
    "table_label",
    "code",
    "name",
    "level",
    "line",
    "line_no",
    "side",
    "column_key",
    "amount_yuan",
    "count",
    "printed",
    "flags",
    "document_flags",
    "sha256",
    "source",
];

impl Line {
    /// The fields as text (None for null), in [`COLUMNS`] order.
    pub fn fields(&self) -> [Option<String>; 21] {
        [
            self.unit.clone(),
            self.region.clone(),
            self.year.map(|y| y.to_string()),
            self.document_kind.clone(),
            self.scope.clone(),
            Some(self.table_kind.clone()),
            self.table_label.clone(),
            self.code.clone(),
            self.name.clone(),
            self.level.clone(),
            self.line.clone(),
            self.line_no.clone(),
            self.side.clone(),
            Some(self.column_key.clone()),
            self.amount_yuan.clone(),
            self.count.clone(),
            self.printed.clone(),
            Some(self.flags.to_string()),
            Some(self.document_flags.to_string()),
            Some(self.sha256.clone()),
            Some(self.source.clone()),
        ]
    }
}

/// Which documents to export.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this fiscal year.
    pub year: Option<i64>,
    /// Only this document kind (final_account, budget).
    pub kind: Option<String>,
    /// Only units whose name contains this text.
    pub unit: Option<String>,
    /// Only documents whose record has this read verdict (complete,
    /// partial, not_a_disclosure, failed).
    pub read: Option<String>,
}

/// An output format.
pub trait Exporter {
    /// Writes one line.
    fn write(&mut self, line: &Line) -> Result<()>;
    /// Writes what is buffered and the file's trailer.
    fn finish(self: Box<Self>) -> Result<()>;
}

/// The formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    /// Comma-separated, UTF-8, a header line.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// Apache Parquet (amounts as exact decimal strings).
    #[cfg(feature = "parquet")]
    Parquet,
}

/// An exporter of `format` writing to `out`.
pub fn exporter(format: Format, out: Box<dyn std::io::Write + Send>) -> Result<Box<dyn Exporter>> {
    Ok(match format {
        Format::Csv => Box::new(csv::Csv::new(out)),
        Format::Jsonl => Box::new(jsonl::Jsonl::new(out)),
        #[cfg(feature = "parquet")]
        Format::Parquet => Box::new(parquet::Parquet::new(out)?),
    })
}

fn like_pattern(text: &str) -> String {
    let mut s = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('%');
    s
}

/// Streams every amount that passes `filter` into `exporter`, in document,
/// table, row and column order; returns the number of lines.
pub async fn export(store: &Store, filter: &Filter, exporter: &mut dyn Exporter) -> Result<u64> {
    let mut sql = String::from(
        "SELECT d.unit, d.region, d.year, d.kind, d.scope, t.kind, t.label, r.code, r.name, r.level,
                r.line, r.line_no, r.side, a.column_key, CAST(a.amount_yuan AS TEXT),
                CAST(a.count AS TEXT), a.printed, a.flags, COALESCE(fc.n, 0), d.sha256, d.source
         FROM amounts a
         JOIN rows r ON r.id = a.row_id
         JOIN tables t ON t.id = r.table_id
         JOIN documents d ON d.id = t.document_id
         LEFT JOIN (SELECT document_id, COUNT(*) AS n FROM flags GROUP BY document_id) fc
              ON fc.document_id = d.id
         WHERE 1 = 1",
    );
    let mut n = 0;
    if filter.year.is_some() {
        n += 1;
        sql.push_str(&format!(" AND d.year = ${n}"));
    }
    if filter.kind.is_some() {
        n += 1;
        sql.push_str(&format!(" AND d.kind = ${n}"));
    }
    if filter.unit.is_some() {
        n += 1;
        sql.push_str(&format!(" AND d.unit LIKE ${n} ESCAPE '\\'"));
    }
    if filter.read.is_some() {
        n += 1;
        sql.push_str(&format!(" AND d.read_verdict = ${n}"));
    }
    sql.push_str(" ORDER BY d.id, t.ordinal, r.ordinal, a.id");
    let mut q: Query<'_, Any, AnyArguments> = sqlx::query(AssertSqlSafe(sql));
    if let Some(y) = filter.year {
        q = q.bind(y);
    }
    if let Some(k) = &filter.kind {
        q = q.bind(k.clone());
    }
    if let Some(u) = &filter.unit {
        q = q.bind(like_pattern(u));
    }
    if let Some(v) = &filter.read {
        q = q.bind(v.clone());
    }
    let mut rows = q.fetch(store.pool());
    let mut count = 0u64;
    while let Some(r) = rows.try_next().await? {
        let line = Line {
            unit: r.try_get(0)?,
            region: r.try_get(1)?,
            year: r.try_get(2)?,
            document_kind: r.try_get(3)?,
            scope: r.try_get(4)?,
            table_kind: r.try_get(5)?,
            table_label: r.try_get(6)?,
            code: r.try_get(7)?,
            name: r.try_get(8)?,
            level: r.try_get(9)?,
            line: r.try_get(10)?,
            line_no: r.try_get(11)?,
            side: r.try_get(12)?,
            column_key: r.try_get(13)?,
            amount_yuan: r.try_get(14)?,
            count: r.try_get(15)?,
            printed: r.try_get(16)?,
            flags: r.try_get(17)?,
            document_flags: r.try_get(18)?,
            sha256: r.try_get(19)?,
            source: r.try_get(20)?,
        };
        exporter.write(&line)?;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape() {
        assert_eq!(like_pattern("长治"), "%长治%");
        assert_eq!(like_pattern("a%_\\"), "%a\\%\\_\\\\%");
    }

    #[test]
    fn columns_match_fields() {
        assert_eq!(COLUMNS.len(), Line::default().fields().len());
        let v = serde_json::to_value(Line::default()).unwrap_or_default();
        let keys: Vec<&str> = v
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut want: Vec<&str> = COLUMNS.to_vec();
        want.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, want);
    }
}
