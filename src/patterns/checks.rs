//! The relation schema (`patterns/checks/*.toml`) and cell references.

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::record::{DocumentKind, Level, Scope, Severity, Side};

/// Per row of a table: `total` = Σ `parts` (a part may be negated with "-").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSum {
    /// Check id.
    pub id: String,
    /// Table kind.
    pub table: String,
    /// The total column key.
    pub total: String,
    /// The part column keys.
    pub parts: Vec<String>,
    /// The relation applies only to layouts that print every one of these
    /// columns (e.g. 人员经费 and 公用经费 printed without a 基本支出 subtotal).
    #[serde(default)]
    pub requires: Vec<String>,
    /// Highest severity this relation may raise.
    #[serde(default)]
    pub cap: Option<Severity>,
}

/// Parent rows equal the sum of their children, the total line the sum of classes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hierarchy {
    /// Check id.
    pub id: String,
    /// Table kinds it applies to.
    pub tables: Vec<String>,
}

/// Σ left = Σ right, over cell references.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equal {
    /// Check id.
    pub id: String,
    /// Left terms.
    pub left: Vec<String>,
    /// Right terms.
    pub right: Vec<String>,
    /// Instantiate once per column key, substituted for `{column}`.
    #[serde(default)]
    pub each_column: Vec<String>,
    /// Skip when no right-hand row exists at all (a layout that does not print the detail).
    #[serde(default)]
    pub skip_if_parts_absent: bool,
    /// Skip when no left-hand cell holds a value (a layout that does not print that total).
    #[serde(default)]
    pub skip_if_left_absent: bool,
    /// Highest severity this relation may raise.
    #[serde(default)]
    pub cap: Option<Severity>,
    /// Left ≤ right: only an excess beyond rounding is flagged.
    #[serde(default)]
    pub at_most: bool,
}

/// For every code of a level found in either table: left cell = right cell.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EachCode {
    /// Check id.
    pub id: String,
    /// Code level compared.
    pub level: Level,
    /// "TABLE[@SIDE] COLUMN".
    pub left: String,
    /// "TABLE[@SIDE] COLUMN".
    pub right: String,
    /// Highest severity this relation may raise.
    #[serde(default)]
    pub cap: Option<Severity>,
}

/// A narrative fact's amount equals a sum of table cells.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactTable {
    /// Fact id.
    pub fact: String,
    /// Only facts whose subject matches.
    #[serde(default, with = "opt_regex")]
    pub subject: Option<regex::Regex>,
    /// Cell references; `{class}` and `{subject}` are filled from the fact.
    pub cells: Vec<String>,
}

/// A fact's percent is its amount over a base fact's amount.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactShare {
    /// Fact id (with amount and percent).
    pub fact: String,
    /// The base fact id.
    pub base: String,
}

/// A change percentage is the change over last year's amount (current − change).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactChange {
    /// This year's amount.
    pub current: String,
    /// The change amount.
    pub change: String,
    /// The change percentage.
    pub percent: String,
}

/// A growth percentage is (current − base) / base, both stated in the same
/// sentence ("2025年当年预算执行数为X万元, 2026年预算安排Y万元, 比2025年预算执行数增加P%");
/// its sign is the direction the text states.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactGrowth {
    /// The percentage fact.
    pub percent: String,
    /// This year's amount.
    pub current: String,
    /// The amount it is compared with.
    pub base: String,
}

/// A percentage is numerator over denominator (completion rates).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactRatio {
    /// The percentage fact.
    pub percent: String,
    /// Numerator fact.
    pub numerator: String,
    /// Denominator fact.
    pub denominator: String,
}

/// Parts add up to a total (or at most to it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactSum {
    /// The total fact.
    pub total: String,
    /// Part fact ids (every fact with these ids in the same section).
    pub parts: Vec<String>,
    /// The parts are the main items only: flag only when they exceed the total.
    #[serde(default)]
    pub at_most: bool,
}

/// A percentage of a table quantity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactTableShare {
    /// The percentage fact.
    pub percent: String,
    /// Numerator fact.
    pub numerator: String,
    /// Denominator table cells.
    pub denominator: Vec<String>,
}

/// Two totals that are equal (both sides of a balance) change by the same amount.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactSameChange {
    /// The two total facts.
    pub totals: [String; 2],
    /// Their two change facts.
    pub changes: [String; 2],
}

/// A wording rule: a pattern in the running text that is a finding
/// (template residue, a placeholder, doubled punctuation, scope words).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextRule {
    /// Check id.
    pub id: String,
    /// Severity of a match.
    pub severity: Severity,
    /// Matched against the squashed, NFKC-normalized text (or the printed
    /// characters line by line, with `printed`). A group named `hit` is
    /// what the finding is about (else the whole match).
    #[serde(with = "re")]
    pub pattern: regex::Regex,
    /// Matches of this are no finding (checked on the sentence around).
    #[serde(default, with = "opt_regex")]
    pub unless: Option<regex::Regex>,
    /// What is wrong, for a person; `{hit}` is replaced by the text.
    pub message: String,
    /// Match the characters as printed (garbled characters NFKC would hide).
    #[serde(default)]
    pub printed: bool,
    /// Only in documents of these kinds (all when empty).
    #[serde(default)]
    pub documents: Vec<DocumentKind>,
    /// Only in documents of this scope.
    #[serde(default)]
    pub scope: Option<Scope>,
    /// Only in documents whose title matches.
    #[serde(default, with = "opt_regex")]
    pub title: Option<regex::Regex>,
    /// One flag per document (the first match, with the count of all).
    #[serde(default)]
    pub once: bool,
}

/// How the narrative states one functional-classification item: its
/// 类/款/项 chain and the amount that follows, checked against the row of
/// that item in `tables`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemStatement {
    /// Document kinds it applies to.
    pub documents: Vec<DocumentKind>,
    /// Over the squashed normalized text: groups `class`, `section`,
    /// `item`, optionally `class_code`, `section_code`, `item_code`.
    #[serde(with = "re")]
    pub chain: regex::Regex,
    /// Right after the chain: groups `amount` and `unit`.
    #[serde(with = "re")]
    pub amount: regex::Regex,
    /// Table kinds holding the item rows, in order.
    pub tables: Vec<String>,
    /// Value columns compared, in order (the first a row prints).
    pub columns: Vec<String>,
}

/// A function-classification name the Ministry of Finance replaced.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Renaming {
    /// The code (3, 5 or 7 digits).
    pub code: String,
    /// The name before.
    pub old: String,
    /// The name from `from` on.
    pub new: String,
    /// First budget year of the new name.
    pub from: i32,
    /// Where the change is documented.
    pub source: String,
}

/// A section every full disclosure of a kind has.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredSection {
    /// Id (in the check id and messages).
    pub id: String,
    /// Its name, for messages.
    pub name: String,
    /// Document kinds that require it.
    pub documents: Vec<DocumentKind>,
    /// A text line that is the section (its heading) or its content.
    #[serde(with = "re")]
    pub pattern: regex::Regex,
}

mod re {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<regex::Regex, D::Error> {
        let s = String::deserialize(d)?;
        regex::Regex::new(&s).map_err(serde::de::Error::custom)
    }
}

mod opt_regex {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<regex::Regex>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| regex::Regex::new(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// Every relation of one document kind.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSet {
    /// Column identities.
    #[serde(default)]
    pub column_sum: Vec<ColumnSum>,
    /// Hierarchy sums.
    #[serde(default)]
    pub hierarchy: Vec<Hierarchy>,
    /// Equalities.
    #[serde(default)]
    pub equal: Vec<Equal>,
    /// Per-code equalities.
    #[serde(default)]
    pub each_code: Vec<EachCode>,
    /// Narrative facts against table cells.
    #[serde(default)]
    pub fact_table: Vec<FactTable>,
    /// Narrative shares.
    #[serde(default)]
    pub fact_share: Vec<FactShare>,
    /// Narrative change percentages.
    #[serde(default)]
    pub fact_change: Vec<FactChange>,
    /// Narrative completion rates.
    #[serde(default)]
    pub fact_ratio: Vec<FactRatio>,
    /// Narrative growth percentages.
    #[serde(default)]
    pub fact_growth: Vec<FactGrowth>,
    /// Narrative sums.
    #[serde(default)]
    pub fact_sum: Vec<FactSum>,
    /// Narrative percentages of table quantities.
    #[serde(default)]
    pub fact_table_share: Vec<FactTableShare>,
    /// Balanced totals change alike.
    #[serde(default)]
    pub fact_same_change: Vec<FactSameChange>,
    /// Wording rules.
    #[serde(default)]
    pub text: Vec<TextRule>,
    /// Renamed function-classification names, dated.
    #[serde(default)]
    pub renamed: Vec<Renaming>,
    /// Sections a full disclosure has.
    #[serde(default)]
    pub section: Vec<RequiredSection>,
    /// Narrative statements about one classification item.
    #[serde(default)]
    pub item_statement: Vec<ItemStatement>,
    /// Function-class codes and their names (from `common.toml`), for facts
    /// that name a class.
    #[serde(skip)]
    pub function_classes: Vec<(String, super::AnyOf)>,
}

impl CheckSet {
    /// Loads and merges check files (name, TOML text); references are validated.
    pub fn from_files(files: impl IntoIterator<Item = (String, String)>) -> Result<CheckSet> {
        let mut set = CheckSet::default();
        for (name, text) in files {
            let part: CheckSet = toml::from_str(&text)
                .map_err(|e| Error::new(ErrorKind::Pattern, format!("patterns/{name}: {e}")))?;
            for eq in &part.equal {
                for term in eq.left.iter().chain(&eq.right) {
                    let cols = if eq.each_column.is_empty() {
                        vec![String::new()]
                    } else {
                        eq.each_column.clone()
                    };
                    for col in cols {
                        Reference::parse(&term.replace("{column}", &col)).map_err(|m| {
                            Error::new(
                                ErrorKind::Pattern,
                                format!("patterns/{name}: `{}`: {m}", eq.id),
                            )
                        })?;
                    }
                }
            }
            set.text.extend(part.text);
            set.renamed.extend(part.renamed);
            set.section.extend(part.section);
            set.item_statement.extend(part.item_statement);
            set.fact_growth.extend(part.fact_growth);
            set.fact_table.extend(part.fact_table);
            set.fact_share.extend(part.fact_share);
            set.fact_change.extend(part.fact_change);
            set.fact_ratio.extend(part.fact_ratio);
            set.fact_sum.extend(part.fact_sum);
            set.fact_table_share.extend(part.fact_table_share);
            set.fact_same_change.extend(part.fact_same_change);
            set.column_sum.extend(part.column_sum);
            set.hierarchy.extend(part.hierarchy);
            set.equal.extend(part.equal);
            set.each_code.extend(part.each_code);
        }
        Ok(set)
    }
}

/// Which rows a reference sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowSel {
    /// A named line.
    Line(String),
    /// A code.
    Code(String),
    /// The n-th row.
    Index(usize),
    /// Every row of a level.
    Level(Level),
    /// The row with this name (enumeration and a trailing 支出 ignored).
    Name(String),
}

/// A parsed cell reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Subtract instead of add.
    pub negative: bool,
    /// Table kind.
    pub table: String,
    /// Side of a two-sided table.
    pub side: Option<Side>,
    /// Rows.
    pub rows: RowSel,
    /// Column key.
    pub column: String,
}

/// Splits "TABLE@SIDE" into kind and side.
pub fn table_and_side(s: &str) -> Result<(String, Option<Side>), String> {
    match s.split_once('@') {
        None => Ok((s.to_string(), None)),
        Some((t, "income")) => Ok((t.to_string(), Some(Side::Income))),
        Some((t, "expenditure")) => Ok((t.to_string(), Some(Side::Expenditure))),
        Some((_, other)) => Err(format!("unknown side `{other}`")),
    }
}

impl Reference {
    /// Parses "[-]TABLE[@SIDE] ROW COLUMN".
    pub fn parse(s: &str) -> Result<Reference, String> {
        let (negative, s) = match s.trim().strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.trim()),
        };
        let parts: Vec<&str> = s.split_whitespace().collect();
        let [table, row, column] = parts[..] else {
            return Err(format!("`{s}` is not `TABLE[@SIDE] ROW COLUMN`"));
        };
        let (table, side) = table_and_side(table)?;
        let rows = match row.split_once(':') {
            Some(("line", id)) => RowSel::Line(id.to_string()),
            Some(("code", c)) => RowSel::Code(c.to_string()),
            Some(("row", n)) => {
                RowSel::Index(n.parse().map_err(|_| format!("bad row index `{n}`"))?)
            }
            Some(("level", "class")) => RowSel::Level(Level::Class),
            Some(("level", "section")) => RowSel::Level(Level::Section),
            Some(("level", "item")) => RowSel::Level(Level::Item),
            Some(("name", n)) if !n.is_empty() => RowSel::Name(n.to_string()),
            _ => return Err(format!("bad row selector `{row}`")),
        };
        if column.is_empty() {
            return Err("empty column".into());
        }
        Ok(Reference {
            negative,
            table,
            side,
            rows,
            column: column.to_string(),
        })
    }
}
