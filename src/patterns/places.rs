//! The place patterns (`patterns/places/`): the administrative division
//! table (GB/T 2260 codes and names, `divisions.toml`) a document's place is
//! resolved against, and how a unit's name is spelled one way
//! (`units.toml`).

use std::collections::{BTreeMap, HashMap};

use regex::Regex;
use serde::Deserialize;

use super::AnyOf;
use crate::error::{Error, ErrorKind, Result};

/// One administrative division.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    /// The six-digit code (140400).
    pub code: u32,
    /// Its name (长治市).
    pub name: String,
    /// A name the code had before a rename or merge (`[former]`).
    pub former: bool,
}

impl Division {
    /// Province, city or county level, by the code's shape.
    pub fn level(&self) -> DivisionLevel {
        if self.code.is_multiple_of(10_000) {
            DivisionLevel::Province
        } else if self.code.is_multiple_of(100) {
            DivisionLevel::City
        } else {
            DivisionLevel::County
        }
    }
}

/// The three levels of GB/T 2260.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DivisionLevel {
    /// 省级 (xx0000).
    Province,
    /// 地级 (xxxx00).
    City,
    /// 县级.
    County,
}

/// One spelling rule: the first match of `pattern` in a unit name is
/// replaced by `replace` (`${group}` refers to a named group).
#[derive(Debug, Clone)]
pub struct Spelling {
    /// The regex, matched against the NFKC-normalized, whitespace-free name.
    pub pattern: Regex,
    /// The replacement.
    pub replace: String,
}

/// The compiled place patterns.
#[derive(Debug, Clone, Default)]
pub struct Places {
    /// Every division, current names first, then former names.
    pub divisions: Vec<Division>,
    /// Indices into `divisions` by name.
    by_name: HashMap<String, Vec<usize>>,
    /// Current names by code.
    by_code: HashMap<u32, usize>,
    /// Prefixes a unit name may carry before its region (中共, 政协).
    pub skip_prefix: AnyOf,
    /// Spelling rules, applied in order.
    pub spelling: Vec<Spelling>,
}

impl Places {
    /// The divisions named `name` (current and former).
    pub fn named(&self, name: &str) -> impl Iterator<Item = &Division> {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.divisions.get(i))
    }

    /// The division with code `code` (its current name; a former name when
    /// the code is gone).
    pub fn by_code(&self, code: u32) -> Option<&Division> {
        self.by_code.get(&code).and_then(|&i| self.divisions.get(i))
    }

    /// The longest division name, in characters (how far a name can reach).
    pub fn longest_name(&self) -> usize {
        self.by_name
            .keys()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDivisions {
    divisions: BTreeMap<String, String>,
    #[serde(default)]
    former: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnits {
    #[serde(default)]
    skip_prefix: Vec<String>,
    #[serde(default)]
    spelling: Vec<RawSpelling>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpelling {
    pattern: String,
    replace: String,
}

fn pattern_error(name: &str, message: String) -> Error {
    Error::new(ErrorKind::Pattern, format!("patterns/{name}: {message}"))
}

impl Places {
    /// Adds one file of `patterns/places/`: `divisions.toml` or `units.toml`.
    pub(crate) fn add_file(&mut self, name: &str, text: &str) -> Result<()> {
        let toml_error = |e: toml::de::Error| pattern_error(name, e.to_string());
        if name.ends_with("/divisions.toml") {
            let raw: RawDivisions = toml::from_str(text).map_err(toml_error)?;
            for (former, table) in [(false, &raw.divisions), (true, &raw.former)] {
                for (code, division) in table {
                    let parsed = code
                        .parse::<u32>()
                        .ok()
                        .filter(|c| code.len() == 6 && (100_000..1_000_000).contains(c))
                        .ok_or_else(|| {
                            pattern_error(name, format!("`{code}` is not a six-digit code"))
                        })?;
                    let division = crate::text::squash(division);
                    if division.is_empty() {
                        return Err(pattern_error(name, format!("`{code}` has no name")));
                    }
                    let i = self.divisions.len();
                    self.divisions.push(Division {
                        code: parsed,
                        name: division.clone(),
                        former,
                    });
                    self.by_name.entry(division).or_default().push(i);
                    self.by_code.entry(parsed).or_insert(i);
                }
            }
        } else if name.ends_with("/units.toml") {
            let raw: RawUnits = toml::from_str(text).map_err(toml_error)?;
            self.skip_prefix = AnyOf::compile(name, "skip_prefix", &raw.skip_prefix)?;
            for (i, s) in raw.spelling.into_iter().enumerate() {
                let pattern = Regex::new(&s.pattern).map_err(|e| {
                    pattern_error(name, format!("`spelling[{i}]`: invalid regex: {e}"))
                })?;
                self.spelling.push(Spelling {
                    pattern,
                    replace: s.replace,
                });
            }
        } else {
            return Err(pattern_error(
                name,
                "unknown file (places/ holds divisions.toml and units.toml)".into(),
            ));
        }
        Ok(())
    }
}
