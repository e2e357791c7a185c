//! The pattern schema and loader. Patterns are data: one TOML file per table
//! kind under `patterns/<document kind>/`, plus `patterns/common.toml` for
//! what every table shares (labels, metadata lines, column roles, named
//! lines, function-class names). See `patterns/README.md` for the schema.
//!
//! Every regex is matched against NFKC-normalized text with all whitespace
//! removed. Files are compiled once; an invalid file is an error naming the
//! file and the key.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::record::{DocumentKind, Side};

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled_patterns.rs"));
}

/// A list of regexes; matches when any matches.
#[derive(Debug, Clone, Default)]
pub struct AnyOf(pub Vec<Regex>);

impl AnyOf {
    /// True when any regex matches.
    pub fn is_match(&self, s: &str) -> bool {
        self.0.iter().any(|r| r.is_match(s))
    }

    /// The first capture group of the first regex that matches.
    pub fn capture(&self, s: &str) -> Option<String> {
        self.0.iter().find_map(|r| {
            r.captures(s)
                .and_then(|c| c.get(1).or_else(|| c.get(0)))
                .map(|m| m.as_str().to_string())
        })
    }

    /// The longest match of any regex.
    pub fn longest<'a>(&self, s: &'a str) -> Option<regex::Match<'a>> {
        self.0
            .iter()
            .filter_map(|r| r.find(s))
            .max_by_key(|m| m.as_str().chars().count())
    }

    fn compile(file: &str, key: &str, sources: &[String]) -> Result<AnyOf> {
        sources
            .iter()
            .map(|s| {
                Regex::new(s).map_err(|e| {
                    Error::new(
                        ErrorKind::Pattern,
                        format!("patterns/{file}: `{key}`: invalid regex {s:?}: {e}"),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(AnyOf)
    }
}

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
struct RawFamilies {
    family: Vec<RawFamily>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFamily {
    id: String,
    document: DocumentKind,
    titles: Vec<String>,
    required: Vec<String>,
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
    /// Year lines (group 1).
    pub year: AnyOf,
    /// Declared-empty markers.
    pub empty_markers: AnyOf,
    /// Note lines.
    pub notes: AnyOf,
    /// Placeholder cells.
    pub placeholders: AnyOf,
    /// Column roles.
    pub roles: Roles,
    /// Named lines of every table.
    pub lines: Vec<LineRule>,
    /// Function-class code by name.
    pub function_classes: Vec<(String, AnyOf)>,
}

/// Every pattern, compiled.
#[derive(Debug, Clone, Default)]
pub struct PatternSet {
    /// Shared patterns.
    pub common: Common,
    /// Table kinds.
    pub tables: Vec<TablePattern>,
    /// Template families with their own table sets.
    pub families: Vec<Family>,
    /// Consistency relations (`patterns/checks/`).
    pub checks: crate::check::CheckSet,
    /// Narrative rules (`patterns/narrative/`).
    pub narrative: crate::narrative::NarrativePatterns,
    /// SHA-256 (hex) over every file the set was compiled from (names and
    /// texts, in name order; crawler `sources/` left out): two sets with the
    /// same fingerprint read documents the same way. The dataset store keeps
    /// it with each document.
    pub fingerprint: String,
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
struct RawTable {
    kind: String,
    document: DocumentKind,
    name: String,
    titles: Vec<String>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    required: bool,
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
struct RawCommon {
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
    year: Vec<String>,
    empty_markers: Vec<String>,
    notes: Vec<String>,
    placeholders: Vec<String>,
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

/// The pattern files bundled into the binary: (path under `patterns/`, TOML text).
pub fn bundled_files() -> &'static [(&'static str, &'static str)] {
    bundled::BUNDLED
}

impl PatternSet {
    /// The patterns bundled into the binary from `patterns/`.
    pub fn bundled() -> Result<PatternSet> {
        Self::from_files(
            bundled::BUNDLED
                .iter()
                .map(|(p, s)| (p.to_string(), s.to_string())),
        )
    }

    /// Loads every `.toml` file under `dir` (recursively), replacing the bundled set.
    pub fn from_dir(dir: &Path) -> Result<PatternSet> {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry
                .map_err(|e| Error::new(ErrorKind::Pattern, format!("{}: {e}", dir.display())))?;
            let path = entry.path();
            if path.extension().is_some_and(|x| x == "toml") {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Error::new(ErrorKind::Pattern, format!("{}: {e}", path.display()))
                })?;
                let rel = path
                    .strip_prefix(dir)
                    .unwrap_or(path)
                    .to_string_lossy()
                    .into_owned();
                files.push((rel, text));
            }
        }
        Self::from_files(files)
    }

    /// Compiles a set of (name, TOML text) files. `common.toml` holds the
    /// shared patterns; files under `sources/` (crawler portals) are skipped;
    /// files under `narrative/` are compiled by [`crate::narrative`].
    pub fn from_files(files: impl IntoIterator<Item = (String, String)>) -> Result<PatternSet> {
        let mut set = PatternSet::default();
        let mut have_common = false;
        let mut check_files = Vec::new();
        let mut narrative = Vec::new();
        let mut hashed = Vec::new();
        for (name, text) in files {
            let name = name.replace('\\', "/");
            if !name.starts_with("sources/") {
                hashed.push((name.clone(), crate::extract::sha256_hex(text.as_bytes())));
            }
            if name.starts_with("checks/") {
                check_files.push((name, text));
                continue;
            }
            if name.starts_with("narrative/") {
                narrative.push((name, text));
                continue;
            }
            if name.starts_with("sources/") {
                continue;
            }
            let err = |e: toml::de::Error| {
                Error::new(ErrorKind::Pattern, format!("patterns/{name}: {e}"))
            };
            if name == "families.toml" {
                let raw: RawFamilies = toml::from_str(&text).map_err(err)?;
                for f in raw.family {
                    set.families.push(Family {
                        titles: AnyOf::compile(
                            &name,
                            &format!("family.{}.titles", f.id),
                            &f.titles,
                        )?,
                        id: f.id,
                        document: f.document,
                        required: f.required,
                    });
                }
            } else if name == "common.toml" {
                let raw: RawCommon = toml::from_str(&text).map_err(err)?;
                set.common = compile_common(&name, raw)?;
                have_common = true;
            } else {
                let raw: RawTable = toml::from_str(&text).map_err(err)?;
                set.tables.push(compile_table(&name, raw)?);
            }
        }
        hashed.sort();
        let mut listing = String::new();
        for (name, hash) in &hashed {
            listing.push_str(name);
            listing.push('\t');
            listing.push_str(hash);
            listing.push('\n');
        }
        set.fingerprint = crate::extract::sha256_hex(listing.as_bytes());
        set.checks = crate::check::CheckSet::from_files(check_files)?;
        set.narrative = crate::narrative::NarrativePatterns::from_files(&narrative)?;
        if !have_common {
            return Err(Error::new(
                ErrorKind::Pattern,
                "patterns: common.toml is missing",
            ));
        }
        let mut kinds: Vec<&str> = set.tables.iter().map(|t| t.kind.as_str()).collect();
        kinds.sort_unstable();
        if let Some(w) = kinds.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::new(
                ErrorKind::Pattern,
                format!("patterns: kind `{}` is defined twice", w[0]),
            ));
        }
        for f in &set.families {
            if let Some(k) = f.required.iter().find(|k| set.table(k).is_none()) {
                return Err(Error::new(
                    ErrorKind::Pattern,
                    format!(
                        "patterns/families.toml: family `{}` requires unknown kind `{k}`",
                        f.id
                    ),
                ));
            }
        }
        Ok(set)
    }

    /// The pattern of a kind.
    pub fn table(&self, kind: &str) -> Option<&TablePattern> {
        self.tables.iter().find(|t| t.kind == kind)
    }
}

fn compile_common(file: &str, raw: RawCommon) -> Result<Common> {
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
        year: c("year", &raw.year)?,
        empty_markers: c("empty_markers", &raw.empty_markers)?,
        notes: c("notes", &raw.notes)?,
        placeholders: c("placeholders", &raw.placeholders)?,
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

fn compile_table(file: &str, raw: RawTable) -> Result<TablePattern> {
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
        sides: raw.sides,
        name_codes: raw.name_codes,
        columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_patterns_compile() {
        let set = PatternSet::bundled().unwrap_or_else(|e| panic!("{e}"));
        assert!(set.tables.len() >= 10, "{} table kinds", set.tables.len());
        assert!(set.table("income_expenditure_summary").is_some());
    }

    #[test]
    fn a_bad_regex_names_file_and_key() {
        let files = vec![
            (
                "common.toml".to_string(),
                include_str!("../../patterns/common.toml").to_string(),
            ),
            (
                "final_account/x.toml".to_string(),
                "kind='x'\ndocument='final_account'\nname='x'\ntitles=['(']\n".to_string(),
            ),
        ];
        let err = PatternSet::from_files(files)
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(
            err.contains("final_account/x.toml") && err.contains("titles"),
            "{err}"
        );
    }

    #[test]
    fn a_family_must_name_known_kinds() {
        let set = PatternSet::bundled().unwrap_or_else(|e| panic!("{e}"));
        assert!(set.families.iter().any(|f| f.id == "moe_university"));
        let mut files: Vec<(String, String)> = bundled_files()
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .filter(|(n, _)| n != "families.toml")
            .collect();
        files.push((
            "families.toml".to_string(),
            "[[family]]\nid='u'\ndocument='final_account'\ntitles=['高等学校']\nrequired=['no_such_kind']\n"
                .to_string(),
        ));
        let err = PatternSet::from_files(files)
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(err.contains("no_such_kind"), "{err}");
    }
}
