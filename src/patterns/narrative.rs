//! The narrative pattern schema and loader (`patterns/narrative/`, see its
//! README): `structure.toml` says where the narrative is and how it is
//! sectioned, `selfeval.toml` how the attached 项目支出绩效自评表 read, and
//! every other file holds `[[rules]]`: regexes with named groups, applied per
//! clause, scoped by section headings. Rules are tried in file-name order,
//! then in order within a file.
//!
//! Every regex is matched against NFKC-normalized text with all whitespace
//! removed; `{MACRO}`s from `structure.toml`'s `[macros]` are expanded in
//! rule patterns before compiling.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;

use super::AnyOf;
use crate::error::{Error, ErrorKind, Result};

/// Where the narrative is and how it is sectioned.
#[derive(Debug, Clone, Default)]
pub struct Structure {
    /// A text line that starts the narrative (第三部分 情况说明).
    pub start: AnyOf,
    /// A text line that ends it (第四部分 名词解释).
    pub stop: AnyOf,
    /// A text line that starts the attachments (第五部分 附件).
    pub attachment: AnyOf,
    /// Section paths whose text is never facts (单位基本情况).
    pub skip: AnyOf,
    /// Lines that are not text (page numbers) and are dropped.
    pub noise: AnyOf,
    /// Trailers removed from a heading (dot leaders and page numbers).
    pub heading_trailer: AnyOf,
    /// Heading regexes by level (1 = outermost).
    pub headings: Vec<(usize, AnyOf)>,
    /// A line matching one of these is never a heading.
    pub not_heading: AnyOf,
    /// Longest heading, in characters.
    pub max_heading_chars: usize,
    /// Prefixes removed from the start of every clause (enumeration, 其中).
    pub clause_prefixes: AnyOf,
    /// Parts removed from every subject ((类), enumeration).
    pub subject_strip: AnyOf,
    /// Canonical subject names, each with the regexes that select it.
    pub subjects: Vec<(String, AnyOf)>,
    /// Sign words that make a change negative (减少, 下降).
    pub negative: AnyOf,
}

/// One sentence rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `file#index`, for messages.
    pub origin: String,
    /// The fact id template (`{topic}` is the current topic); none for a rule
    /// that only sets the topic.
    pub fact: Option<String>,
    /// The compiled pattern.
    pub pattern: Regex,
    /// The section path must match one of these (any section when empty).
    pub sections: AnyOf,
    /// The section path must match none of these.
    pub not_sections: AnyOf,
    /// The previous fact's id must match one of these (anything when empty).
    pub after: AnyOf,
    /// Sets the topic for the clauses that follow.
    pub topic: Option<String>,
    /// The subject template (`{subject}` and other group names, `{inherit}`,
    /// `{last}`, `{topic}`).
    pub subject: Option<String>,
    /// Put the percentage on the previous fact instead of making a new one.
    pub attach: bool,
    /// Match against the rest of the sentence, not only the clause.
    pub rest: bool,
    /// The fact is a zero change (与上年相同).
    pub zero: bool,
    /// The fact does not become the previous fact (reasons).
    pub transparent: bool,
}

/// How the attached 项目支出绩效自评表 are read.
#[derive(Debug, Clone, Default)]
pub struct SelfEval {
    /// A text line that is such a table's title (group 1: project name).
    pub title: AnyOf,
    /// The first cell of the project-name row.
    pub project_row: AnyOf,
    /// The first non-empty cell of a funds row (资金总额, 财政资金…).
    pub funds_row: AnyOf,
    /// A cell in the funds header giving the unit (万元).
    pub funds_unit: AnyOf,
    /// The first non-empty cell of the total row (总分).
    pub total_row: AnyOf,
    /// A row holding these is the indicator header.
    pub indicator_header: AnyOf,
    /// A cell that ends the indicator rows (自评结果分析).
    pub indicator_end: AnyOf,
}

/// Every narrative pattern, compiled.
#[derive(Debug, Clone, Default)]
pub struct NarrativePatterns {
    /// Structure.
    pub structure: Structure,
    /// Sentence rules in order.
    pub rules: Vec<Rule>,
    /// Self-evaluation tables.
    pub selfeval: SelfEval,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeading {
    level: usize,
    patterns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubject {
    name: String,
    patterns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStructure {
    start: Vec<String>,
    stop: Vec<String>,
    #[serde(default)]
    attachment: Vec<String>,
    #[serde(default)]
    skip: Vec<String>,
    #[serde(default)]
    noise: Vec<String>,
    #[serde(default)]
    heading_trailer: Vec<String>,
    headings: Vec<RawHeading>,
    #[serde(default)]
    not_heading: Vec<String>,
    max_heading_chars: usize,
    #[serde(default)]
    clause_prefixes: Vec<String>,
    #[serde(default)]
    subject_strip: Vec<String>,
    #[serde(default)]
    subjects: Vec<RawSubject>,
    negative: Vec<String>,
    #[serde(default)]
    macros: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSelfEval {
    title: Vec<String>,
    project_row: Vec<String>,
    funds_row: Vec<String>,
    funds_unit: Vec<String>,
    total_row: Vec<String>,
    indicator_header: Vec<String>,
    indicator_end: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    fact: Option<String>,
    pattern: String,
    #[serde(default)]
    sections: Vec<String>,
    #[serde(default)]
    not_sections: Vec<String>,
    #[serde(default)]
    after: Vec<String>,
    #[serde(default)]
    topic: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    attach: bool,
    #[serde(default)]
    rest: bool,
    #[serde(default)]
    zero: bool,
    #[serde(default)]
    transparent: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    rules: Vec<RawRule>,
}

fn err(file: &str, msg: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Pattern, format!("patterns/{file}: {msg}"))
}

fn any(file: &str, key: &str, v: &[String]) -> Result<AnyOf> {
    v.iter()
        .map(|s| Regex::new(s).map_err(|e| err(file, format!("`{key}`: invalid regex {s:?}: {e}"))))
        .collect::<Result<Vec<_>>>()
        .map(AnyOf)
}

impl NarrativePatterns {
    /// Compiles the `narrative/` files (names relative to `patterns/`).
    /// `structure.toml` is required; with no narrative files at all the
    /// result is empty and finds nothing.
    pub fn from_files(files: &[(String, String)]) -> Result<NarrativePatterns> {
        if files.is_empty() {
            return Ok(NarrativePatterns::default());
        }
        let mut raw_structure = None;
        let mut raw_selfeval = None;
        let mut raw_rules = Vec::new();
        for (name, text) in files {
            let base = name.strip_prefix("narrative/").unwrap_or(name);
            match base {
                "structure.toml" => {
                    let r: RawStructure = toml::from_str(text).map_err(|e| err(name, e))?;
                    raw_structure = Some((name.clone(), r));
                }
                "selfeval.toml" => {
                    let r: RawSelfEval = toml::from_str(text).map_err(|e| err(name, e))?;
                    raw_selfeval = Some((name.clone(), r));
                }
                _ => {
                    let r: RawRules = toml::from_str(text).map_err(|e| err(name, e))?;
                    raw_rules.push((name.clone(), r));
                }
            }
        }
        let Some((sname, s)) = raw_structure else {
            return Err(Error::new(
                ErrorKind::Pattern,
                "patterns/narrative/structure.toml is missing",
            ));
        };
        let f = sname.as_str();
        let mut headings = Vec::new();
        for h in &s.headings {
            headings.push((
                h.level,
                any(f, &format!("headings.{}", h.level), &h.patterns)?,
            ));
        }
        let mut subjects = Vec::new();
        for sub in &s.subjects {
            subjects.push((
                sub.name.clone(),
                any(f, &format!("subjects.{}", sub.name), &sub.patterns)?,
            ));
        }
        let structure = Structure {
            start: any(f, "start", &s.start)?,
            stop: any(f, "stop", &s.stop)?,
            attachment: any(f, "attachment", &s.attachment)?,
            skip: any(f, "skip", &s.skip)?,
            noise: any(f, "noise", &s.noise)?,
            heading_trailer: any(f, "heading_trailer", &s.heading_trailer)?,
            headings,
            not_heading: any(f, "not_heading", &s.not_heading)?,
            max_heading_chars: s.max_heading_chars,
            clause_prefixes: any(f, "clause_prefixes", &s.clause_prefixes)?,
            subject_strip: any(f, "subject_strip", &s.subject_strip)?,
            subjects,
            negative: any(f, "negative", &s.negative)?,
        };
        let selfeval = match raw_selfeval {
            None => SelfEval::default(),
            Some((n, r)) => {
                let f = n.as_str();
                SelfEval {
                    title: any(f, "title", &r.title)?,
                    project_row: any(f, "project_row", &r.project_row)?,
                    funds_row: any(f, "funds_row", &r.funds_row)?,
                    funds_unit: any(f, "funds_unit", &r.funds_unit)?,
                    total_row: any(f, "total_row", &r.total_row)?,
                    indicator_header: any(f, "indicator_header", &r.indicator_header)?,
                    indicator_end: any(f, "indicator_end", &r.indicator_end)?,
                }
            }
        };
        raw_rules.sort_by(|a, b| a.0.cmp(&b.0));
        let mut rules = Vec::new();
        for (name, file) in raw_rules {
            for (i, r) in file.rules.into_iter().enumerate() {
                let key = format!("rules[{i}]");
                let expanded = expand_macros(&r.pattern, &s.macros)
                    .map_err(|m| err(&name, format!("`{key}.pattern`: unknown macro {{{m}}}")))?;
                let pattern = Regex::new(&expanded).map_err(|e| {
                    err(
                        &name,
                        format!("`{key}.pattern`: invalid regex {expanded:?}: {e}"),
                    )
                })?;
                rules.push(Rule {
                    origin: format!("{name}#{i}"),
                    fact: r.fact,
                    pattern,
                    sections: any(&name, &format!("{key}.sections"), &r.sections)?,
                    not_sections: any(&name, &format!("{key}.not_sections"), &r.not_sections)?,
                    after: any(&name, &format!("{key}.after"), &r.after)?,
                    topic: r.topic,
                    subject: r.subject,
                    attach: r.attach,
                    rest: r.rest,
                    zero: r.zero,
                    transparent: r.transparent,
                });
            }
        }
        Ok(NarrativePatterns {
            structure,
            rules,
            selfeval,
        })
    }
}

/// Replaces every `{NAME}` (upper-case name, optionally ending in `?`) with
/// its macro; returns the unknown name on failure. Regex repetitions such as
/// `{1,3}` are left alone.
fn expand_macros(
    pattern: &str,
    macros: &BTreeMap<String, String>,
) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}');
        let name = close.map(|c| &after[..c]).unwrap_or("");
        let is_macro = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c == '?');
        match close {
            Some(c) if is_macro => {
                let m = macros.get(name).ok_or_else(|| name.to_string())?;
                out.push_str(m);
                rest = &after[c + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macros_expand_and_repetitions_stay() {
        let mut m = BTreeMap::new();
        m.insert("AMT".to_string(), "(?P<amount>\\d+)".to_string());
        assert_eq!(
            expand_macros("收入{AMT}[一二]{1,3}", &m).ok().as_deref(),
            Some("收入(?P<amount>\\d+)[一二]{1,3}")
        );
        assert_eq!(expand_macros("{NOPE}", &m), Err("NOPE".to_string()));
    }
}
