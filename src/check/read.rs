//! The verdict of a record: can it be taken as its whole document? Decided
//! from what the record itself holds (the amounts printed against those
//! captured, tables no pattern recognized, units that were not printed,
//! amounts that could not be placed, decoding problems), so that a dataset
//! can select the complete records and list the partial ones without
//! opening a PDF.

use crate::patterns::checks::CheckSet;
use crate::record::{ReadReason, Record, UnitSource, Verdict, UNRECOGNIZED};

/// A document is complete when at least this share (in percent) of its
/// table amounts was captured. Amounts are counted by their text, so a few
/// printed outside any table row (a total repeated in a header) stay
/// uncaptured in a full read.
const COMPLETE_PERCENT: u32 = 97;
/// A page with at least this many table amounts…
const PAGE_MIN_AMOUNTS: u32 = 6;
/// …of which under this share (percent) was captured is named as not read.
const PAGE_READ_PERCENT: u32 = 50;
/// Fewest amounts a titled document must print for "nothing recognized" to
/// be a misread rather than a page that is no disclosure.
const TITLED_MIN_AMOUNTS: u32 = 10;

/// How a decoding warning says that the fallback engine read the text
/// (`decode::pdf`).
const FALLBACK_READ: &str = "text read by pdftotext";
/// How a warning of the first PDF engine starts.
const FIRST_ENGINE: &str = "pdf-extract";

fn reason(kind: &str, page: Option<u32>, table: Option<&str>, detail: String) -> ReadReason {
    ReadReason {
        kind: kind.to_string(),
        page,
        table: table.map(str::to_string),
        detail,
    }
}

/// Named rows with amounts a table checked by code must print before its
/// missing codes are a reason.
const CLASS_ROWS_WITHOUT_CODES: usize = 3;

/// Sets `record.read.verdict` and `reasons` from the record (its tallies
/// already filled in); `checks` says which kinds are checked by code.
pub fn settle(record: &mut Record, checks: &CheckSet) {
    let read = &record.read;
    if record.error.is_some() {
        record.read.verdict = Verdict::Failed;
        record.read.reasons.clear();
        return;
    }
    let mut reasons = Vec::new();
    let recognized = record.tables.iter().any(|t| t.kind != UNRECOGNIZED);
    if !recognized && record.narrative.is_empty() {
        let printed = read.table_amounts.printed + read.narrative_amounts.printed;
        if record.document.title.is_some() && printed >= TITLED_MIN_AMOUNTS {
            reasons.push(reason(
                "nothing_recognized",
                None,
                None,
                format!(
                    "titled as a disclosure and printing {printed} amounts, but no table or narrative figure was recognized"
                ),
            ));
        } else {
            let grids = record.tables.len();
            let detail = if grids == 0 {
                "no disclosure table, no narrative figure".to_string()
            } else {
                format!("no disclosure table, no narrative figure ({grids} grid(s) of figures of no disclosure table)")
            };
            record.read.reasons = vec![reason("nothing_read", None, None, detail)];
            record.read.verdict = Verdict::NotADisclosure;
            return;
        }
    }
    let t = read.table_amounts;
    if t.printed > 0 && t.captured * 100 < t.printed * COMPLETE_PERCENT {
        reasons.push(reason(
            "table_amounts_missed",
            None,
            None,
            format!(
                "{} of the {} amounts printed in tables were captured",
                t.captured, t.printed
            ),
        ));
    }
    for p in &read.pages {
        if p.printed >= PAGE_MIN_AMOUNTS && p.captured * 100 < p.printed * PAGE_READ_PERCENT {
            reasons.push(reason(
                "page_not_read",
                Some(p.page),
                None,
                format!(
                    "page {}: {} of {} table amounts captured",
                    p.page, p.captured, p.printed
                ),
            ));
        }
    }
    for table in &record.tables {
        let page = table.pages.first().copied();
        if table.kind == UNRECOGNIZED {
            reasons.push(reason(
                "unrecognized_table",
                page,
                None,
                format!(
                    "a grid of figures {} matches no table pattern; kept as printed",
                    captioned(&table.title)
                ),
            ));
            continue;
        }
        if table.unit_source == Some(UnitSource::Assumed) {
            reasons.push(reason(
                "amount_unit_unknown",
                page,
                Some(&table.kind),
                format!(
                    "{} prints no amount unit and nothing in the document gives it; amounts taken as 元",
                    table.title
                ),
            ));
        }
        // A code column the patterns did not recognize: the rows carry no
        // 款 or 项 code (class codes may still come from the names), and the
        // hierarchy checks declared for the kind cannot run.
        let by_code = checks
            .hierarchy
            .iter()
            .any(|h| h.tables.contains(&table.kind));
        let named = table
            .rows
            .iter()
            .filter(|r| r.line.is_none() && r.name.is_some() && !r.values.is_empty())
            .count();
        let deep = table
            .rows
            .iter()
            .any(|r| r.code.as_deref().is_some_and(|c| c.len() >= 5));
        if by_code && named >= CLASS_ROWS_WITHOUT_CODES && !deep {
            reasons.push(reason(
                "codes_missing",
                page,
                Some(&table.kind),
                format!(
                    "{named} rows of {} print amounts but none has a 款 or 项 code: its code column was not recognized, and the checks by code could not run",
                    table.title
                ),
            ));
        }
        let noted = table.rows.iter().filter(|r| r.note.is_some()).count();
        if noted > 0 {
            reasons.push(reason(
                "ambiguous_amounts",
                page,
                Some(&table.kind),
                format!(
                    "{noted} row(s) of {} hold amounts whose column could not be settled",
                    table.title
                ),
            ));
        }
    }
    // Text read by the fallback engine is read, not lost; so are the pages
    // the first engine failed on once the fallback read the whole document.
    let whole = record
        .source
        .warnings
        .iter()
        .any(|w| w.ends_with(FALLBACK_READ));
    for w in &record.source.warnings {
        let superseded = w.ends_with(FALLBACK_READ) || (whole && w.starts_with(FIRST_ENGINE));
        if !superseded {
            reasons.push(reason("decode_warning", None, None, w.clone()));
        }
    }
    record.read.verdict = if reasons.is_empty() {
        Verdict::Complete
    } else {
        Verdict::Partial
    };
    record.read.reasons = reasons;
}

/// "under \"CAPTION\"", or "with no caption" for a grid printed right after
/// another (a continuation in columns of its own).
pub fn captioned(title: &str) -> String {
    if title.is_empty() {
        "with no caption".to_string()
    } else {
        format!("under \"{title}\"")
    }
}
