//! The attached 项目支出绩效自评表 (project self-evaluation tables), read into
//! facts: one `performance_indicator` per indicator row (subject = the
//! 三级指标, `max_score` = 分值, `score` = 得分), `selfeval_total_score` and
//! `selfeval_grade` from the 总分 row, and the funds row (资金总额 …) as
//! `selfeval_declared`, `selfeval_initial_budget`, `selfeval_budget`,
//! `selfeval_execution`, `selfeval_balance`, `selfeval_execution_percent`,
//! `selfeval_funds_score`. Every fact carries the project name in `project`
//! and the table title in `section`.
//!
//! Tab-separated renderings lose merged cells, so indicator rows are read
//! from the right: 分值 and 得分 are the rightmost two adjacent numeric cells,
//! the indicator name the nearest non-empty cell left of the three
//! 指标值 cells before them.

use rust_decimal::Decimal;

use crate::model::Grid;
use crate::normalize::{parse_amount, to_yuan};
use crate::record::{AmountUnit, NarrativeFact};
use crate::text::squash;

use super::NarrativePatterns;

/// The ids of the seven numbers of a funds row, in printed order.
const FUNDS: [&str; 7] = [
    "selfeval_declared",
    "selfeval_initial_budget",
    "selfeval_budget",
    "selfeval_execution",
    "selfeval_balance",
    "selfeval_execution_percent",
    "selfeval_funds_score",
];

/// The table being read, carried over to a grid that continues it on the
/// next page (no title, no project-name row).
#[derive(Debug, Clone, Default)]
pub struct Context {
    project: String,
    section: String,
    unit: Option<AmountUnit>,
    in_indicators: bool,
}

/// Reads one grid under the attachments; does nothing unless it is a
/// self-evaluation table (a title was seen or it has a project-name row) or
/// continues one (`context`). True when it read the grid.
pub fn read(
    grid: &Grid,
    title: Option<&str>,
    context: &mut Option<Context>,
    patterns: &NarrativePatterns,
    out: &mut Vec<NarrativeFact>,
) -> bool {
    let p = &patterns.selfeval;
    let rows: Vec<Vec<String>> = grid
        .rows
        .iter()
        .map(|r| r.iter().map(|c| squash(&c.text)).collect())
        .collect();
    let first = |r: &[String]| r.iter().position(|c| !c.is_empty());
    let project = rows
        .iter()
        .find_map(|r| {
            let i = first(r)?;
            if !p.project_row.is_match(&r[i]) {
                return None;
            }
            r[i + 1..].iter().find(|c| !c.is_empty()).cloned()
        })
        .or_else(|| title.and_then(|t| p.title.capture(t)));
    let unit_here = rows
        .iter()
        .flatten()
        .any(|c| p.funds_unit.is_match(c))
        .then_some(AmountUnit::TenThousandYuan);
    if let Some(project) = project {
        *context = Some(Context {
            section: title
                .map(str::to_string)
                .unwrap_or_else(|| format!("{project}项目支出绩效自评表")),
            project,
            unit: None,
            in_indicators: false,
        });
    }
    let Some(ctx) = context.as_mut() else {
        return false;
    };
    if unit_here.is_some() {
        ctx.unit = unit_here;
    }
    let unit = ctx.unit.unwrap_or(AmountUnit::Yuan);
    let project = ctx.project.clone();
    let section = ctx.section.clone();
    let fact = |id: &str, row: &[String]| NarrativeFact {
        fact: id.to_string(),
        section: Some(section.clone()),
        subject: None,
        amount_yuan: None,
        percent: None,
        count: None,
        score: None,
        max_score: None,
        project: Some(project.clone()),
        printed: String::new(),
        printed_percent: None,
        sentence: row
            .iter()
            .filter(|c| !c.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" | "),
    };
    let mut in_indicators = ctx.in_indicators;
    for r in &rows {
        let Some(i) = first(r) else { continue };
        let label = &r[i];
        if p.indicator_header
            .0
            .iter()
            .all(|re| r.iter().any(|c| re.is_match(c)))
        {
            in_indicators = true;
            continue;
        }
        if p.total_row.is_match(label) {
            in_indicators = false;
            let nums: Vec<usize> = (i + 1..r.len())
                .filter(|&k| parse_amount(&r[k]).is_some())
                .collect();
            if let Some(&k) = nums.last() {
                let mut f = fact("selfeval_total_score", r);
                f.score = parse_amount(&r[k]);
                f.printed = r[k].clone();
                out.push(f);
                if let Some(grade) = r[k + 1..].iter().find(|c| !c.is_empty()) {
                    let mut f = fact("selfeval_grade", r);
                    f.printed = grade.clone();
                    out.push(f);
                }
            }
            continue;
        }
        if p.indicator_end.is_match(label) {
            in_indicators = false;
            continue;
        }
        if p.funds_row.is_match(label) {
            let nums: Vec<&String> = r[i + 1..].iter().filter(|c| !c.is_empty()).collect();
            if nums.len() == FUNDS.len() && nums.iter().all(|c| parse_amount(c).is_some()) {
                let subject = label.trim_end_matches(':').to_string();
                for (id, cell) in FUNDS.iter().zip(nums) {
                    let v = parse_amount(cell).unwrap_or_default();
                    let mut f = fact(id, r);
                    f.subject = Some(subject.clone());
                    f.printed = cell.clone();
                    match *id {
                        "selfeval_execution_percent" => f.percent = Some(v),
                        "selfeval_funds_score" => f.score = Some(v),
                        _ => f.amount_yuan = Some(to_yuan(v, unit)),
                    }
                    out.push(f);
                }
            }
            continue;
        }
        if in_indicators {
            if let Some(f) = indicator(r).map(|(name, max, score)| {
                let mut f = fact("performance_indicator", r);
                f.printed = format!("{max}/{score}");
                f.max_score = parse_amount(&max);
                f.score = parse_amount(&score);
                f.subject = Some(name);
                f
            }) {
                out.push(f);
            }
        }
    }
    ctx.in_indicators = in_indicators;
    true
}

/// (name, 分值, 得分) of an indicator row.
fn indicator(r: &[String]) -> Option<(String, String, String)> {
    let numeric = |c: &String| parse_amount(c).is_some();
    let k = (0..r.len().saturating_sub(1))
        .rev()
        .find(|&k| numeric(&r[k]) && numeric(&r[k + 1]) && !r[k + 2..].iter().any(numeric))?;
    let name = r[..k.checked_sub(3)?]
        .iter()
        .rev()
        .find(|c| !c.is_empty())?
        .clone();
    Some((name, r[k].clone(), r[k + 1].clone()))
}

/// Sum helper for tests: the 得分 of every indicator of a project.
pub fn indicator_score_sum(facts: &[NarrativeFact], project: &str) -> Decimal {
    facts
        .iter()
        .filter(|f| f.fact == "performance_indicator" && f.project.as_deref() == Some(project))
        .filter_map(|f| f.score)
        .sum()
}
