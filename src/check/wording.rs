//! The wording of a disclosure, as an auditor reads it: template residue
//! and placeholders, scope words, doubled punctuation (the `[[text]]` rules
//! of `patterns/checks/text.toml`), and the checks a pattern cannot state —
//! a phrase written twice in a row, unbalanced brackets and quotes, years
//! that are neither the document's nor its comparison year, section headings
//! with nothing under them, required sections absent, blank pages, and
//! function-classification names the Ministry of Finance had replaced by
//! the document's year.

use std::sync::LazyLock;

use regex::Regex;

use super::text::Text;
use crate::patterns::checks::{CheckSet, TextRule};
use crate::patterns::{AnyOf, Families, Patterns};
use crate::record::{DocumentKind, Flag, Location, Record, Severity};

/// An enumeration closed by a bracket alone ("1)", "一)").
static ENUMERATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\d{1,2}|[一二三四五六七八九十]{1,3})\)").expect("a valid regex")
});

/// A year qualifying a budget quantity ("2023年预算", "2023年度决算").
static YEAR_QUANTITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(20\d\d)年度?(?:部门|单位|本部门|本单位)?(?:预算|决算|收入|支出|一般公共预算|财政拨款|政府性基金|国有资本经营|“三公”|\x22三公\x22|三公|机关运行)",
    )
    .expect("a valid regex")
});

/// Flags one rule raises in one document at most; the last names how many
/// more matched.
const MAX_PER_RULE: usize = 5;
/// Shortest phrase (characters) whose immediate repetition is a finding.
const MIN_REPEATED: usize = 4;
/// Longest phrase looked for.
const MAX_REPEATED: usize = 16;
/// Headings without a body that make a page a contents page.
const CONTENTS_HEADINGS: usize = 4;
/// Sentences a bracketed aside may run over.
const BRACKET_SENTENCES: usize = 3;
/// Characters of a long sentence quoted.
const CONTEXT_QUOTE: usize = 40;
/// Characters of a line that may be a section heading.
const SECTION_HEADING_CHARS: usize = 24;
/// Lines after an empty table's title its note may come in.
const NOTE_LINES: usize = 40;
/// Tables a document needs before its missing sections are findings.
const MIN_TABLES_FOR_SECTIONS: usize = 3;

/// Runs the wording checks.
pub fn check(record: &Record, text: &Text, patterns: &Patterns, flags: &mut Vec<Flag>) {
    let (set, families) = (&patterns.checks, &patterns.families);
    if text.is_empty() {
        return;
    }
    for rule in &set.text {
        if applies(rule, record) {
            text_rule(rule, text, flags);
        }
    }
    repeated_phrase(text, flags);
    brackets(text, flags);
    years(record, text, flags);
    empty_sections(text, flags);
    required_sections(record, text, set, flags);
    blank_pages(text, flags);
    renamed(record, text, set, flags);
    contents(record, text, families, flags);
    empty_tables(record, text, &patterns.tables.common.empty_markers, flags);
    table_order(record, text, flags);
    section_order(text, set, flags);
}

/// The number a table label prints (公开08表 → 8, 表七 → 7, 公开表十二 → 12).
fn label_number(label: &str) -> Option<u32> {
    let digits: String = label.chars().filter(char::is_ascii_digit).collect();
    if !digits.is_empty() {
        return digits.parse().ok();
    }
    let numeral: String = label
        .chars()
        .filter(|c| "一二三四五六七八九十".contains(*c))
        .collect();
    let value = |c: char| {
        "一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|i| i as u32 + 1)
    };
    let chars: Vec<char> = numeral.chars().collect();
    match chars.as_slice() {
        [] => None,
        ['十'] => Some(10),
        ['十', u] => Some(10 + value(*u)?),
        [t, '十'] => Some(10 * value(*t)?),
        [t, '十', u] => Some(10 * value(*t)? + value(*u)?),
        [u] => value(*u),
        _ => None,
    }
}

/// Tables printed out of the order of their own labels (公开05表 before
/// 公开04表): the template numbers its tables in the order it prints them.
fn table_order(record: &Record, text: &Text, flags: &mut Vec<Flag>) {
    let labelled: Vec<(&crate::record::Table, u32)> = record
        .tables
        .iter()
        .filter_map(|t| Some((t, label_number(t.label.as_deref()?)?)))
        .collect();
    let inversions: Vec<(&crate::record::Table, &crate::record::Table)> = labelled
        .windows(2)
        .filter(|w| w[1].1 < w[0].1)
        .map(|w| (w[0].0, w[1].0))
        .collect();
    let Some((before, after)) = inversions.first() else {
        return;
    };
    let (a, b) = (
        after.label.as_deref().unwrap_or_default(),
        before.label.as_deref().unwrap_or_default(),
    );
    let more = match inversions.len() {
        1 => String::new(),
        n => format!(" ({} more tables out of order)", n - 1),
    };
    let page = after.pages.iter().min().copied();
    flags.push(Flag {
        locations: vec![Location {
            table: Some(after.kind.clone()),
            page,
            label: after.label.clone(),
            title: Some(after.title.clone()),
            ..Location::default()
        }],
        pages: page.into_iter().collect(),
        snippet: text.find(&crate::text::squash(&after.title)).map(|s| s.printed),
        ..Flag::new(
            "text.table_order",
            Severity::Warning,
            format!("{a} {} is printed after {b} {}: the template prints its tables in the order of their numbers{more}", after.title, before.title),
        )
    })
}

/// Required sections out of the template's order ([[section]] entries are
/// listed in it): the first heading-like line of each (short, no full
/// stop, not a contents entry with leaders or page number), compared.
fn section_order(text: &Text, set: &CheckSet, flags: &mut Vec<Flag>) {
    let lines: Vec<(u32, &str)> = text.lines().collect();
    let heading_like = |l: &str| {
        l.chars().count() <= SECTION_HEADING_CHARS
            && !l.contains('。')
            && !l.contains("....")
            && !l.contains("……")
            && !l.ends_with(|c: char| c.is_ascii_digit())
    };
    let contents = lines.iter().position(|(_, l)| *l == "目录");
    let firsts: Vec<(usize, &crate::patterns::checks::RequiredSection)> = set
        .section
        .iter()
        .filter_map(|s| {
            let at: Vec<usize> = lines
                .iter()
                .enumerate()
                .filter(|(_, (_, l))| heading_like(l) && s.pattern.is_match(l))
                .map(|(i, _)| i)
                .collect();
            // After a contents page, a heading printed twice was listed
            // there first.
            let i = match (contents, at.as_slice()) {
                (Some(c), [first, second, ..]) if c < *first => *second,
                (_, [first, ..]) => *first,
                _ => return None,
            };
            Some((i, s))
        })
        .collect();
    for w in firsts.windows(2) {
        let ((i, s0), (j, s1)) = (w[0], w[1]);
        if j >= i {
            continue;
        }
        let (page, line) = lines[j];
        flags.push(Flag {
            locations: vec![Location {
                section: Some(line.to_string()),
                page: Some(page),
                ..Location::default()
            }],
            pages: vec![page],
            snippet: text.find(line).map(|s| s.printed),
            ..Flag::new(
                "text.section_order",
                Severity::Warning,
                format!(
                    "the section “{line}” ({}) comes before “{}” ({}): the template gives {} first",
                    s1.name, lines[i].1, s0.name, s0.name
                ),
            )
        });
        return;
    }
}

/// A table that prints no amount and no note saying why (本单位无政府性基金
/// 收支，故本表无数据) between its title and the next table's (at most
/// [`NOTE_LINES`] lines): the template asks for the note, and a reader
/// cannot tell an empty table from one lost. A title the text does not show
/// as a line of its own page is not judged.
fn empty_tables(record: &Record, text: &Text, markers: &AnyOf, flags: &mut Vec<Flag>) {
    if with_tables(record).is_none() {
        return;
    }
    let lines: Vec<(u32, &str)> = text.lines().collect();
    let titles: Vec<String> = record
        .tables
        .iter()
        .map(|t| crate::text::squash(&t.title))
        .filter(|t| !t.is_empty())
        .collect();
    for t in record.tables.iter().filter(|t| t.empty) {
        let title = crate::text::squash(&t.title);
        let Some(first) = t.pages.iter().min() else {
            continue;
        };
        // The table's own title: the last line on its first page naming it
        // (a contents entry comes before).
        let Some(start) = lines
            .iter()
            .rposition(|(page, line)| page == first && !title.is_empty() && line.contains(&title))
        else {
            continue;
        };
        let end = lines[start + 1..]
            .iter()
            .position(|(_, line)| {
                titles
                    .iter()
                    .any(|other| *other != title && line.contains(other))
            })
            .map_or(lines.len(), |n| start + 1 + n)
            .min(start + 1 + NOTE_LINES);
        // The note is a line of its own or a row of the table's grid.
        if lines[start..end]
            .iter()
            .any(|(_, line)| markers.is_match(line))
            || text
                .grid_rows_between(start, end)
                .any(|row| markers.is_match(row))
        {
            continue;
        }
        let label = t.label.clone().map(|l| format!("{l} ")).unwrap_or_default();
        flags.push(Flag {
            locations: vec![Location {
                table: Some(t.kind.clone()),
                page: Some(*first),
                label: t.label.clone(),
                title: Some(t.title.clone()),
                ..Location::default()
            }],
            pages: t.pages.clone(),
            snippet: text.find(&title).map(|s| s.printed),
            ..Flag::new(
                "text.empty_table_unexplained",
                Severity::Warning,
                format!("{label}{} prints no amount, and no note under it says why (the template asks for one such as “本单位无此项收支，故本表无数据”)", t.title),
            )
        });
    }
}

/// A table the contents announce (a line of the contents page, or a line
/// with dot leaders, naming a table of the document's kind) and the
/// document does not print, not even as declared empty.
fn contents(record: &Record, text: &Text, families: &Families, flags: &mut Vec<Flag>) {
    // A narrative-only file lists the tables published beside it.
    let Some(kind) = with_tables(record) else {
        return;
    };
    let squashed: Vec<(u32, &str)> = text.lines().collect();
    let contents_pages: Vec<u32> = squashed
        .iter()
        .filter(|(_, l)| *l == "目录")
        .map(|(p, _)| *p)
        .collect();
    let mut announced: Vec<(&str, &str, u32, &str)> = Vec::new();
    for (page, line) in &squashed {
        let listed = contents_pages.contains(page) || line.contains("....") || line.contains("……");
        if !listed {
            continue;
        }
        // The longest table name the line holds is the table it lists.
        let Some(k) = families
            .of_document(kind)
            .filter(|k| !k.name.is_empty() && line.contains(k.name.as_str()))
            .max_by_key(|k| k.name.chars().count())
        else {
            continue;
        };
        if !announced.iter().any(|(kk, ..)| *kk == k.kind) {
            announced.push((k.kind.as_str(), k.name.as_str(), *page, line));
        }
    }
    for (kind, name, page, line) in announced {
        if record.tables.iter().any(|t| t.kind == kind) {
            continue;
        }
        // One root cause, one flag: a required table found missing says the
        // contents list it.
        if let Some(f) = flags.iter_mut().find(|f| {
            f.check == "meta.required_table_missing"
                && f.locations.first().and_then(|l| l.table.as_deref()) == Some(kind)
        }) {
            f.message = format!("{} (the contents list it on page {page})", f.message);
            if !f.pages.contains(&page) {
                f.pages.push(page);
            }
            continue;
        }
        flags.push(Flag {
            locations: vec![Location {
                table: Some(kind.to_string()),
                page: Some(page),
                ..Location::default()
            }],
            pages: vec![page],
            snippet: text.find(line).map(|s| s.printed),
            ..Flag::new(
                "text.contents_table_missing",
                Severity::Warning,
                format!("the contents list {name}; the document prints no such table (nor says it is empty)"),
            )
        });
    }
}

fn applies(rule: &TextRule, record: &Record) -> bool {
    let doc = &record.document;
    (rule.documents.is_empty() || doc.kind.is_some_and(|k| rule.documents.contains(&k)))
        && (rule.scope.is_none() || doc.scope == rule.scope)
        && rule.title.as_ref().is_none_or(|t| {
            doc.title
                .as_deref()
                .is_some_and(|title| t.is_match(&crate::text::squash(title)))
        })
}

/// A flag on a stretch of the text: its page and the printed sentence.
fn text_flag(
    check: &str,
    severity: Severity,
    message: String,
    text: &Text,
    start: usize,
    end: usize,
) -> Flag {
    let around = text.sentence_around(start, end);
    Flag {
        locations: vec![Location {
            sentence: Some(text.normalized(around.start, around.end).to_string()),
            page: around.pages.first().copied(),
            ..Location::default()
        }],
        pages: around.pages,
        snippet: Some(around.printed),
        ..Flag::new(check, severity, message)
    }
}

/// Pushes at most [`MAX_PER_RULE`] of `found`, the last saying how many more.
fn push_capped(mut found: Vec<Flag>, flags: &mut Vec<Flag>) {
    let more = found.len().saturating_sub(MAX_PER_RULE);
    found.truncate(MAX_PER_RULE);
    if more > 0 {
        if let Some(last) = found.last_mut() {
            last.message = format!("{} (and {more} more like it in the document)", last.message);
        }
    }
    flags.extend(found);
}

fn hit<'t>(c: &regex::Captures<'t>) -> regex::Match<'t> {
    c.name("hit")
        .or_else(|| c.get(0))
        .expect("a match has group 0")
}

fn text_rule(rule: &TextRule, text: &Text, flags: &mut Vec<Flag>) {
    let mut found = Vec::new();
    if rule.printed {
        for (page, line) in text.printed_lines() {
            for c in rule.pattern.captures_iter(line) {
                let h = hit(&c);
                found.push(Flag {
                    locations: vec![Location {
                        page: Some(page),
                        sentence: Some(crate::text::normalize(line)),
                        ..Location::default()
                    }],
                    pages: vec![page],
                    snippet: Some(line.to_string()),
                    ..Flag::new(
                        rule.id.as_str(),
                        rule.severity,
                        rule.message.replace("{hit}", &escape(h.as_str())),
                    )
                });
            }
        }
    } else {
        let stream = text.stream();
        for c in rule.pattern.captures_iter(stream) {
            let h = hit(&c);
            let (start, end) = (text.char_at(h.start()), text.char_at(h.end()));
            let around = text.sentence_around(start, end);
            if rule
                .unless
                .as_ref()
                .is_some_and(|u| u.is_match(text.normalized(around.start, around.end)))
            {
                continue;
            }
            found.push(text_flag(
                &rule.id,
                rule.severity,
                rule.message.replace("{hit}", h.as_str()),
                text,
                start,
                end,
            ));
        }
    }
    if rule.once && found.len() > 1 {
        let n = found.len();
        found.truncate(1);
        found[0].message = format!("{} ({n} times in the document)", found[0].message);
    }
    push_capped(found, flags);
}

/// Characters shown by code point (a private-use glyph prints as nothing).
fn escape(s: &str) -> String {
    s.chars()
        .map(|c| format!("{c} (U+{:04X})", c as u32))
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_phrase_char(c: char) -> bool {
    crate::text::is_cjk(c)
}

/// A phrase of [`MIN_REPEATED`]+ CJK characters written twice in a row
/// ("主要原因是主要原因是"); a line repeated whole (a running page header
/// meeting itself) is no finding.
fn repeated_phrase(text: &Text, flags: &mut Vec<Flag>) {
    let chars: Vec<char> = text.stream().chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    'scan: while i + 2 * MIN_REPEATED <= chars.len() {
        for len in MIN_REPEATED..=MAX_REPEATED.min((chars.len() - i) / 2) {
            let (a, b) = (&chars[i..i + len], &chars[i + len..i + 2 * len]);
            if a == b && a.iter().all(|&c| is_phrase_char(c)) {
                let whole_lines = matches!(
                    (text.line_of(i), text.line_of(i + len)),
                    (Some((x, true)), Some((y, true))) if x != y
                );
                // Table headers printed as text separate their cells by
                // spaces ("项目 预算数 项目 预算数"): only a phrase printed
                // twice without a break is a slip.
                let spaced = text
                    .span(i, i + 2 * len)
                    .printed
                    .contains(char::is_whitespace);
                // …and only in prose (a line with a comma or a full stop),
                // not in a table's header cells run together.
                let prose = text
                    .line_of(i)
                    .and_then(|(l, _)| text.printed_lines().nth(l))
                    .is_some_and(|(_, line)| line.contains(['，', '。', ',', '；', ';']));
                if !whole_lines && !spaced && prose {
                    let phrase: String = a.iter().collect();
                    found.push(text_flag(
                        "text.repeated_phrase",
                        Severity::Info,
                        format!("“{phrase}” is written twice in a row"),
                        text,
                        i,
                        i + 2 * len,
                    ));
                    i += 2 * len;
                    continue 'scan;
                }
            }
        }
        i += 1;
    }
    push_capped(found, flags);
}

/// Pairs that must balance within a sentence (to its full stop: a
/// bracketed aside may hold semicolons).
const PAIRS: [(char, char); 4] = [('(', ')'), ('“', '”'), ('《', '》'), ('[', ']')];

/// A sentence whose brackets or quotes do not balance. Enumerations closed
/// by a bracket alone ("1)", "一)") are no opening bracket missing.
fn brackets(text: &Text, flags: &mut Vec<Flag>) {
    let enumeration = &*ENUMERATION;
    let chars: Vec<char> = text.stream().chars().collect();
    // Sentences (to the full stop) as character ranges.
    let mut sentences = Vec::new();
    let mut start = 0;
    for (i, &c) in chars.iter().enumerate() {
        if c == '。' {
            sentences.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < chars.len() {
        sentences.push((start, chars.len()));
    }
    let mut found = Vec::new();
    let mut i = 0;
    while i < sentences.len() {
        // A bracketed aside may run over a few full stops: a group is the
        // sentences until every pair is closed again, at most
        // BRACKET_SENTENCES of them.
        let mut depth = [0i32; PAIRS.len()];
        let mut broken = false;
        let mut j = i;
        while j < sentences.len() && j < i + BRACKET_SENTENCES {
            let (a, b) = sentences[j];
            let sentence: String = chars[a..b].iter().collect();
            let body = enumeration.replace(&sentence, "");
            for c in body.chars() {
                for (k, (open, close)) in PAIRS.iter().enumerate() {
                    if c == *open {
                        depth[k] += 1;
                    } else if c == *close {
                        depth[k] -= 1;
                        broken |= depth[k] < 0;
                    }
                }
            }
            j += 1;
            if broken || depth.iter().all(|d| *d == 0) {
                break;
            }
        }
        if let Some(k) = (0..PAIRS.len()).find(|&k| depth[k] != 0) {
            let (open, close) = PAIRS[k];
            let (a, _) = sentences[i];
            let (_, b) = sentences[j - 1];
            found.push(text_flag(
                "text.unbalanced_brackets",
                Severity::Info,
                format!("“{open}” and “{close}” do not pair up in this sentence"),
                text,
                a,
                b.min(a + 2 * CONTEXT_QUOTE),
            ));
        }
        i = j;
    }
    push_capped(found, flags);
}

/// A year that qualifies a budget quantity ("2023年预算", "2023年度决算",
/// "2023年“三公”经费") and is neither the document's year nor the year it
/// compares with (the one before).
fn years(record: &Record, text: &Text, flags: &mut Vec<Flag>) {
    let Some(year) = record.document.year else {
        return;
    };
    let quantity = &*YEAR_QUANTITY;
    let mut found = Vec::new();
    for c in quantity.captures_iter(text.stream()) {
        let m = c.get(1).expect("group 1");
        let Ok(y) = m.as_str().parse::<i32>() else {
            continue;
        };
        if y == year || y == year - 1 {
            continue;
        }
        let (start, end) = (
            text.char_at(m.start()),
            text.char_at(c.get(0).map_or(m.end(), |g| g.end())),
        );
        found.push(text_flag(
            "text.year",
            Severity::Warning,
            format!(
                "“{}” names {y}, neither the document's year {year} nor the year it compares with ({})",
                c.get(0).map_or("", |g| g.as_str()),
                year - 1
            ),
            text,
            start,
            end,
        ));
    }
    push_capped(found, flags);
}

/// A section heading followed by the next heading of its level (or the
/// end of the part) with nothing under it.
fn empty_sections(text: &Text, flags: &mut Vec<Flag>) {
    let mut found = Vec::new();
    // A heading that comes again later is a contents entry the first time.
    let headings = &text.headings;
    // A page where several headings in a row have nothing under them is
    // a contents page.
    let contents_page = |page: u32| {
        headings
            .iter()
            .filter(|h| h.page == page && !h.has_body)
            .count()
            >= CONTENTS_HEADINGS
    };
    for (i, h) in headings.iter().enumerate().filter(|(_, h)| !h.has_body) {
        if contents_page(h.page) || headings[i + 1..].iter().any(|later| later.text == h.text) {
            continue;
        }
        let span = text.find(&crate::text::squash(&h.text));
        found.push(Flag {
            locations: vec![Location {
                section: Some(h.text.clone()),
                page: Some(h.page),
                ..Location::default()
            }],
            pages: vec![h.page],
            snippet: span.map(|s| s.printed),
            ..Flag::new(
                "text.empty_section",
                Severity::Warning,
                format!("the section “{}” has nothing under it", h.text),
            )
        });
    }
    push_capped(found, flags);
}

/// The document's kind when it prints its tables (at least
/// [`MIN_TABLES_FOR_SECTIONS`] recognized): a table-only or narrative-only
/// file is published beside the other half.
fn with_tables(record: &Record) -> Option<DocumentKind> {
    let tables = record
        .tables
        .iter()
        .filter(|t| t.kind != crate::record::UNRECOGNIZED)
        .count();
    record
        .document
        .kind
        .filter(|_| tables >= MIN_TABLES_FOR_SECTIONS)
}

/// Each section a full disclosure of the kind has, when the document has
/// an explanation part and its tables (a table-only or narrative-only file
/// is published beside the other half).
fn required_sections(record: &Record, text: &Text, set: &CheckSet, flags: &mut Vec<Flag>) {
    let Some(kind) = with_tables(record) else {
        return;
    };
    if text.headings.is_empty() {
        return;
    }
    for s in set.section.iter().filter(|s| s.documents.contains(&kind)) {
        if !text.lines().any(|(_, l)| s.pattern.is_match(l)) {
            flags.push(Flag::new(
                format!("text.section_missing.{}", s.id),
                Severity::Warning,
                format!(
                    "no section “{}” was found (a full {} disclosure has one)",
                    s.name,
                    kind_name(kind)
                ),
            ));
        }
    }
}

fn kind_name(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::FinalAccount => "决算",
        DocumentKind::Budget => "预算",
    }
}

/// A page with no text and no table at all (blank, or an image without a
/// text layer), inside a document that has text.
fn blank_pages(text: &Text, flags: &mut Vec<Flag>) {
    if text.pages < 2 {
        return;
    }
    let mut with_text: std::collections::BTreeSet<u32> =
        text.printed_lines().map(|(p, _)| p).collect();
    with_text.extend(&text.grid_pages);
    let blank: Vec<u32> = (1..=text.pages)
        .filter(|p| !with_text.contains(p))
        .collect();
    if blank.is_empty() {
        return;
    }
    let list = blank
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    flags.push(Flag {
        pages: blank,
        ..Flag::new(
            "text.blank_page",
            Severity::Info,
            format!("page {list} prints no text (blank, or an image without a text layer)"),
        )
    });
}

/// A function-classification name replaced before the document's year,
/// printed in a table row of that code or in the text.
fn renamed(record: &Record, text: &Text, set: &CheckSet, flags: &mut Vec<Flag>) {
    let Some(year) = record.document.year else {
        return;
    };
    for r in set.renamed.iter().filter(|r| year >= r.from) {
        let message = format!(
            "“{}” ({}) is the name before {}; from {} the classification names it “{}” ({})",
            r.old, r.code, r.from, r.from, r.new, r.source
        );
        let row = record.tables.iter().find_map(|t| {
            t.rows
                .iter()
                .find(|row| {
                    row.code.as_deref() == Some(r.code.as_str())
                        && row.name.as_deref().map(crate::text::squash).as_deref()
                            == Some(r.old.as_str())
                })
                .map(|row| (t, row))
        });
        if let Some((t, row)) = row {
            flags.push(Flag {
                locations: vec![Location {
                    table: Some(t.kind.clone()),
                    row: row.code.clone(),
                    ..Location::default()
                }],
                ..Flag::new("text.outdated_name", Severity::Warning, message.clone())
            });
        } else if let Some(span) = text.find(&r.old) {
            flags.push(text_flag(
                "text.outdated_name",
                Severity::Warning,
                message,
                text,
                span.start,
                span.end,
            ));
        }
    }
}
