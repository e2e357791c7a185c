//! The patterns: every table kind, relation and narrative rule as data
//! (`patterns/` in the source tree, bundled into the binary; any folder of
//! the same shape at run time with [`Patterns::from_dir`]).
//!
//! The bottom layer: each stage receives only its part, recognition the
//! [`TablePatterns`], the checks the [`CheckSet`] and the table catalog
//! ([`Families`]), the narrative reader its [`NarrativePatterns`]. Files are
//! compiled once; an invalid file is an error naming the file and the key.

pub mod checks;
pub mod narrative;
pub mod places;
pub mod tables;

use std::path::Path;

use regex::Regex;

use crate::error::{Error, ErrorKind, Result};
use crate::record::DocumentKind;
use crate::text::{sha256_hex, squash};

pub use checks::CheckSet;
pub use narrative::NarrativePatterns;
pub use places::Places;
pub use tables::{Common, Family, Identity, TablePattern, TablePatterns};

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

    /// The captures of the first regex that matches.
    pub fn captures_all<'a>(&self, s: &'a str) -> Option<regex::Captures<'a>> {
        self.0.iter().find_map(|r| r.captures(s))
    }

    /// The longest match of any regex.
    pub fn longest<'a>(&self, s: &'a str) -> Option<regex::Match<'a>> {
        self.0
            .iter()
            .filter_map(|r| r.find(s))
            .max_by_key(|m| m.as_str().chars().count())
    }

    pub(crate) fn compile(file: &str, key: &str, sources: &[String]) -> Result<AnyOf> {
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

/// Every pattern, compiled: one part per stage.
#[derive(Debug, Clone, Default)]
pub struct Patterns {
    /// Table kinds and the shared table vocabulary (recognition).
    pub tables: TablePatterns,
    /// Consistency relations (`patterns/checks/`).
    pub checks: CheckSet,
    /// Narrative rules (`patterns/narrative/`).
    pub narrative: NarrativePatterns,
    /// Administrative divisions and unit spellings (`patterns/places/`).
    pub places: Places,
    /// Which tables a complete disclosure has: every kind's document kind
    /// and `required` flag, and the template families with table sets of
    /// their own (`families.toml`).
    pub families: Families,
    /// SHA-256 (hex) over every file the set was compiled from (names and
    /// texts, in name order; crawler `sources/` left out): two sets with the
    /// same fingerprint read documents the same way. Records and the dataset
    /// store keep it with each document.
    pub fingerprint: String,
}

/// One table kind as the catalog of a complete disclosure knows it.
#[derive(Debug, Clone)]
pub struct CatalogKind {
    /// The kind id.
    pub kind: String,
    /// The standard Chinese name.
    pub name: String,
    /// Final account or budget.
    pub document: DocumentKind,
    /// Required in a complete disclosure of a document of no family.
    pub required: bool,
    /// Printed once per project (many in a document are no duplicates).
    pub repeats: bool,
}

/// Which tables a complete disclosure has; the one place that decides it
/// (the metadata checks and `stats` both ask here).
#[derive(Debug, Clone, Default)]
pub struct Families {
    /// Every table kind, in pattern order.
    pub kinds: Vec<CatalogKind>,
    /// Template families whose full disclosure has a table set of its own.
    pub templates: Vec<Family>,
}

impl Families {
    /// The kinds of one document kind.
    pub fn of_document(&self, kind: DocumentKind) -> impl Iterator<Item = &CatalogKind> {
        self.kinds.iter().filter(move |k| k.document == kind)
    }

    /// The family of a document of `kind` whose tables carry these titles:
    /// the first family one of whose title patterns matches a title.
    pub fn family_of<'a, I, S>(&self, kind: DocumentKind, titles: I) -> Option<&Family>
    where
        I: IntoIterator<Item = &'a S>,
        S: AsRef<str> + ?Sized + 'a,
    {
        let titles: Vec<String> = titles.into_iter().map(|t| squash(t.as_ref())).collect();
        self.templates
            .iter()
            .find(|f| f.document == kind && titles.iter().any(|t| f.titles.is_match(t)))
    }

    /// The kinds a complete disclosure of `kind` with these table titles
    /// must have: its family's table set, or the kinds marked `required`.
    pub fn required<'a, I, S>(&self, kind: DocumentKind, titles: I) -> Vec<&CatalogKind>
    where
        I: IntoIterator<Item = &'a S>,
        S: AsRef<str> + ?Sized + 'a,
    {
        let family = self.family_of(kind, titles);
        self.of_document(kind)
            .filter(|k| match family {
                Some(f) => f.required.contains(&k.kind),
                None => k.required,
            })
            .collect()
    }
}

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled_patterns.rs"));
}

/// The pattern files bundled into the binary: (path under `patterns/`, TOML text).
pub fn bundled_files() -> &'static [(&'static str, &'static str)] {
    bundled::BUNDLED
}

impl Patterns {
    /// The patterns bundled into the binary from `patterns/`.
    pub fn bundled() -> Result<Patterns> {
        Self::from_files(
            bundled::BUNDLED
                .iter()
                .map(|(p, s)| (p.to_string(), s.to_string())),
        )
    }

    /// Loads every `.toml` file under `dir` (recursively) as a complete
    /// pattern set, in place of the bundled one. Errors name the file under
    /// `dir` and the key.
    pub fn from_dir(dir: &Path) -> Result<Patterns> {
        let shown = dir.display().to_string();
        let shown = shown.trim_end_matches('/');
        let rename = |e: Error| {
            let message = match e.message.strip_prefix("patterns") {
                Some(rest) if rest.starts_with('/') || rest.starts_with(':') => {
                    format!("{shown}{rest}")
                }
                _ => e.message,
            };
            Error::new(e.kind, message)
        };
        let meta = std::fs::metadata(dir)
            .map_err(|e| Error::new(ErrorKind::Pattern, format!("{shown}: {e}")))?;
        if !meta.is_dir() {
            return Err(Error::new(
                ErrorKind::Pattern,
                format!("{shown}: not a folder of pattern files"),
            ));
        }
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry =
                entry.map_err(|e| Error::new(ErrorKind::Pattern, format!("{shown}: {e}")))?;
            let path = entry.path();
            if entry.file_type().is_file() && path.extension().is_some_and(|x| x == "toml") {
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
        Self::from_files(files).map_err(rename)
    }

    /// Writes the bundled pattern files under `dir` (created when missing),
    /// as a starting point for a variant; returns how many were written.
    /// Files already there are overwritten.
    pub fn export_bundled(dir: &Path) -> std::io::Result<usize> {
        for (name, text) in bundled_files() {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, text)?;
        }
        Ok(bundled_files().len())
    }

    /// Compiles a set of (name, TOML text) files, names relative to the
    /// pattern folder. `common.toml` holds the shared table patterns,
    /// `families.toml` the template families, `checks/` the relations,
    /// `narrative/` the narrative rules, `places/` the division table and
    /// unit spellings; files under `sources/` (crawler
    /// portals) are skipped; every other file is one table kind.
    pub fn from_files(files: impl IntoIterator<Item = (String, String)>) -> Result<Patterns> {
        let mut set = Patterns::default();
        let mut have_common = false;
        let mut check_files = Vec::new();
        let mut narrative = Vec::new();
        let mut hashed = Vec::new();
        for (name, text) in files {
            let name = name.replace('\\', "/");
            if !name.starts_with("sources/") {
                hashed.push((name.clone(), sha256_hex(text.as_bytes())));
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
            if name.starts_with("places/") {
                set.places.add_file(&name, &text)?;
                continue;
            }
            let err = |e: toml::de::Error| {
                Error::new(ErrorKind::Pattern, format!("patterns/{name}: {e}"))
            };
            if name == "families.toml" {
                let raw: tables::RawFamilies = toml::from_str(&text).map_err(err)?;
                for f in raw.family {
                    set.families.templates.push(Family {
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
                let raw: tables::RawCommon = toml::from_str(&text).map_err(err)?;
                set.tables.common = tables::compile_common(&name, raw)?;
                have_common = true;
            } else {
                let raw: tables::RawTable = toml::from_str(&text).map_err(err)?;
                set.tables.kinds.push(tables::compile_table(&name, raw)?);
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
        set.fingerprint = sha256_hex(listing.as_bytes());
        set.checks = CheckSet::from_files(check_files)?;
        set.narrative = NarrativePatterns::from_files(&narrative)?;
        if !have_common {
            return Err(Error::new(
                ErrorKind::Pattern,
                "patterns: common.toml is missing",
            ));
        }
        let mut kinds: Vec<&str> = set.tables.kinds.iter().map(|t| t.kind.as_str()).collect();
        kinds.sort_unstable();
        if let Some(w) = kinds.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::new(
                ErrorKind::Pattern,
                format!("patterns: kind `{}` is defined twice", w[0]),
            ));
        }
        for f in &set.families.templates {
            if let Some(k) = f.required.iter().find(|k| set.tables.table(k).is_none()) {
                return Err(Error::new(
                    ErrorKind::Pattern,
                    format!(
                        "patterns/families.toml: family `{}` requires unknown kind `{k}`",
                        f.id
                    ),
                ));
            }
        }
        // Derived parts: each stage receives what it needs of the others'
        // files, computed once here.
        for t in &mut set.tables.kinds {
            t.identities = set
                .checks
                .column_sum
                .iter()
                .filter(|r| r.table == t.kind && r.parts.iter().all(|p| !p.starts_with('-')))
                .map(|r| Identity {
                    total: r.total.clone(),
                    parts: r.parts.clone(),
                    requires: r.requires.clone(),
                })
                .collect();
        }
        set.families.kinds = set
            .tables
            .kinds
            .iter()
            .map(|t| CatalogKind {
                kind: t.kind.clone(),
                name: t.name.clone(),
                document: t.document,
                required: t.required,
                repeats: t.repeats,
            })
            .collect();
        set.checks.function_classes = set.tables.common.function_classes.clone();
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_patterns_compile() {
        let set = Patterns::bundled().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            set.tables.kinds.len() >= 10,
            "{} table kinds",
            set.tables.kinds.len()
        );
        assert!(set.tables.table("income_expenditure_summary").is_some());
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
        let err = Patterns::from_files(files)
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
        let set = Patterns::bundled().unwrap_or_else(|e| panic!("{e}"));
        assert!(set
            .families
            .templates
            .iter()
            .any(|f| f.id == "moe_university"));
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
        let err = Patterns::from_files(files)
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(err.contains("no_such_kind"), "{err}");
    }
}
