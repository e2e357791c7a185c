//! Exports of a dataset store, typed and traceable: one row per amount
//! (document × table × row × column) in the long format, or one per
//! document, per flag or per narrative fact — what researchers load straight
//! into pandas, R, DuckDB or a database.
//!
//! Every dataset is a list of typed [`Column`]s ([`columns`]); one file per
//! format writes them behind [`Exporter`]: [`csv`], [`jsonl`], [`parquet`].
//! Every row names its document (`sha256`) and its disclosure
//! (`disclosure_id`), and by default a disclosure published in several files
//! (a PDF and its HTML page, a corrected re-upload) is exported once, from
//! its most complete version ([`Versions`]), so that a GROUP BY counts each
//! unit-year once. `docs/data-dictionary.md` is [`dictionary`]'s output.

pub mod csv;
pub mod jsonl;
#[cfg(feature = "parquet")]
pub mod parquet;
mod query;

use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::store::{Store, StoreError};

pub use query::{export, records, StoredRecord};

/// Errors of an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the store.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Writing the output.
    #[error("writing: {0}")]
    Io(#[from] std::io::Error),
    /// The encoder refused, or a stored value does not fit its column.
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

/// A column's type, the same in every format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// UTF-8 text.
    Text,
    /// A 32-bit integer (years, pages, ranks).
    Int32,
    /// A 64-bit integer (counts, sizes).
    Int64,
    /// An exact decimal: Parquet `DECIMAL(38, 6)`; in CSV and JSON Lines the
    /// decimal as printed in the store, as text.
    Decimal,
}

impl Type {
    /// The type as the data dictionary names it.
    pub fn name(self) -> &'static str {
        match self {
            Type::Text => "text",
            Type::Int32 => "int32",
            Type::Int64 => "int64",
            Type::Decimal => "decimal(38,6)",
        }
    }
}

/// Precision of decimal columns in Parquet: the widest a 16-byte decimal
/// holds, which pyarrow's decimal128, DuckDB, Spark and pandas all read as
/// an exact decimal.
pub const DECIMAL_PRECISION: u32 = 38;
/// Scale of decimal columns in Parquet. Amounts in yuan have two places
/// (fen) when printed in 元 and none when printed in 万元 with four; six
/// leaves room for every printing seen and keeps 32 digits (10^32 yuan)
/// before the point. A value with more places fails the export by name
/// rather than being rounded.
pub const DECIMAL_SCALE: u32 = 6;

/// One column of a dataset.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The name, in every format.
    pub name: &'static str,
    /// Its type.
    pub ty: Type,
    /// Never null.
    pub required: bool,
    /// What it holds (the data dictionary).
    pub doc: &'static str,
}

const fn col(name: &'static str, ty: Type, required: bool, doc: &'static str) -> Column {
    Column {
        name,
        ty,
        required,
        doc,
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// No value.
    Null,
    /// Text.
    Text(String),
    /// An integer (Int32 or Int64 columns).
    Int(i64),
    /// An exact decimal, at the scale it was stored with (8600.00).
    Decimal(Decimal),
}

impl Value {
    /// The value as CSV prints it (empty for null).
    pub fn text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Text(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Decimal(d) => d.to_string(),
        }
    }

    /// The value as JSON: decimals as strings (exact), integers as numbers.
    pub fn json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Text(s) => serde_json::Value::from(s.as_str()),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Decimal(d) => serde_json::Value::from(d.to_string()),
        }
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        v.map_or(Value::Null, Value::Text)
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Value::Null, Value::Int)
    }
}

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Dataset {
    /// One row per amount (document × table × row × column), the long format.
    Amounts,
    /// One row per document: what it is, where from, how much was read.
    Documents,
    /// One row per flag: the finding, its page and snippet.
    Flags,
    /// One row per narrative fact: the figure and its sentence.
    Facts,
}

impl Dataset {
    /// Every dataset.
    pub const ALL: [Dataset; 4] = [
        Dataset::Amounts,
        Dataset::Documents,
        Dataset::Flags,
        Dataset::Facts,
    ];

    /// Its name (as `--what` takes it).
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Amounts => "amounts",
            Dataset::Documents => "documents",
            Dataset::Flags => "flags",
            Dataset::Facts => "facts",
        }
    }

    /// Its columns, in order.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Dataset::Amounts => AMOUNTS,
            Dataset::Documents => DOCUMENTS,
            Dataset::Flags => FLAGS,
            Dataset::Facts => FACTS,
        }
    }

    /// The position of column `name`.
    pub fn index(self, name: &str) -> Option<usize> {
        self.columns().iter().position(|c| c.name == name)
    }
}

/// Which versions of a disclosure to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Versions {
    /// The most complete version: a `complete` read verdict before
    /// `partial`, then the most table amounts captured, then the latest
    /// first seen. Each disclosure once.
    #[default]
    Best,
    /// The version the store saw first most recently (a re-upload replaces
    /// what it corrects). Each disclosure once.
    Latest,
    /// Every document, each with its version rank.
    All,
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
    /// Only documents whose region, province, city or county contains this
    /// text, or whose division code starts with it.
    pub region: Option<String>,
    /// Only documents whose error kind is this (`any` for every failed one).
    pub error: Option<String>,
    /// Which versions of each disclosure.
    pub versions: Versions,
}

const DOC_COLUMNS_HEAD: [Column; 11] = [
    col(
        "disclosure_id",
        Type::Text,
        false,
        "The disclosure (unit, year, kind, scope) the document is a version of: the PDF and HTML of one document share it. Null when the unit, year or kind is unknown.",
    ),
    col(
        "sha256",
        Type::Text,
        true,
        "The document: SHA-256 of its bytes (hex).",
    ),
    col("unit", Type::Text, false, "The publishing unit, as printed."),
    col(
        "unit_spelling",
        Type::Text,
        false,
        "The unit spelled one way (中共江苏省委办公厅 for 江苏省委办公厅 too).",
    ),
    col(
        "region",
        Type::Text,
        false,
        "The region the unit name starts with, as printed (长治市).",
    ),
    col(
        "division_code",
        Type::Text,
        false,
        "Its GB/T 2260 division code (140400), when the name tells one.",
    ),
    col("province", Type::Text, false, "Province-level division (山西省)."),
    col("city", Type::Text, false, "Prefecture-level division (长治市)."),
    col("county", Type::Text, false, "County-level division (潞州区)."),
    col("year", Type::Int32, false, "Fiscal year of the document."),
    col(
        "document_kind",
        Type::Text,
        false,
        "final_account (决算) or budget (预算).",
    ),
];

/// Columns of [`Dataset::Amounts`].
pub const AMOUNTS: &[Column] = &[
    DOC_COLUMNS_HEAD[0],
    DOC_COLUMNS_HEAD[1],
    DOC_COLUMNS_HEAD[2],
    DOC_COLUMNS_HEAD[3],
    DOC_COLUMNS_HEAD[4],
    DOC_COLUMNS_HEAD[5],
    DOC_COLUMNS_HEAD[6],
    DOC_COLUMNS_HEAD[7],
    DOC_COLUMNS_HEAD[8],
    DOC_COLUMNS_HEAD[9],
    DOC_COLUMNS_HEAD[10],
    col(
        "scope",
        Type::Text,
        false,
        "department (部门, consolidated) or unit (单位).",
    ),
    col(
        "table_kind",
        Type::Text,
        true,
        "The table kind (income_expenditure_summary, …; docs/tables.md).",
    ),
    col(
        "table_label",
        Type::Text,
        false,
        "The printed label (公开01表).",
    ),
    col("table_title", Type::Text, true, "The table's title as printed."),
    col(
        "printed_unit",
        Type::Text,
        false,
        "The amount unit the table prints (元, 千元, 万元); null when it prints none (the amounts are then taken as 元 and the record is partial).",
    ),
    col(
        "page",
        Type::Int32,
        false,
        "The page the row is printed on (1-based).",
    ),
    col(
        "code",
        Type::Text,
        false,
        "Classification code, compact, as text (2010301; leading zeros and length matter).",
    ),
    col(
        "code_system",
        Type::Text,
        false,
        "The code's classification: functional (支出功能分类, 2xx), economic (部门预算支出经济分类, 3xx), government_economic (政府预算支出经济分类, 5xx) or income (收入分类, 1xx).",
    ),
    col("name", Type::Text, false, "The row name as printed."),
    col(
        "level",
        Type::Text,
        false,
        "class (类), section (款) or item (项) of the code.",
    ),
    col(
        "line",
        Type::Text,
        false,
        "Named-line id (total, general_budget_appropriation, …).",
    ),
    col("line_no", Type::Text, false, "The printed line number (行次)."),
    col(
        "side",
        Type::Text,
        false,
        "income or expenditure on two-sided tables.",
    ),
    col(
        "column_key",
        Type::Text,
        true,
        "The column key (total, basic, project, …).",
    ),
    col(
        "amount_yuan",
        Type::Decimal,
        false,
        "The amount in yuan, exact (printed amount × the printed unit). Null for counts and non-numeric marks.",
    ),
    col(
        "count",
        Type::Int64,
        false,
        "A count instead of money (vehicles).",
    ),
    col("printed", Type::Text, false, "The cell as printed."),
    col(
        "flags",
        Type::Int64,
        true,
        "Flags pointing at this cell (its table, row and column).",
    ),
    col(
        "document_flags",
        Type::Int64,
        true,
        "Flags of the whole document.",
    ),
    col(
        "read_verdict",
        Type::Text,
        false,
        "How much of the document was read: complete, partial, not_a_disclosure or failed.",
    ),
    col(
        "source",
        Type::Text,
        true,
        "Where the document was first read from (path or URL).",
    ),
];

/// Columns of [`Dataset::Documents`].
pub const DOCUMENTS: &[Column] = &[
    DOC_COLUMNS_HEAD[0],
    DOC_COLUMNS_HEAD[1],
    DOC_COLUMNS_HEAD[2],
    DOC_COLUMNS_HEAD[3],
    DOC_COLUMNS_HEAD[4],
    DOC_COLUMNS_HEAD[5],
    DOC_COLUMNS_HEAD[6],
    DOC_COLUMNS_HEAD[7],
    DOC_COLUMNS_HEAD[8],
    DOC_COLUMNS_HEAD[9],
    DOC_COLUMNS_HEAD[10],
    col(
        "scope",
        Type::Text,
        false,
        "department (部门, consolidated) or unit (单位).",
    ),
    col(
        "version",
        Type::Int32,
        true,
        "The document's rank among the versions of its disclosure (1 = the one `--versions` takes).",
    ),
    col(
        "versions",
        Type::Int32,
        true,
        "How many versions of its disclosure the store holds.",
    ),
    col("title", Type::Text, false, "The document's title line."),
    col(
        "format",
        Type::Text,
        false,
        "pdf, html, text, xlsx, docx, ofd, …",
    ),
    col("engine", Type::Text, false, "The decoder that read it."),
    col("pages", Type::Int32, false, "Pages in the document."),
    col("bytes", Type::Int64, true, "Size of the file."),
    col(
        "read_verdict",
        Type::Text,
        false,
        "complete, partial, not_a_disclosure or failed.",
    ),
    col(
        "amounts_printed",
        Type::Int64,
        false,
        "Amounts printed in the document's tables.",
    ),
    col(
        "amounts_captured",
        Type::Int64,
        false,
        "How many of them a recognized table captured.",
    ),
    col("tables", Type::Int64, true, "Tables read."),
    col("flags_error", Type::Int64, true, "Flags of severity error."),
    col(
        "flags_warning",
        Type::Int64,
        true,
        "Flags of severity warning.",
    ),
    col("flags_info", Type::Int64, true, "Flags of severity info."),
    col(
        "error_kind",
        Type::Text,
        false,
        "Why the document could not be read (docs/record.md), or null.",
    ),
    col("error_message", Type::Text, false, "The error, in words."),
    col("source", Type::Text, true, "Where it was first read from."),
    col(
        "first_seen",
        Type::Text,
        false,
        "When the store first held the file (RFC 3339, UTC).",
    ),
    col(
        "extracted_at",
        Type::Text,
        true,
        "When its record was made (RFC 3339, UTC).",
    ),
];

/// Columns of [`Dataset::Flags`].
pub const FLAGS: &[Column] = &[
    DOC_COLUMNS_HEAD[0],
    DOC_COLUMNS_HEAD[1],
    DOC_COLUMNS_HEAD[2],
    DOC_COLUMNS_HEAD[5],
    DOC_COLUMNS_HEAD[6],
    DOC_COLUMNS_HEAD[9],
    DOC_COLUMNS_HEAD[10],
    col(
        "flag_id",
        Type::Text,
        false,
        "The flag's stable id (document, rule and location; what `extract --accept` lists).",
    ),
    col(
        "check",
        Type::Text,
        true,
        "The rule that found it (docs/checks.md).",
    ),
    col("severity", Type::Text, true, "error, warning or info."),
    col("message", Type::Text, true, "The finding, in words."),
    col(
        "page",
        Type::Int32,
        false,
        "The first page it points at (1-based).",
    ),
    col(
        "pages",
        Type::Text,
        false,
        "Every page it points at, comma-separated.",
    ),
    col(
        "table_kind",
        Type::Text,
        false,
        "The table it points at, if any.",
    ),
    col(
        "snippet",
        Type::Text,
        false,
        "What the document prints there.",
    ),
    col(
        "expected",
        Type::Text,
        false,
        "The value the rule expected.",
    ),
    col("found", Type::Text, false, "The value printed."),
    col("difference", Type::Text, false, "found − expected."),
    col(
        "source",
        Type::Text,
        true,
        "Where the document was first read from.",
    ),
];

/// Columns of [`Dataset::Facts`].
pub const FACTS: &[Column] = &[
    DOC_COLUMNS_HEAD[0],
    DOC_COLUMNS_HEAD[1],
    DOC_COLUMNS_HEAD[2],
    DOC_COLUMNS_HEAD[5],
    DOC_COLUMNS_HEAD[6],
    DOC_COLUMNS_HEAD[9],
    DOC_COLUMNS_HEAD[10],
    col(
        "ordinal",
        Type::Int32,
        true,
        "The fact's place in the document.",
    ),
    col("fact", Type::Text, true, "The fact id (docs/narrative.md)."),
    col(
        "section",
        Type::Text,
        false,
        "The narrative section it is in.",
    ),
    col("subject", Type::Text, false, "What the figure is of."),
    col(
        "project",
        Type::Text,
        false,
        "The project, for performance facts.",
    ),
    col(
        "amount_yuan",
        Type::Decimal,
        false,
        "The amount in yuan, exact.",
    ),
    col("percent", Type::Decimal, false, "A percentage, as printed."),
    col("count", Type::Decimal, false, "A count."),
    col("score", Type::Decimal, false, "A score (performance)."),
    col("max_score", Type::Decimal, false, "Its maximum."),
    col("printed", Type::Text, true, "The figure as printed."),
    col(
        "sentence",
        Type::Text,
        true,
        "The sentence it was read from.",
    ),
    col(
        "source",
        Type::Text,
        true,
        "Where the document was first read from.",
    ),
];

/// The classification a compact code belongs to, by its first digit.
pub fn code_system(code: &str) -> Option<&'static str> {
    match code.as_bytes().first()? {
        b'1' => Some("income"),
        b'2' => Some("functional"),
        b'3' => Some("economic"),
        b'5' => Some("government_economic"),
        _ => None,
    }
}

/// The data dictionary of every dataset, as Markdown (what
/// `docs/data-dictionary.md` holds).
pub fn dictionary() -> String {
    let mut s = String::new();
    for d in Dataset::ALL {
        let _ = writeln!(s, "## `{}`\n", d.name());
        let _ = writeln!(s, "| column | type | null | meaning |\n|---|---|---|---|");
        for c in d.columns() {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} |",
                c.name,
                c.ty.name(),
                if c.required { "never" } else { "may be" },
                c.doc.replace('|', "\\|")
            );
        }
        s.push('\n');
    }
    s
}

/// An output format.
pub trait Exporter {
    /// Writes one row (values in column order).
    fn write(&mut self, row: &[Value]) -> Result<()>;
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
    /// Apache Parquet, typed (amounts DECIMAL(38,6)).
    #[cfg(feature = "parquet")]
    Parquet,
}

/// Options of the text formats.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Start a CSV with a UTF-8 byte-order mark (Excel on Chinese Windows
    /// reads UTF-8 without one as GBK).
    pub bom: bool,
}

/// An exporter of `format` for rows of `columns`, writing to `out`.
pub fn exporter(
    format: Format,
    columns: &'static [Column],
    options: Options,
    out: Box<dyn std::io::Write + Send>,
) -> Result<Box<dyn Exporter>> {
    Ok(match format {
        Format::Csv => Box::new(csv::Csv::new(out, columns, options.bom)?),
        Format::Jsonl => Box::new(jsonl::Jsonl::new(out, columns)),
        #[cfg(feature = "parquet")]
        Format::Parquet => Box::new(parquet::Parquet::new(out, columns)?),
    })
}

/// Reads the store behind an export (for [`query`]).
fn pool(store: &Store) -> &sqlx::AnyPool {
    store.pool()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dataset_has_unique_columns_and_the_ids() {
        for d in Dataset::ALL {
            let mut names: Vec<&str> = d.columns().iter().map(|c| c.name).collect();
            assert!(names.contains(&"disclosure_id") && names.contains(&"sha256"));
            names.sort_unstable();
            let n = names.len();
            names.dedup();
            assert_eq!(names.len(), n, "{}", d.name());
        }
    }

    #[test]
    fn code_systems_by_first_digit() {
        assert_eq!(code_system("2010301"), Some("functional"));
        assert_eq!(code_system("30101"), Some("economic"));
        assert_eq!(code_system("50101"), Some("government_economic"));
        assert_eq!(code_system("1010101"), Some("income"));
        assert_eq!(code_system(""), None);
    }
}
