//! Narrative facts: the explanation part of a disclosure (第三部分 情况说明
//! and its regional equivalents) read into [`NarrativeFact`]s, each with the
//! sentence it came from and the section heading it is under.
//!
//! The steps, each driven by `patterns/narrative/` (data, not code):
//!
//! 1. **Sections** — the block stream is walked once. A text line matching
//!    `start` opens the narrative, `stop` closes it (the glossary is never
//!    facts), `attachment` opens the attachments. Inside the narrative a
//!    short line matching a heading regex pushes a heading of its level;
//!    every other line is appended to the current section's text (squashed,
//!    so sentences wrapped over lines or pages join up).
//! 2. **Clauses** — a section's text is split into sentences on `。`/`；`
//!    and each sentence into clauses on `，`/`、`/`：` (never inside a number,
//!    see [`clause`]); enumeration and `其中` prefixes are removed.
//! 3. **Rules** — in each clause every applicable rule (section scope,
//!    previous fact, topic) is tried; the leftmost match wins, ties go to the
//!    earlier rule; matching resumes after it, so a clause can carry several
//!    facts. A rule's named groups give the amount (`amount` + `unit`),
//!    `percent`, `count`, `score`, `sign`, `subject`, `text`, `printed`. A
//!    rule may set the *topic* that later fact ids (`{topic}_change`) use,
//!    attach a share to the previous fact, or read on to the sentence's end
//!    (reasons).
//! 4. **Self-evaluation tables** — grids under the attachments titled
//!    …项目支出绩效自评表 are read by [`selfeval`].

pub mod clause;
pub mod selfeval;

pub use crate::patterns::NarrativePatterns;

use regex::Captures;
use rust_decimal::Decimal;

use crate::model::{Block, Heading};
use crate::record::NarrativeFact;
use crate::text::squash;

use crate::patterns::narrative::{Rule, Structure};
use clause::{amount_yuan, clause_end, number, sentences};

#[derive(PartialEq)]
enum Mode {
    Outside,
    Narrative,
    Attachment,
}

/// A number followed by a money unit in the text: an amount of the prose.
static PROSE_AMOUNT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?:^|[^\d.,])(\d[\d,]*(?:\.\d+)?)(亿元|万元|千元|元)")
        .expect("a valid regex")
});

/// The amounts printed in the text lines (a number followed by 元, 千元,
/// 万元 or 亿元) against those a fact captured (by their printed text).
pub fn coverage(blocks: &[Block], facts: &[NarrativeFact]) -> crate::record::Tally {
    let mut printed: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    for b in blocks {
        if let Block::Text(line) = b {
            let text = squash(&line.text);
            for c in PROSE_AMOUNT.captures_iter(&text) {
                *printed.entry(format!("{}{}", &c[1], &c[2])).or_default() += 1;
            }
        }
    }
    let mut captured: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    for f in facts.iter().filter(|f| f.amount_yuan.is_some()) {
        *captured.entry(squash(&f.printed)).or_default() += 1;
    }
    crate::record::Tally {
        printed: printed.values().sum(),
        captured: printed
            .iter()
            .map(|(k, n)| (*n).min(captured.get(k).copied().unwrap_or(0)))
            .sum(),
    }
}

/// What the narrative reader read in a block stream.
#[derive(Debug, Clone, Default)]
pub struct Narrative {
    /// The facts, in document order.
    pub facts: Vec<NarrativeFact>,
    /// The grids it read (self-evaluation tables), each as its page and its
    /// amount-shaped cells: recognition counts their amounts as read.
    pub grids: Vec<(u32, Vec<String>)>,
    /// The narrative's section headings, in order, each saying whether text
    /// follows it.
    pub headings: Vec<Heading>,
}

/// Reads every narrative fact of a block stream.
pub fn read(blocks: &[Block], patterns: &NarrativePatterns) -> Narrative {
    let s = &patterns.structure;
    let mut out = Vec::new();
    let mut grids = Vec::new();
    if patterns.rules.is_empty() && s.start.0.is_empty() {
        return Narrative::default();
    }
    let mut mode = Mode::Outside;
    let mut headings: Vec<(usize, String)> = Vec::new();
    let mut buffer = String::new();
    let mut title: Option<String> = None;
    let mut selfeval_context: Option<selfeval::Context> = None;
    // The section headings; a heading has a body when text, a table or a
    // deeper heading follows it (`pending` is the last with nothing yet).
    let mut outline: Vec<Heading> = Vec::new();
    let mut pending: Option<usize> = None;
    let flush =
        |headings: &[(usize, String)], buffer: &mut String, out: &mut Vec<NarrativeFact>| {
            if !buffer.is_empty() {
                let path = section_path(headings);
                if !s.skip.is_match(&path) {
                    run_rules(&path, buffer, patterns, out);
                }
                buffer.clear();
            }
        };
    for block in blocks {
        match block {
            Block::Text(line) => {
                let t = squash(&line.text);
                if t.is_empty() || s.noise.is_match(&t) {
                    continue;
                }
                if s.attachment.is_match(&t) {
                    flush(&headings, &mut buffer, &mut out);
                    mode = Mode::Attachment;
                } else if s.stop.is_match(&t) {
                    flush(&headings, &mut buffer, &mut out);
                    mode = Mode::Outside;
                } else if s.start.is_match(&t) {
                    flush(&headings, &mut buffer, &mut out);
                    headings.clear();
                    mode = Mode::Narrative;
                } else if mode == Mode::Narrative {
                    if let Some((level, h)) = heading(&t, s) {
                        if let Some(p) = pending.take() {
                            outline[p].has_body = outline[p].level < level;
                        }
                        pending = Some(outline.len());
                        outline.push(Heading {
                            page: line.page,
                            level,
                            text: h.clone(),
                            has_body: false,
                        });
                        flush(&headings, &mut buffer, &mut out);
                        while headings.last().is_some_and(|(l, _)| *l >= level) {
                            headings.pop();
                        }
                        headings.push((level, h));
                    } else {
                        if let Some(p) = pending.take() {
                            outline[p].has_body = true;
                        }
                        buffer.push_str(&t);
                    }
                } else if mode == Mode::Attachment && patterns.selfeval.title.is_match(&t) {
                    title = Some(t);
                }
            }
            Block::Grid(grid) => {
                if mode == Mode::Narrative {
                    if let Some(p) = pending.take() {
                        outline[p].has_body = true;
                    }
                }
                if mode == Mode::Attachment
                    && selfeval::read(
                        grid,
                        title.take().as_deref(),
                        &mut selfeval_context,
                        patterns,
                        &mut out,
                    )
                {
                    grids.push((grid.page, crate::normalize::grid_amounts(grid)));
                }
            }
        }
    }
    flush(&headings, &mut buffer, &mut out);
    Narrative {
        facts: out,
        grids,
        headings: outline,
    }
}

fn section_path(headings: &[(usize, String)]) -> String {
    headings
        .iter()
        .map(|(_, h)| h.as_str())
        .collect::<Vec<_>>()
        .join("/")
}

/// The level and cleaned text of a heading line, if it is one.
fn heading(line: &str, s: &Structure) -> Option<(usize, String)> {
    let mut t = line.to_string();
    for r in &s.heading_trailer.0 {
        t = r.replace_all(&t, "").into_owned();
    }
    if t.is_empty() || t.chars().count() > s.max_heading_chars || s.not_heading.is_match(&t) {
        return None;
    }
    s.headings
        .iter()
        .find(|(_, re)| re.is_match(&t))
        .map(|(level, _)| (*level, t))
}

#[derive(Default)]
struct State {
    topic: Option<String>,
    subject: Option<String>,
    last: Option<usize>,
    last_id: Option<String>,
}

fn run_rules(
    section: &str,
    text: &str,
    patterns: &NarrativePatterns,
    out: &mut Vec<NarrativeFact>,
) {
    let s = &patterns.structure;
    let rules: Vec<&Rule> = patterns
        .rules
        .iter()
        .filter(|r| {
            (r.sections.0.is_empty() || r.sections.is_match(section))
                && !r.not_sections.is_match(section)
        })
        .collect();
    let mut state = State::default();
    for (a, b) in sentences(text) {
        let sentence = &text[a..b];
        let mut pos = 0;
        'clause: while pos < sentence.len() {
            pos = skip_prefixes(sentence, pos, s);
            let end = clause_end(sentence, pos);
            while pos < end {
                let mut best: Option<(usize, &Rule, Captures)> = None;
                for rule in &rules {
                    if !applicable(rule, &state) {
                        continue;
                    }
                    let hay = if rule.rest {
                        &sentence[pos..]
                    } else {
                        &sentence[pos..end]
                    };
                    if let Some(c) = rule.pattern.captures(hay) {
                        let m = c.get(0).map_or(0..0, |m| m.range());
                        if m.is_empty() {
                            continue;
                        }
                        if best.as_ref().is_none_or(|(st, _, _)| m.start < *st) {
                            best = Some((m.start, rule, c));
                        }
                    }
                }
                let Some((_, rule, caps)) = best else { break };
                let matched_end = pos + caps.get(0).map_or(0, |m| m.end());
                emit(rule, &caps, section, sentence, &mut state, s, out);
                pos = matched_end;
                if pos > end {
                    continue 'clause;
                }
            }
            pos = end + sentence[end..].chars().next().map_or(0, char::len_utf8);
        }
    }
}

fn skip_prefixes(sentence: &str, mut pos: usize, s: &Structure) -> usize {
    loop {
        let rest = &sentence[pos..];
        let skip = s
            .clause_prefixes
            .0
            .iter()
            .filter_map(|r| r.find(rest))
            .filter(|m| m.start() == 0 && !m.is_empty())
            .map(|m| m.end())
            .max();
        match skip {
            Some(n) => pos += n,
            None => return pos,
        }
    }
}

fn applicable(rule: &Rule, state: &State) -> bool {
    if !rule.after.0.is_empty() {
        match &state.last_id {
            Some(id) if rule.after.is_match(id) => {}
            _ => return false,
        }
    }
    let needs_topic = rule.fact.as_deref().is_some_and(|f| f.contains("{topic}"));
    !(needs_topic && state.topic.is_none())
}

/// Expands `{name}` in a template from the captures and the state; `None`
/// when a name has no value.
fn expand(template: &str, caps: &Captures, state: &State, s: &Structure) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        let name = &after[..close];
        let value = match name {
            "inherit" => state.subject.clone(),
            "last" => state.last_id.clone(),
            "topic" => state.topic.clone(),
            other => caps.name(other).map(|m| clean_subject(m.as_str(), s)),
        }?;
        out.push_str(&value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Removes the strip patterns from a subject and maps it to its canonical name.
pub fn clean_subject(raw: &str, s: &Structure) -> String {
    let mut t = raw.to_string();
    for r in &s.subject_strip.0 {
        t = r.replace_all(&t, "").into_owned();
    }
    s.subjects
        .iter()
        .find(|(_, re)| re.is_match(&t))
        .map(|(name, _)| name.clone())
        .unwrap_or(t)
}

fn emit(
    rule: &Rule,
    caps: &Captures,
    section: &str,
    sentence: &str,
    state: &mut State,
    s: &Structure,
    out: &mut Vec<NarrativeFact>,
) {
    let hay = caps.get(0).map_or("", |m| m.as_str());
    let hay_start = caps.get(0).map_or(0, |m| m.start());
    let g = |n: &str| caps.name(n);
    let negative = g("sign").is_some_and(|m| s.negative.is_match(m.as_str()));
    let signed = |d: Decimal| if negative { -d } else { d };
    let unit = g("unit").map(|m| m.as_str());
    let amount = if rule.zero {
        Some(Decimal::new(0, 2))
    } else {
        g("amount")
            .and_then(|m| amount_yuan(m.as_str(), unit))
            .map(signed)
    };
    let percent = g("percent").and_then(|m| number(m.as_str())).map(signed);
    let count = g("count").and_then(|m| number(m.as_str()));
    let score = g("score").and_then(|m| number(m.as_str()));
    let percent_printed = g("percent").map(|m| {
        let mut p = m.as_str().to_string();
        if hay[m.end() - hay_start..].starts_with('%') {
            p.push('%');
        }
        p
    });
    let printed = if let Some(p) = g("printed") {
        p.as_str().to_string()
    } else if let Some(a) = g("amount") {
        format!("{}{}", a.as_str(), unit.unwrap_or(""))
    } else if let Some(p) = &percent_printed {
        p.clone()
    } else if let Some(c) = g("count") {
        c.as_str().to_string()
    } else if let Some(c) = g("score") {
        c.as_str().to_string()
    } else if let Some(t) = g("text") {
        t.as_str().to_string()
    } else {
        hay.to_string()
    };
    let group_subject = g("subject").map(|m| clean_subject(m.as_str(), s));
    let subject = match &rule.subject {
        Some(t) => expand(t, caps, state, s),
        None => group_subject.clone(),
    };
    if let Some(t) = &rule.topic {
        state.topic = expand(t, caps, state, s).or_else(|| state.topic.clone());
        // A new topic starts a new subject scope.
        state.subject = None;
    }
    if group_subject.is_some() {
        state.subject = group_subject;
    }
    if rule.attach {
        if let Some(i) = state.last {
            if out[i].percent.is_none() && percent.is_some() {
                out[i].percent = percent;
                out[i].printed_percent = percent_printed;
                return;
            }
        }
    }
    let Some(template) = &rule.fact else { return };
    let fact = match &state.topic {
        Some(topic) => template.replace("{topic}", topic),
        None => template.clone(),
    };
    out.push(NarrativeFact {
        fact: fact.clone(),
        section: (!section.is_empty()).then(|| section.to_string()),
        subject,
        amount_yuan: amount,
        percent,
        count,
        score,
        max_score: None,
        project: None,
        printed,
        printed_percent: None,
        sentence: sentence.to_string(),
    });
    if !rule.transparent {
        state.last = Some(out.len() - 1);
        state.last_id = Some(fact);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::text::blocks_from_text;
    use crate::patterns::Patterns;

    fn set() -> &'static Patterns {
        static SET: std::sync::OnceLock<Patterns> = std::sync::OnceLock::new();
        SET.get_or_init(|| Patterns::bundled().unwrap_or_else(|e| panic!("{e}")))
    }

    fn run(text: &str) -> Vec<NarrativeFact> {
        read(&blocks_from_text(text), &set().narrative).facts
    }

    fn d(s: &str) -> Option<Decimal> {
        s.parse().ok()
    }

    #[test]
    fn shares_pair_with_amounts_and_decreases_are_negative() {
        let f = run("第三部分 情况说明\n一、收入支出决算总体情况说明\n\
                     2022年度收入总计1,000.00元。与2021年相比，收入总计减少250.50万元，下降20.04%。主要原因是：压缩支出。\n\
                     二、收入决算情况说明\n收入合计1,000.00元，其中：财政拨款收入900.00元，占比90.00%；其他收入100.00元，占比10.00%。\n\
                     第四部分 名词解释\n一、财政拨款收入：收入总计1.00元。\n");
        let ids: Vec<&str> = f.iter().map(|x| x.fact.as_str()).collect();
        assert_eq!(
            ids,
            [
                "income_total",
                "income_total_change",
                "income_total_change_percent",
                "reason",
                "income_year_total",
                "income_source",
                "income_source"
            ]
        );
        assert_eq!(f[1].amount_yuan, d("-2505000.00"));
        assert_eq!(f[1].printed, "250.50万元");
        assert_eq!(f[2].percent, d("-20.04"));
        assert_eq!(f[3].printed, "压缩支出");
        assert_eq!(f[3].subject.as_deref(), Some("income_total_change_percent"));
        assert_eq!(f[5].subject.as_deref(), Some("财政拨款收入"));
        assert_eq!(f[5].percent, d("90.00"));
        assert_eq!(f[5].printed_percent.as_deref(), Some("90.00%"));
        assert_eq!(f[6].amount_yuan, d("100.00"));
        assert_eq!(
            f[0].section.as_deref(),
            Some("一、收入支出决算总体情况说明")
        );
    }

    #[test]
    fn sentences_wrapped_over_lines_join_and_page_numbers_drop() {
        let f = run("第三部分 情况说明\n三、支出决算情况说明\n本年支出合计 9759.38 万元，其中：基本支出 5377.64 万元，\n- 12 -\n占 55.10%；项目支出\n4381.74 万元，占 44.90%。\n");
        let got: Vec<(&str, Option<Decimal>, Option<Decimal>)> = f
            .iter()
            .map(|x| (x.fact.as_str(), x.amount_yuan, x.percent))
            .collect();
        assert_eq!(
            got,
            [
                ("expenditure_year_total", d("97593800.00"), None),
                ("expenditure_basic", d("53776400.00"), d("55.10")),
                ("expenditure_project", d("43817400.00"), d("44.90")),
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_text(body in "[一二三、（）()0-9,，.。:：;；%元万收入支出总计增加减少占比原因其中“三公”经费\n]{0,200}") {
            let _ = run(&format!("第三部分 情况说明\n{body}"));
        }
    }

    #[test]
    fn a_bad_rule_names_file_and_key() {
        let files = vec![
            (
                "narrative/structure.toml".to_string(),
                include_str!("../../patterns/narrative/structure.toml").to_string(),
            ),
            (
                "narrative/x.toml".to_string(),
                "[[rules]]\nfact='x'\npattern='收入{AMT}('\n".to_string(),
            ),
        ];
        let err = NarrativePatterns::from_files(&files)
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(
            err.contains("narrative/x.toml") && err.contains("rules[0].pattern"),
            "{err}"
        );
    }

    #[test]
    fn headings_nest_and_toc_lines_are_not_text() {
        let s = &set().narrative.structure;
        assert_eq!(
            heading(
                "七、一般公共预算财政拨款“三公”经费支出决算情况说明.....16",
                s
            ),
            Some((
                1,
                "七、一般公共预算财政拨款“三公”经费支出决算情况说明".into()
            ))
        );
        assert_eq!(
            heading("(一)机关运行经费支出情况说明", s).map(|h| h.0),
            Some(2)
        );
        assert_eq!(heading("(2)项目绩效自评结果", s).map(|h| h.0), Some(3));
        assert_eq!(heading("1、因公出国境费支出0.00元。", s), None);
        assert_eq!(heading("一、收入总计8,638,621.12元", s), None);
    }
}
