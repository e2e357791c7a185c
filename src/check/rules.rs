//! The relation schema (`patterns/checks/*.toml`) and cell references.

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::record::{Level, Severity, Side};

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
    /// Highest severity this relation may raise.
    #[serde(default)]
    pub cap: Option<Severity>,
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
