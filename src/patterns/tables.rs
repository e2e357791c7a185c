//! The table part of the patterns, what recognition receives: one TOML file
//! per table kind under `patterns/<document kind>/`, plus
//! `patterns/common.toml` for what every table shares (labels, metadata
//! lines, column roles, named lines, function-class names); and the template
//! families of `patterns/families.toml`.
//!
//! Every regex is matched against NFKC-normalized text with all whitespace
//! removed.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;

use super::AnyOf;

use crate::error::{Error, ErrorKind, Result};
use crate::record::{DocumentKind, Side};

/// How a value column is recognized from its header path.
#[derive(Debug, Clone)]
pub struct ColumnRule {
    /// The column key it yields.
    pub key: String,
    /// Any of these must match the header path.
    pub header: AnyOf,
    /// All of these must match too.
    pub all: Vec<Regex>,
    /// None of these may match.
    pub not: AnyOf,
}

impl ColumnRule {
    /// True when the rule accepts this header path.
    pub fn matches(&self, path: &str) -> bool {
        self.header.is_match(path)
            && self.all.iter().all(|r| r.is_match(path))
            && !self.not.is_match(path)
    }
}

/// A group of value columns (e.g. budget and actual) sharing item keys.
#[derive(Debug, Clone)]
pub struct Group {
    /// Prefix put before the item key (`budget_`).
    pub prefix: String,
    /// Header paths that belong to the group.
    pub header: AnyOf,
}

/// A named line (a row identified by its name, not a code).
#[derive(Debug, Clone)]
pub struct LineRule {
    /// The stable line id.
    pub id: String,
    /// Row names (enumeration prefix removed) that are this line.
    pub names: AnyOf,
    /// Only on this side of a two-sided table.
    pub side: Option<Side>,
    /// Only after a row with this line id (same side) was seen.
    pub after: Option<String>,
}

impl LineRule {
    /// True when the rule accepts a row.
    pub fn matches(&self, name: &str, side: Option<Side>, seen: &[(Option<Side>, String)]) -> bool {
        if self.side.is_some() && self.side != side {
            return false;
        }
        if let Some(after) = &self.after {
            if !seen.iter().any(|(s, id)| *s == side && id == after) {
                return false;
            }
        }
        self.names.is_match(name)
    }
}

/// A regional or sectoral template family whose full disclosure has a set of
/// tables of its own (`patterns/families.toml`).
#[derive(Debug, Clone)]
pub struct Family {
    /// The family id.
    pub id: String,
    /// The document kind it is a template of.
    pub document: DocumentKind,
    /// A document is of the family when a table title matches one of these.
    pub titles: AnyOf,
    /// The table kinds a full disclosure of the family has.
    pub required: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFamilies {
    pub(super) family: Vec<RawFamily>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFamily {
    pub(super) id: String,
    pub(super) document: DocumentKind,
    pub(super) titles: Vec<String>,
    pub(super) required: Vec<String>,
}

/// One table kind.
#[derive(Debug, Clone)]
pub struct TablePattern {
    /// The kind id.
    pub kind: String,
    /// Final account or budget.
    pub document: DocumentKind,
    /// The standard Chinese name.
    pub name: String,
    /// Title regexes (the longest match over all patterns wins).
    pub titles: AnyOf,
    /// Printed labels that confirm the kind.
    pub labels: Vec<String>,
    /// Whether a complete disclosure must contain it.
    pub required: bool,
    /// Printed once per project or item (项目绩效目标表): many tables of this
    /// kind in one document are expected, not duplicates.
    pub repeats: bool,
    /// Sides of a two-sided table, left to right.
    pub sides: Vec<Side>,
    /// Give rows named after a function class their class code.
    pub name_codes: bool,
    /// Rows whose values are counts, not money.
    pub count_rows: AnyOf,
    /// Value-column rules, tried in order.
    pub columns: Vec<ColumnRule>,
    /// Column groups (budget/actual) whose prefix goes before the column keys.
    pub groups: Vec<Group>,
    /// Named lines of this table (tried before the common ones).
    pub lines: Vec<LineRule>,
    /// Printed orders of the value columns (keys, left to right) of this
    /// kind's templates, for a multi-level header whose text was linearized
    /// line by line (its reading order is not the columns' order).
    pub layouts: Vec<Vec<String>>,
    /// The column identities of this kind (`total` = Σ `parts`, the
    /// `column_sum` relations of `patterns/checks/` without negated parts):
    /// what rebuilding a collapsed text table may rely on to place amounts.
    pub identities: Vec<Identity>,
}

/// A column identity of a table kind, taken from its `column_sum` relations.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The total column key.
    pub total: String,
    /// The part column keys.
    pub parts: Vec<String>,
    /// Applies only when every one of these columns is printed.
    pub requires: Vec<String>,
}

/// Everything recognition needs: the shared patterns and every table kind.
#[derive(Debug, Clone, Default)]
pub struct TablePatterns {
    /// Shared patterns (`common.toml`).
    pub common: Common,
    /// Table kinds, in file-name order.
    pub kinds: Vec<TablePattern>,
}

impl TablePatterns {
    /// The pattern of a kind.
    pub fn table(&self, kind: &str) -> Option<&TablePattern> {
        self.kinds.iter().find(|t| t.kind == kind)
    }
}

/// Column roles that identify a row.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    /// A code in one column.
    pub code: AnyOf,
    /// 类 of a split code.
    pub code_class: AnyOf,
    /// 款 of a split code.
    pub code_section: AnyOf,
    /// 项 of a split code.
    pub code_item: AnyOf,
    /// The row name.
    pub name: AnyOf,
    /// The printed line number.
    pub line_no: AnyOf,
}

/// What every table shares.
#[derive(Debug, Clone, Default)]
pub struct Common {
    /// Label lines.
    pub labels: AnyOf,
    /// A label printed inside a title line.
    pub label_in_title: AnyOf,
    /// Enumeration prefixes.
    pub enumeration: AnyOf,
    /// "Of which" prefixes: the row is part of the row above.
    pub sub_line: AnyOf,
    /// Unit-name lines (group 1).
    pub unit_name: AnyOf,
    /// Texts that are never a unit name: section headings, table captions,
    /// a region alone.
    pub not_unit_name: AnyOf,
    /// Amount-unit lines (group 1).
    pub amount_unit: AnyOf,
    /// A line whose amount unit is on the next line.
    pub amount_unit_dangling: AnyOf,
    /// Value-column headers whose numbers are not money (分值, 得分, 权重).
    pub count_columns: AnyOf,
    /// Year lines (group 1).
    pub year: AnyOf,
    /// Declared-empty markers.
    pub empty_markers: AnyOf,
    /// Note lines.
    pub notes: AnyOf,
    /// Placeholder cells.
    pub placeholders: AnyOf,
    /// Label cells of a row of column numbers (栏次, 行次).
    pub column_number_labels: AnyOf,
    /// A total line's name as the last header level (合计, 小计, 总计).
    pub header_totals: AnyOf,
    /// The document's title line, with named groups `year`, `department` /
    /// `unit` (scope) and `final_account` / `budget` (kind).
    pub document_title: AnyOf,
    /// Lines that match `document_title` without being it (contents parts).
    pub not_document_title: AnyOf,
    /// Page markers of text renderings.
    pub page_markers: AnyOf,
    /// The region at the front of a unit name, group `region`.
    pub region: AnyOf,
    /// Column roles.
    pub roles: Roles,
    /// Named lines of every table.
    pub lines: Vec<LineRule>,
    /// Function-class code by name.
    pub function_classes: Vec<(String, AnyOf)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumn {
    key: String,
    header: Vec<String>,
    #[serde(default)]
    all: Vec<String>,
    #[serde(default)]
    not: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    prefix: String,
    header: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    id: String,
    names: Vec<String>,
    #[serde(default)]
    side: Option<Side>,
    #[serde(default)]
    after: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTable {
    kind: String,
    document: DocumentKind,
    name: String,
    titles: Vec<String>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    repeats: bool,
    #[serde(default)]
    sides: Vec<Side>,
    #[serde(default)]
    name_codes: bool,
    #[serde(default)]
    count_rows: Vec<String>,
    #[serde(default)]
    columns: Vec<RawColumn>,
    #[serde(default)]
    groups: Vec<RawGroup>,
    #[serde(default)]
    lines: Vec<RawLine>,
    #[serde(default)]
    layouts: Vec<RawLayout>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayout {
    keys: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRoles {
    #[serde(default)]
    code: Vec<String>,
    #[serde(default)]
    code_class: Vec<String>,
    #[serde(default)]
    code_section: Vec<String>,
    #[serde(default)]
    code_item: Vec<String>,
    #[serde(default)]
    name: Vec<String>,
    #[serde(default)]
    line_no: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCommon {
    labels: Vec<String>,
    label_in_title: Vec<String>,
    enumeration: Vec<String>,
    #[serde(default)]
    sub_line: Vec<String>,
    unit_name: Vec<String>,
    #[serde(default)]
    not_unit_name: Vec<String>,
    amount_unit: Vec<String>,
    amount_unit_dangling: Vec<String>,
    #[serde(default)]
    count_columns: Vec<String>,
    year: Vec<String>,
    empty_markers: Vec<String>,
    notes: Vec<String>,
    placeholders: Vec<String>,
    #[serde(default)]
    column_number_labels: Vec<String>,
    #[serde(default)]
    header_totals: Vec<String>,
    #[serde(default)]
    document_title: Vec<String>,
    #[serde(default)]
    not_document_title: Vec<String>,
    #[serde(default)]
    page_markers: Vec<String>,
    #[serde(default)]
    region: Vec<String>,
    roles: RawRoles,
    #[serde(default)]
    lines: Vec<RawLine>,
    #[serde(default)]
    function_classes: BTreeMap<String, Vec<String>>,
}

fn compile_lines(file: &str, raw: Vec<RawLine>) -> Result<Vec<LineRule>> {
    raw.into_iter()
        .map(|l| {
            Ok(LineRule {
                names: AnyOf::compile(file, &format!("lines.{}.names", l.id), &l.names)?,
                id: l.id,
                side: l.side,
                after: l.after,
            })
        })
        .collect()
}

pub(super) fn compile_common(file: &str, raw: RawCommon) -> Result<Common> {
    let c = |key: &str, v: &[String]| AnyOf::compile(file, key, v);
    Ok(Common {
        labels: c("labels", &raw.labels)?,
        label_in_title: c("label_in_title", &raw.label_in_title)?,
        enumeration: c("enumeration", &raw.enumeration)?,
        sub_line: c("sub_line", &raw.sub_line)?,
        unit_name: c("unit_name", &raw.unit_name)?,
        not_unit_name: c("not_unit_name", &raw.not_unit_name)?,
        amount_unit: c("amount_unit", &raw.amount_unit)?,
        amount_unit_dangling: c("amount_unit_dangling", &raw.amount_unit_dangling)?,
        count_columns: c("count_columns", &raw.count_columns)?,
        year: c("year", &raw.year)?,
        empty_markers: c("empty_markers", &raw.empty_markers)?,
        notes: c("notes", &raw.notes)?,
        placeholders: c("placeholders", &raw.placeholders)?,
        column_number_labels: c("column_number_labels", &raw.column_number_labels)?,
        header_totals: c("header_totals", &raw.header_totals)?,
        document_title: c("document_title", &raw.document_title)?,
        not_document_title: c("not_document_title", &raw.not_document_title)?,
        page_markers: c("page_markers", &raw.page_markers)?,
        region: c("region", &raw.region)?,
        roles: Roles {
            code: c("roles.code", &raw.roles.code)?,
            code_class: c("roles.code_class", &raw.roles.code_class)?,
            code_section: c("roles.code_section", &raw.roles.code_section)?,
            code_item: c("roles.code_item", &raw.roles.code_item)?,
            name: c("roles.name", &raw.roles.name)?,
            line_no: c("roles.line_no", &raw.roles.line_no)?,
        },
        lines: compile_lines(file, raw.lines)?,
        function_classes: raw
            .function_classes
            .into_iter()
            .map(|(code, names)| {
                Ok((
                    code.clone(),
                    c(&format!("function_classes.{code}"), &names)?,
                ))
            })
            .collect::<Result<_>>()?,
    })
}

pub(super) fn compile_table(file: &str, raw: RawTable) -> Result<TablePattern> {
    let c = |key: &str, v: &[String]| AnyOf::compile(file, key, v);
    let columns = raw
        .columns
        .into_iter()
        .map(|col| {
            Ok(ColumnRule {
                header: c(&format!("columns.{}.header", col.key), &col.header)?,
                all: c(&format!("columns.{}.all", col.key), &col.all)?.0,
                not: c(&format!("columns.{}.not", col.key), &col.not)?,
                key: col.key,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let groups = raw
        .groups
        .into_iter()
        .map(|g| {
            Ok(Group {
                header: c(&format!("groups.{}.header", g.prefix), &g.header)?,
                prefix: g.prefix,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut layouts = Vec::with_capacity(raw.layouts.len());
    for layout in raw.layouts {
        if let Some(k) = layout
            .keys
            .iter()
            .find(|k| !columns.iter().any(|c: &ColumnRule| c.key == **k))
        {
            return Err(Error::new(
                ErrorKind::Pattern,
                format!("patterns/{file}: `layouts.keys`: {k:?} is no column key of this kind"),
            ));
        }
        layouts.push(layout.keys);
    }
    Ok(TablePattern {
        layouts,
        groups,
        titles: c("titles", &raw.titles)?,
        count_rows: c("count_rows", &raw.count_rows)?,
        lines: compile_lines(file, raw.lines)?,
        kind: raw.kind,
        document: raw.document,
        name: raw.name,
        labels: raw.labels,
        required: raw.required,
        repeats: raw.repeats,
        sides: raw.sides,
        name_codes: raw.name_codes,
        columns,
        identities: Vec::new(),
    })
}
