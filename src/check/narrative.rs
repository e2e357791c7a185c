//! The narrative against the tables and against itself: amounts that name a
//! table quantity, shares recomputed from their parts, year-on-year changes
//! against their percentages, completion rates, sums of listed parts, and
//! totals that balance changing alike. Relations are declared in
//! `patterns/checks/narrative.toml`.
//!
//! Percentages are compared at their printed precision: the allowance is
//! half a unit of the last printed digit plus what the rounding of the
//! amounts they come from can move them. One unit further is an `info` flag
//! (a percentage truncated instead of rounded); beyond that a `warning`
//! under one percentage point and 5% of the value, else an `error`.

use rust_decimal::Decimal;

use super::printed_half_unit as half_unit;
use crate::record::{Flag, Location, NarrativeFact, Record, Severity};

use super::{compare, resolve, Sum};
use crate::patterns::checks::{CheckSet, FactTable, Reference};

/// A fact's amount (or count) and its rounding allowance.
fn amount(f: &NarrativeFact) -> Option<(Decimal, Decimal)> {
    if let Some(v) = f.amount_yuan {
        return Some((v, half_unit_of_printed(&f.printed)));
    }
    f.count.map(|c| (c, Decimal::ZERO))
}

/// Half a unit of the last printed digit of "8,638,621.12元" or "36.89万元", in yuan.
fn half_unit_of_printed(printed: &str) -> Decimal {
    let number: String = printed
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    let factor = if printed.contains('亿') {
        Decimal::from(100_000_000)
    } else if printed.contains('万') {
        Decimal::from(10_000)
    } else if printed.contains('千') {
        Decimal::from(1_000)
    } else {
        Decimal::ONE
    };
    half_unit(&number) * factor
}

/// Half a unit of the last printed digit of a percentage.
fn half_unit_of_percent(p: Decimal) -> Decimal {
    Decimal::new(5, p.scale() + 1)
}

fn fact_location(f: &NarrativeFact) -> Location {
    Location {
        section: f.section.clone(),
        sentence: Some(f.sentence.clone()),
        ..Location::default()
    }
}

fn facts<'a>(record: &'a Record, id: &str) -> impl Iterator<Item = &'a NarrativeFact> + 'a {
    let id = id.to_string();
    record.narrative.iter().filter(move |f| f.fact == id)
}

/// The fact `id` that goes with `f`: same section and subject first, then
/// same section, then same subject, then the first anywhere.
fn partner<'a>(record: &'a Record, id: &str, f: &NarrativeFact) -> Option<&'a NarrativeFact> {
    let all: Vec<&NarrativeFact> = facts(record, id).collect();
    let same_section = |g: &&&NarrativeFact| g.section == f.section;
    let same_subject = |g: &&&NarrativeFact| f.subject.is_none() || g.subject == f.subject;
    all.iter()
        .find(|g| same_section(g) && same_subject(g))
        .or_else(|| {
            if f.subject.is_some() {
                all.iter().find(same_subject)
            } else {
                all.iter().find(same_section)
            }
        })
        .or_else(|| {
            if f.subject.is_some() {
                None
            } else {
                all.first()
            }
        })
        .copied()
}

/// Pushes a flag when the printed percentage is beyond its allowance and
/// hands it back (for [`witness`] to complete).
fn percent_flag<'f>(
    id: &str,
    what: String,
    printed: Decimal,
    expected: Decimal,
    allowance: Decimal,
    locations: Vec<Location>,
    flags: &'f mut Vec<Flag>,
) -> Option<&'f mut Flag> {
    let diff = printed - expected;
    if diff.abs() <= allowance {
        return None;
    }
    let unit = half_unit_of_percent(printed) * Decimal::TWO;
    let (severity, rule) = if diff.abs() <= allowance + unit {
        (Severity::Info, format!("within one unit of the last printed digit beyond the allowance {} (truncated or rounded differently)", allowance.round_dp(4).normalize()))
    } else if diff.abs() <= Decimal::ONE && diff.abs() <= expected.abs() * Decimal::new(5, 2) {
        (
            Severity::Warning,
            "beyond rounding but under one percentage point and 5% of the value".to_string(),
        )
    } else {
        (
            Severity::Error,
            "beyond rounding by more than one percentage point or 5% of the value".to_string(),
        )
    };
    let message = format!(
        "{what}: printed {}% but the figures give {}% — {rule}",
        printed.normalize(),
        expected.round_dp(2).normalize()
    );
    let (expected, found, difference) = (
        Some(expected.round_dp(4).normalize().to_string()),
        Some(printed.normalize().to_string()),
        Some(diff.round_dp(4).normalize().to_string()),
    );
    flags.push(Flag {
        locations,
        printed_unit: Some(crate::record::PrintedAmounts {
            unit: "%".to_string(),
            expected: expected.clone(),
            found: found.clone(),
            difference: difference.clone(),
        }),
        expected,
        found,
        difference,
        ..Flag::new(id, severity, message)
    });
    flags.last_mut()
}

/// What the tables say about the figures a percentage was computed from,
/// appended to the flag just pushed: for each figure a table prints, whether
/// it agrees with the tables, and whether the printed percentage holds with
/// the tables' figure in its place. A percentage that holds neither with the
/// text's figures nor with the tables' is an error.
fn witness(
    record: &Record,
    set: &CheckSet,
    figures: &[(&str, &NarrativeFact, (Decimal, Decimal))],
    printed: Decimal,
    recompute: impl Fn(&[(Decimal, Decimal)]) -> Option<(Decimal, Decimal)>,
    flag: &mut Flag,
) {
    let values: Vec<(Decimal, Decimal)> = figures.iter().map(|f| f.2).collect();
    let mut notes = Vec::new();
    let mut agreeing = 0;
    let mut checked = 0;
    let mut reconciled = false;
    for (i, (name, fact, value)) in figures.iter().enumerate() {
        let Some(table) = table_value(record, set, fact) else {
            continue;
        };
        checked += 1;
        if (value.0 - table.total).abs() <= value.1 + table.tolerance {
            agreeing += 1;
            notes.push(format!("the {name} agrees with the tables"));
            continue;
        }
        let mut with_table = values.clone();
        with_table[i] = (table.total, table.tolerance);
        // Holds as printed, or within one unit of its last digit.
        let unit = half_unit_of_percent(printed) * Decimal::TWO;
        let holds = recompute(&with_table)
            .is_some_and(|(expected, allowance)| (printed - expected).abs() <= allowance + unit);
        if holds {
            reconciled = true;
            notes.push(format!(
                "the percentage holds with the tables' {name}, {}, in place of the text's {}: the text's {name} is the inconsistent figure",
                table.total.normalize(),
                value.0.normalize()
            ));
        } else {
            notes.push(format!(
                "the {name} differs from the tables' {} too",
                table.total.normalize()
            ));
        }
    }
    if checked == 0 {
        return;
    }
    if agreeing == checked && checked == figures.len() {
        notes.push("the percentage is the inconsistent figure".to_string());
    } else if !reconciled && agreeing < checked {
        if flag.severity > Severity::Info {
            flag.severity = Severity::Error;
        }
        notes.push("no figure reconciles it either way".to_string());
    }
    flag.message = format!("{}; {}", flag.message, notes.join("; "));
}

/// `num / den × 100` with its allowance given a printed percentage.
fn ratio(
    num: (Decimal, Decimal),
    den: (Decimal, Decimal),
    printed: Decimal,
) -> Option<(Decimal, Decimal)> {
    if den.0.is_zero() {
        return None;
    }
    let expected = num.0 / den.0 * Decimal::ONE_HUNDRED;
    let mut relative = den.1 / den.0.abs();
    if !num.0.is_zero() {
        relative += num.1 / num.0.abs();
    }
    Some((
        expected,
        half_unit_of_percent(printed) + expected.abs() * relative,
    ))
}

/// Runs the narrative checks.
pub fn check(record: &Record, set: &CheckSet, flags: &mut Vec<Flag>) {
    if record.narrative.is_empty() {
        return;
    }
    fact_table(record, set, flags);
    for rule in &set.fact_share {
        for f in facts(record, &rule.fact) {
            let (Some(p), Some(a)) = (f.percent, amount(f)) else {
                continue;
            };
            let Some(base_fact) = partner_plain(record, &rule.base, f) else {
                continue;
            };
            let Some(base) = amount(base_fact) else {
                continue;
            };
            if let Some((expected, allowance)) = ratio(a, base, p) {
                let what = format!(
                    "share of {} {}",
                    rule.fact,
                    f.subject.clone().unwrap_or_default()
                );
                if let Some(flag) = percent_flag(
                    "narrative.share",
                    what,
                    p,
                    expected,
                    allowance,
                    vec![fact_location(f)],
                    flags,
                ) {
                    witness(
                        record,
                        set,
                        &[("part", f, a), ("whole", base_fact, base)],
                        p,
                        |v| ratio(v[0], v[1], p),
                        flag,
                    );
                }
            }
        }
    }
    for rule in &set.fact_change {
        for pf in facts(record, &rule.percent) {
            let Some(p) = pf.percent else { continue };
            let (Some(change_fact), Some(current_fact)) = (
                partner(record, &rule.change, pf),
                partner(record, &rule.current, pf),
            ) else {
                continue;
            };
            let (Some(change), Some(current)) = (amount(change_fact), amount(current_fact)) else {
                continue;
            };
            let last = (current.0 - change.0, current.1 + change.1);
            if let Some((expected, allowance)) = ratio(change, last, p) {
                let what = format!(
                    "{} against last year ({} of {})",
                    rule.percent,
                    change.0.normalize(),
                    last.0.normalize()
                );
                if let Some(flag) = percent_flag(
                    "narrative.change_percent",
                    what,
                    p,
                    expected,
                    allowance,
                    vec![fact_location(pf)],
                    flags,
                ) {
                    witness(
                        record,
                        set,
                        &[
                            ("change", change_fact, change),
                            ("current figure", current_fact, current),
                        ],
                        p,
                        |v| ratio(v[0], (v[1].0 - v[0].0, v[1].1 + v[0].1), p),
                        flag,
                    );
                }
            }
        }
    }
    for rule in &set.fact_growth {
        for pf in facts(record, &rule.percent) {
            let Some(p) = pf.percent else { continue };
            // Both figures come from the percentage's own sentence.
            let same = |id: &str| {
                record
                    .narrative
                    .iter()
                    .find(|g| g.fact == id && g.sentence == pf.sentence && g.section == pf.section)
            };
            let (Some(base_fact), Some(current_fact)) = (same(&rule.base), same(&rule.current))
            else {
                continue;
            };
            let (Some(base), Some(current)) = (amount(base_fact), amount(current_fact)) else {
                continue;
            };
            let change = (current.0 - base.0, current.1 + base.1);
            if let Some((expected, allowance)) = ratio(change, base, p) {
                let direction = |v: Decimal| {
                    if v.is_sign_negative() {
                        "a decrease"
                    } else {
                        "an increase"
                    }
                };
                let turned = !p.is_zero()
                    && !expected.is_zero()
                    && p.is_sign_negative() != expected.is_sign_negative();
                let what = format!(
                    "{} from {} to {} {}",
                    rule.percent,
                    base.0.normalize(),
                    current.0.normalize(),
                    if turned {
                        format!(
                            "(the text states {}, the figures are {})",
                            direction(p),
                            direction(expected)
                        )
                    } else {
                        String::new()
                    }
                );
                if let Some(flag) = percent_flag(
                    "narrative.growth_percent",
                    what.trim_end().to_string(),
                    p,
                    expected,
                    allowance,
                    vec![fact_location(pf)],
                    flags,
                ) {
                    witness(
                        record,
                        set,
                        &[
                            ("base figure", base_fact, base),
                            ("current figure", current_fact, current),
                        ],
                        p,
                        |v| ratio((v[1].0 - v[0].0, v[1].1 + v[0].1), v[0], p),
                        flag,
                    );
                }
            }
        }
    }
    for rule in &set.fact_ratio {
        for pf in facts(record, &rule.percent) {
            let Some(p) = pf.percent else { continue };
            let (Some(num_fact), Some(den_fact)) = (
                partner(record, &rule.numerator, pf),
                partner(record, &rule.denominator, pf),
            ) else {
                continue;
            };
            let (Some(num), Some(den)) = (amount(num_fact), amount(den_fact)) else {
                continue;
            };
            if let Some((expected, allowance)) = ratio(num, den, p) {
                let what = format!(
                    "{} {}",
                    rule.percent,
                    pf.subject.clone().unwrap_or_default()
                );
                if let Some(flag) = percent_flag(
                    "narrative.ratio",
                    what,
                    p,
                    expected,
                    allowance,
                    vec![fact_location(pf)],
                    flags,
                ) {
                    witness(
                        record,
                        set,
                        &[("numerator", num_fact, num), ("denominator", den_fact, den)],
                        p,
                        |v| ratio(v[0], v[1], p),
                        flag,
                    );
                }
            }
        }
    }
    for rule in &set.fact_table_share {
        for pf in facts(record, &rule.percent) {
            let Some(p) = pf.percent else { continue };
            let Some(num) = partner(record, &rule.numerator, pf).and_then(amount) else {
                continue;
            };
            let Some(den) = table_sum(record, &rule.denominator, None, None) else {
                continue;
            };
            if !den.any {
                continue;
            }
            if let Some((expected, allowance)) = ratio(num, (den.total, den.tolerance), p) {
                let mut locations = vec![fact_location(pf)];
                locations.extend(den.cells.iter().cloned());
                percent_flag(
                    "narrative.table_share",
                    rule.percent.clone(),
                    p,
                    expected,
                    allowance,
                    locations,
                    flags,
                );
            }
        }
    }
    fact_sums(record, set, flags);
    for rule in &set.fact_same_change {
        let (Some(t0), Some(t1)) = (
            facts(record, &rule.totals[0]).next(),
            facts(record, &rule.totals[1]).next(),
        ) else {
            continue;
        };
        let (Some(a0), Some(a1)) = (amount(t0), amount(t1)) else {
            continue;
        };
        if (a0.0 - a1.0).abs() > a0.1 + a1.1 {
            continue;
        }
        let (Some(c0), Some(c1)) = (
            partner(record, &rule.changes[0], t0),
            partner(record, &rule.changes[1], t1),
        ) else {
            continue;
        };
        let (Some(v0), Some(v1)) = (amount(c0), amount(c1)) else {
            continue;
        };
        let found = Sum::single(v0.0, v0.1);
        let expected = Sum::single(v1.0, v1.1);
        let what = format!(
            "{} and {} are equal this year ({}), as both sides of a balance always are, yet {} ≠ {}",
            rule.totals[0], rule.totals[1], a0.0.normalize(), rule.changes[0], rule.changes[1]
        );
        compare(
            "narrative.balanced_change",
            &what,
            &found,
            &expected,
            None,
            vec![fact_location(c0), fact_location(c1)],
            flags,
        );
    }
}

/// Like [`partner`] but for a base without a subject: same section, else first.
fn partner_plain<'a>(record: &'a Record, id: &str, f: &NarrativeFact) -> Option<&'a NarrativeFact> {
    let all: Vec<&NarrativeFact> = facts(record, id).collect();
    all.iter()
        .find(|g| g.section == f.section)
        .or_else(|| all.first())
        .copied()
}

/// Sums table cells; `None` when a reference does not apply.
fn table_sum(
    record: &Record,
    cells: &[String],
    class: Option<&str>,
    subject: Option<&str>,
) -> Option<Sum> {
    let mut sum = Sum::default();
    for c in cells {
        if (c.contains("{class}") && class.is_none())
            || (c.contains("{subject}") && subject.is_none())
        {
            return None;
        }
        let text = c
            .replace("{class}", class.unwrap_or(""))
            .replace("{subject}", subject.unwrap_or(""));
        let r = Reference::parse(&text).ok()?;
        for cell in resolve(&record.tables, &r)? {
            sum.add(&cell, r.negative);
        }
    }
    Some(sum)
}

/// The table quantity a fact names, by the first `[[fact_table]]` rule that
/// applies to it (its fact id and subject) and prints something.
fn table_value(record: &Record, set: &CheckSet, f: &NarrativeFact) -> Option<Sum> {
    set.fact_table
        .iter()
        .filter(|rule| rule.fact == f.fact)
        .filter_map(|rule| rule_table(record, set, rule, f))
        .find(|sum| sum.any)
}

/// The table side of one `[[fact_table]]` rule for a fact; `None` when the
/// rule does not apply (another subject, a table or row not printed).
fn rule_table(record: &Record, set: &CheckSet, rule: &FactTable, f: &NarrativeFact) -> Option<Sum> {
    if let Some(re) = &rule.subject {
        if !f.subject.as_deref().is_some_and(|s| re.is_match(s)) {
            return None;
        }
    }
    let subject = f.subject.as_deref().map(crate::text::squash);
    let class = subject.as_deref().and_then(|s| {
        let s = s.trim_end_matches("(类)");
        set.function_classes
            .iter()
            .find(|(_, names)| names.is_match(s))
            .map(|(c, _)| c.clone())
    });
    table_sum(record, &rule.cells, class.as_deref(), subject.as_deref())
}

fn fact_table(record: &Record, set: &CheckSet, flags: &mut Vec<Flag>) {
    for rule in &set.fact_table {
        for f in facts(record, &rule.fact) {
            let Some((value, half)) = amount(f) else {
                continue;
            };
            let Some(table) = rule_table(record, set, rule, f) else {
                continue;
            };
            if !table.any && value.is_zero() {
                continue;
            }
            let found = Sum {
                total: value,
                tolerance: half,
                any: true,
                cells: vec![fact_location(f)],
                terms: 1,
            };
            let mut locations = vec![fact_location(f)];
            locations.extend(table.cells.iter().cloned());
            let what = match &f.subject {
                Some(subject) => format!(
                    "the narrative's {} ({subject}), {}, against the tables",
                    rule.fact, f.printed
                ),
                None => format!(
                    "the narrative's {}, {}, against the tables",
                    rule.fact, f.printed
                ),
            };
            compare(
                "narrative.table_amount",
                &what,
                &found,
                &table,
                None,
                locations,
                flags,
            );
        }
    }
}

fn fact_sums(record: &Record, set: &CheckSet, flags: &mut Vec<Flag>) {
    for rule in &set.fact_sum {
        for (i, t) in facts(record, &rule.total).enumerate() {
            let Some((value, half)) = amount(t) else {
                continue;
            };
            let in_section: Vec<&NarrativeFact> = record
                .narrative
                .iter()
                .filter(|f| rule.parts.contains(&f.fact) && f.section == t.section)
                .collect();
            let parts: Vec<&NarrativeFact> = if !in_section.is_empty() {
                in_section
            } else if i == 0 {
                record
                    .narrative
                    .iter()
                    .filter(|f| rule.parts.contains(&f.fact))
                    .collect()
            } else {
                continue;
            };
            if parts.is_empty() {
                continue;
            }
            let mut expected = Sum::default();
            for p in &parts {
                if let Some((v, h)) = amount(p) {
                    expected.total += v;
                    expected.tolerance += h;
                    expected.any = true;
                    expected.terms += 1;
                }
            }
            if rule.at_most && expected.total <= value + half + expected.tolerance {
                continue;
            }
            let found = Sum {
                total: value,
                tolerance: half,
                any: true,
                cells: vec![],
                terms: 1,
            };
            let what = format!(
                "narrative {} against the sum of its {} listed parts ({})",
                rule.total,
                parts.len(),
                rule.parts.join(", ")
            );
            let mut locations = vec![fact_location(t)];
            locations.extend(parts.iter().take(3).map(|p| fact_location(p)));
            compare(
                "narrative.sum",
                &what,
                &found,
                &expected,
                None,
                locations,
                flags,
            );
        }
    }
}
