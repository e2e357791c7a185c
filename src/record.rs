//! The record: what `gongkai extract` prints for each document, one JSON
//! object per line. Its JSON Schema is generated from these types
//! (`gongkai schema`, kept in `schema/record.schema.json`).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;
use crate::model::Format;

/// One document, read.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Record {
    /// Where the document came from and how it was decoded.
    pub source: Source,
    /// What the document is.
    pub document: DocumentMeta,
    /// Every table found, in document order.
    pub tables: Vec<Table>,
    /// Facts read from the narrative (情况说明).
    pub narrative: Vec<NarrativeFact>,
    /// Consistency findings about the document.
    pub flags: Vec<Flag>,
    /// Why the document could not be read, or null.
    pub error: Option<RecordError>,
    /// How much of the document was read, and the verdict: can this
    /// record be taken as the whole document?
    #[serde(default)]
    pub read: Read,
}

/// How much of its document a record holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Read {
    /// The verdict.
    pub verdict: Verdict,
    /// Why the verdict is not `complete` (empty when it is).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<ReadReason>,
    /// Amounts printed in the document's tables (grid cells shaped like an
    /// amount: decimals, thousands separators, or three digits and more)
    /// and how many of them a recognized table captured (as a value, a
    /// code or a line number).
    pub table_amounts: Tally,
    /// Amounts printed in the text (a number followed by 元, 千元, 万元 or
    /// 亿元) and how many a narrative fact captured. Narrative facts are the
    /// figures the checks use, not every figure of the prose: this tally
    /// informs, it does not decide the verdict.
    pub narrative_amounts: Tally,
    /// Per page with table amounts: printed and captured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<PageRead>,
}

/// Can the record be taken as the whole document?
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every table amount printed was captured by a recognized table (to
    /// the tolerance of `read` in `patterns/common.toml`), every table's
    /// unit was printed or inferred from evidence, and no grid of amounts
    /// was left unrecognized.
    Complete,
    /// Something printed was not read: see `reasons`.
    Partial,
    /// The document holds no disclosure: no table, no narrative figure
    /// (a portal's landing page, a notice, a checklist).
    NotADisclosure,
    /// The document could not be read at all (`error` says why).
    #[default]
    Failed,
}

impl Verdict {
    /// The verdict's name as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Complete => "complete",
            Verdict::Partial => "partial",
            Verdict::NotADisclosure => "not_a_disclosure",
            Verdict::Failed => "failed",
        }
    }
}

/// One thing a record did not read.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ReadReason {
    /// A stable id: `table_amounts_missed`, `unrecognized_table`,
    /// `amount_unit_unknown`, `page_not_read`, `decode_warning`,
    /// `ambiguous_amounts`, `codes_missing`, `nothing_read`.
    pub kind: String,
    /// The page, when it is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// The table kind, when it is about one table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// What, in words.
    pub detail: String,
}

/// Printed against captured.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct Tally {
    /// Amounts printed.
    pub printed: u32,
    /// Amounts captured.
    pub captured: u32,
}

/// The table amounts of one page.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct PageRead {
    /// The page (1-based).
    pub page: u32,
    /// Amounts printed in its grids.
    pub printed: u32,
    /// Amounts captured by recognized tables.
    pub captured: u32,
}

/// Provenance of a record.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Source {
    /// The path (or URL) as given.
    pub path: String,
    /// The path's bytes in hex, when they are not UTF-8 (`path` then shows
    /// U+FFFD in their place): what maps the record back to its file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_hex: Option<String>,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// The format found by content, when known.
    pub format: Option<Format>,
    /// The engine that produced the text (`pdf-extract`, `pdftotext`, `scraper`, `docx`,
    /// `calamine`, `ofd`, `text`; `soffice+docx`, `soffice+calamine` for a file LibreOffice
    /// converted first).
    pub engine: Option<String>,
    /// Number of pages (sheets for spreadsheets).
    pub pages: Option<u32>,
    /// Non-fatal decoding problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The fingerprint of the pattern set that read it (SHA-256 over every
    /// pattern file): records with the same fingerprint were read the same
    /// way; another `--patterns` folder gives another one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patterns: Option<String>,
    /// The bundle (zip) the document was unpacked from; `path` is then the
    /// bundle's path and the member names joined by `!/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<BundleSource>,
}

/// Where in a bundle a document was found.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct BundleSource {
    /// The bundle's path (or URL) as given.
    pub path: String,
    /// SHA-256 of the bundle's bytes, hex.
    pub sha256: String,
    /// The member's name inside the bundle, and inside each bundle nested
    /// in it, outermost first (names decoded from UTF-8 or GBK).
    pub members: Vec<String>,
}

/// Final account or budget.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 决算: what was received and spent in a year.
    FinalAccount,
    /// 预算: what is planned for a year.
    Budget,
}

/// Whole department (with subordinate units consolidated) or a single unit.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// 部门.
    Department,
    /// 单位.
    Unit,
}

/// What the document is about.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct DocumentMeta {
    /// The publishing unit (部门名称 / 单位名称), as printed.
    pub unit: Option<String>,
    /// The administrative region the unit name starts with (山西省长治市,
    /// 上海市普陀区), when it has one (`region` in `patterns/common.toml`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The fiscal year the document covers.
    pub year: Option<i32>,
    /// Final account or budget.
    pub kind: Option<DocumentKind>,
    /// Department or unit disclosure.
    pub scope: Option<Scope>,
    /// The document's title line.
    pub title: Option<String>,
    /// The administrative division the unit name places the document in,
    /// when it names one unambiguously (`patterns/places/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
    /// The unit's name spelled one way (NFKC, no whitespace, the spelling
    /// rules of `patterns/places/units.toml`): one unit, one spelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_spelling: Option<String>,
    /// The disclosure this file is one version of (unit, year, kind and
    /// scope): the PDF and the HTML page of one document share it, and so
    /// does a corrected re-upload. 16 hex digits; none when the unit, year
    /// or kind is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure_id: Option<String>,
}

/// Where a unit sits in the administrative divisions (GB/T 2260).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct Place {
    /// The six-digit division code of the most specific division named
    /// (140400 for 长治市).
    pub division_code: String,
    /// The province-level division (山西省, 上海市).
    pub province: Option<String>,
    /// The prefecture-level division (长治市); none for a province, and for
    /// a county directly under its province (the districts of 上海市).
    pub city: Option<String>,
    /// The county-level division (潞州区), when one is named.
    pub county: Option<String>,
    /// The part of the unit name that named it (长治市).
    pub matched: String,
    /// True when a name the code had before a rename or merge was used
    /// (长治县, since 2018 上党区): the code is that former one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub former: bool,
}

/// The unit amounts are printed in.
#[derive(
    Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum AmountUnit {
    /// 元.
    Yuan,
    /// 千元.
    ThousandYuan,
    /// 万元.
    TenThousandYuan,
}

impl AmountUnit {
    /// The unit as documents print it (元, 千元, 万元).
    pub fn name(self) -> &'static str {
        match self {
            AmountUnit::Yuan => "元",
            AmountUnit::ThousandYuan => "千元",
            AmountUnit::TenThousandYuan => "万元",
        }
    }

    /// How many yuan one printed unit is.
    pub fn factor(self) -> Decimal {
        match self {
            AmountUnit::Yuan => Decimal::ONE,
            AmountUnit::ThousandYuan => Decimal::from(1000),
            AmountUnit::TenThousandYuan => Decimal::from(10000),
        }
    }
}

/// How a table's kind was recognized, when not by its title.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RecognizedBy {
    /// By the vocabulary of its column headings.
    Header,
}

/// Where a table's amount unit comes from.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UnitSource {
    /// Printed on the title line ("…决算表（单位：万元）").
    Title,
    /// A line between the title and the grid, or a merged row at the top of
    /// the grid ("单位：万元").
    UnitLine,
    /// Split over two lines ("单位：万" / "元", "单位：" / "万元").
    SplitLine,
    /// A cell of the grid's header rows ("单位：元" beside the column
    /// headings, an HTML row above the header).
    HeaderCell,
    /// The headers of the value columns ("金额（万元）"), all in one unit.
    ColumnHeader,
    /// Not printed: inferred from another table of the document whose unit
    /// is printed and which prints the same total (flagged
    /// `amount_unit_inferred`).
    InferredTable,
    /// Not printed: inferred from the narrative, which states the table's
    /// total in that unit (flagged `amount_unit_inferred`).
    InferredNarrative,
    /// Not printed and nothing to infer it from: the amounts are taken as
    /// printed, in 元, and the table is flagged `amount_unit_unknown` (the
    /// record's `read` is then partial).
    Assumed,
}

impl UnitSource {
    /// True when the unit was not printed on the table.
    pub fn is_inferred(self) -> bool {
        matches!(
            self,
            UnitSource::InferredTable | UnitSource::InferredNarrative | UnitSource::Assumed
        )
    }
}

/// The kind of a grid of amounts that no pattern recognized.
pub const UNRECOGNIZED: &str = "unrecognized";

/// One recognized table.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Table {
    /// The table kind id (see `patterns/`), e.g. `income_expenditure_summary`.
    pub kind: String,
    /// The printed label (公开01表, 表一), if any.
    pub label: Option<String>,
    /// The title as printed.
    pub title: String,
    /// The unit name printed on the table (部门名称：…).
    pub unit_name: Option<String>,
    /// The year printed on the table.
    pub year: Option<i32>,
    /// The unit the table's amounts are printed in (`values` are converted
    /// from it to yuan); see `unit_source` for the evidence.
    pub amount_unit: Option<AmountUnit>,
    /// Where `amount_unit` was read or how it was inferred; null only for a
    /// table that prints no amount.
    pub unit_source: Option<UnitSource>,
    /// How the kind was recognized when not by its title: `header` (its
    /// title is unfamiliar; its column headings are those of the kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recognized_by: Option<RecognizedBy>,
    /// Pages the table spans (1-based).
    pub pages: Vec<u32>,
    /// True when the table is declared empty (本表无数据) or has no amounts.
    pub empty: bool,
    /// The value columns found, in printed order.
    pub columns: Vec<Column>,
    /// Data rows in printed order (header and column-number rows left out).
    pub rows: Vec<Row>,
}

impl Table {
    /// The largest money amount (counts, scores left out), in yuan; none
    /// when the table prints no amount but zeros.
    pub fn largest_amount(&self) -> Option<Decimal> {
        self.rows
            .iter()
            .flat_map(|r| r.values.iter().filter(|(k, _)| !r.counts.contains(k)))
            .map(|(_, v)| *v)
            .max()
            .filter(|v| !v.is_zero())
    }

    /// Multiplies every money amount (counts, scores left out) by `factor`:
    /// amounts read in one unit taken in another.
    pub fn scale_money(&mut self, factor: Decimal) {
        for row in &mut self.rows {
            for (key, v) in row.values.iter_mut() {
                if !row.counts.contains(key) {
                    *v *= factor;
                }
            }
        }
    }
}

/// A value column and the header it was recognized from.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Column {
    /// The stable column key (`total`, `basic`, `project`, …).
    pub key: String,
    /// The printed header path, levels joined with `/`.
    pub header: String,
    /// The unit printed in the column's header ("项目资金（万元）"), when it
    /// prints one; its values are converted from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<AmountUnit>,
    /// True for a column of scores, weights or other numbers that are not
    /// money (分值, 得分, 权重: `count_columns` in `patterns/common.toml`):
    /// its values are kept as printed, in no unit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_money: bool,
    /// Which side of a two-sided table the column belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
}

/// Level of a classification code.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 类 (3 digits).
    Class,
    /// 款 (5 digits).
    Section,
    /// 项 (7 digits).
    Item,
}

/// Side of a two-sided summary table.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// 收入.
    Income,
    /// 支出.
    Expenditure,
}

/// One data row of a table.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Row {
    /// Classification code in compact form ("2010301"), when the row has one.
    pub code: Option<String>,
    /// The row name as printed, wrap-spaces removed.
    pub name: Option<String>,
    /// Level of the code.
    pub level: Option<Level>,
    /// Parent code (first 5 digits of a 项, first 3 of a 款).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// A stable id for a named line (`total`, `income_total`, `general_budget_appropriation`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// The printed line number (行次), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_no: Option<String>,
    /// An "of which" line (其中:…): the label (code, line id or name) of the
    /// row above that it is part of. Sums of sources do not count it beside
    /// that row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_of: Option<String>,
    /// What the reader could not settle about the row (amounts whose column
    /// is ambiguous in a rendering that dropped blank cells).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The page the row is printed on (its first, when it wraps over a
    /// page break).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Side of a two-sided table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
    /// Amounts by column key, in yuan, as exact decimal strings. A blank cell has no entry.
    #[schemars(with = "BTreeMap<String, String>")]
    pub values: BTreeMap<String, Decimal>,
    /// The printed text of each value cell, by column key (also non-numeric marks such as ———).
    pub printed: BTreeMap<String, String>,
    /// Value columns whose content is a count, not money (vehicles).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<String>,
}

/// A fact read from the narrative, with the sentence it came from.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct NarrativeFact {
    /// The fact id (e.g. `income_total`, `three_public_actual`).
    pub fact: String,
    /// The section heading the sentence is under.
    pub section: Option<String>,
    /// What the fact is about (a function class, an item name), when not implied by `fact`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// An amount in yuan.
    #[schemars(with = "Option<String>")]
    pub amount_yuan: Option<Decimal>,
    /// A percentage as printed (77.87 for 77.87%).
    #[schemars(with = "Option<String>")]
    pub percent: Option<Decimal>,
    /// A count (vehicles, projects).
    #[schemars(with = "Option<String>")]
    pub count: Option<Decimal>,
    /// A score in points (分): a project's self-evaluation score, an
    /// indicator's 得分.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub score: Option<Decimal>,
    /// The most points an indicator can earn (分值).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub max_score: Option<Decimal>,
    /// The project a fact belongs to (绩效自评表 facts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The text of the amount, percentage, count or score as printed (for a
    /// reason, the reason text; for a grade, the grade).
    pub printed: String,
    /// The share printed after the amount ("占比100.00%"), when `percent`
    /// was paired with an amount printed before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printed_percent: Option<String>,
    /// The sentence.
    pub sentence: String,
}

/// How serious a flag is.
#[derive(
    Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Within rounding, or informative.
    Info,
    /// A discrepancy that may be material.
    Warning,
    /// A material discrepancy.
    Error,
}

/// Where a flag points. The keys (`table`, `row`, `column`, `section`,
/// `sentence`) say which quantity; the rest say how the document prints it,
/// so a reader finds it on the page without knowing our keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Location {
    /// The table kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Row code or line id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<String>,
    /// Column key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Narrative section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// Narrative sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentence: Option<String>,
    /// The page it is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// The table's printed label ("公开03表").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The table's printed title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The row's printed name (行政运行).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_name: Option<String>,
    /// The column's header as printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column_header: Option<String>,
    /// The cell's amount as printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printed: Option<String>,
}

/// A consistency finding about the document.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Flag {
    /// Stable id of this finding: the document's sha256, the check and the
    /// first location, hashed (16 hex digits). The same finding in the same
    /// file keeps its id from run to run, which is what `--accept` lists.
    #[serde(default)]
    pub id: String,
    /// Stable check id (the rule).
    pub check: String,
    /// Severity.
    pub severity: Severity,
    /// One line for a person.
    pub message: String,
    /// Where.
    pub locations: Vec<Location>,
    /// The pages the finding is on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<u32>,
    /// The text as printed in the document (not normalized: a search in the
    /// file finds it): the sentence, or the row's printed cells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// The value the relation implies, in yuan.
    pub expected: Option<String>,
    /// The value printed, in yuan.
    pub found: Option<String>,
    /// found − expected, in yuan.
    pub difference: Option<String>,
    /// The amounts in the unit the document prints them in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printed_unit: Option<PrintedAmounts>,
    /// Other findings this one explains (one wrong cell breaks every
    /// relation it is in; those are listed here, not as flags of their own).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedFlag>,
    /// Listed in an `--accept` file: a finding a user has reviewed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accepted: bool,
}

impl Flag {
    /// True when one of the flag's locations names this table (its kind),
    /// this row (its code or line id) and, when `key` is given, this column
    /// (a location naming no column points at every cell of its row).
    pub fn points_at(&self, table: &Table, row: &Row, key: Option<&str>) -> bool {
        let ids: Vec<&str> = [row.code.as_deref(), row.line.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        self.locations.iter().any(|l| {
            l.table.as_deref() == Some(table.kind.as_str())
                && l.row.as_deref().is_some_and(|r| ids.contains(&r))
                && match (l.column.as_deref(), key) {
                    (None, _) | (_, None) => true,
                    (Some(c), Some(k)) => c == k,
                }
        })
    }

    /// A finding with its check, severity and message; the rest empty.
    pub fn new(check: impl Into<String>, severity: Severity, message: impl Into<String>) -> Flag {
        Flag {
            id: String::new(),
            check: check.into(),
            severity,
            message: message.into(),
            locations: Vec::new(),
            pages: Vec::new(),
            snippet: None,
            expected: None,
            found: None,
            difference: None,
            printed_unit: None,
            related: Vec::new(),
            accepted: false,
        }
    }
}

/// A flag's amounts in the document's printed unit.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct PrintedAmounts {
    /// The unit ("万元").
    pub unit: String,
    /// The value the relation implies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The value printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    /// found − expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference: Option<String>,
}

/// A finding folded into another (same root cause).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct RelatedFlag {
    /// Its stable id.
    pub id: String,
    /// Its check.
    pub check: String,
    /// Its severity.
    pub severity: Severity,
    /// Its message.
    pub message: String,
}

/// Why a document could not be read.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct RecordError {
    /// A stable id.
    pub kind: ErrorKind,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

/// The JSON Schema of [`Record`], pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Record);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// A unit enum's name as the record's JSON spells it (`final_account`,
/// `no_text_layer`); None for values that are not one string.
pub fn json_name<T: Serialize>(v: &T) -> Option<String> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Some(s),
        _ => None,
    }
}
