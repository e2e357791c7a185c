//! Sentences and clauses, and the values printed in them.
//!
//! Text here is NFKC-normalized and squashed (no whitespace), so the
//! full-width punctuation of the source has become ASCII: `，` is `,`, `：`
//! is `:`, `；` is `;`; `。` and `、` stay as they are.

use rust_decimal::Decimal;

use crate::normalize::{parse_amount, parse_unit, to_yuan};
use crate::record::AmountUnit;

/// Byte ranges of the sentences of `text`: split after `。`, `;`, `!`, `?`
/// (the delimiter is left out; empty sentences are dropped).
pub fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '。' | ';' | '!' | '?') {
            if i > start {
                out.push((start, i));
            }
            start = i + c.len_utf8();
        }
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out
}

/// The byte offset of the end of the clause starting at `from` in
/// `sentence`: the next `,`, `、` or `:` that is not a thousand separator
/// (a comma between a digit and exactly three digits), or the end.
pub fn clause_end(sentence: &str, from: usize) -> usize {
    let bytes = sentence.as_bytes();
    for (i, c) in sentence[from..].char_indices() {
        let at = from + i;
        match c {
            '、' | ':' => return at,
            ',' => {
                let before = at > 0 && bytes[at - 1].is_ascii_digit();
                let digits = bytes[at + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if !(before && digits == 3) {
                    return at;
                }
            }
            _ => {}
        }
    }
    sentence.len()
}

/// The clauses of a sentence as byte ranges (for tests and inspection).
pub fn clauses(sentence: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < sentence.len() {
        let end = clause_end(sentence, pos);
        if end > pos {
            out.push((pos, end));
        }
        pos = end + sentence[end..].chars().next().map_or(0, char::len_utf8);
    }
    out
}

/// An amount with its printed unit (元 when none is printed) in exact yuan.
pub fn amount_yuan(number: &str, unit: Option<&str>) -> Option<Decimal> {
    let value = parse_amount(number)?;
    let unit = match unit {
        None | Some("") => AmountUnit::Yuan,
        Some("万") => AmountUnit::TenThousandYuan,
        Some(u) => parse_unit(u)?,
    };
    Some(to_yuan(value, unit))
}

/// A percentage or a score as printed ("77.87" of "77.87%") exactly.
pub fn number(printed: &str) -> Option<Decimal> {
    let t = printed.trim().trim_end_matches('%');
    parse_amount(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(s: &'a str, r: &[(usize, usize)]) -> Vec<&'a str> {
        r.iter().map(|&(a, b)| &s[a..b]).collect()
    }

    #[test]
    fn sentences_split_on_full_stops_and_semicolons() {
        let s = "收入8,638,621.12元,增长77.87%。主要原因是:提高;上级补助收入0.00元。。";
        assert_eq!(
            texts(s, &sentences(s)),
            vec![
                "收入8,638,621.12元,增长77.87%",
                "主要原因是:提高",
                "上级补助收入0.00元"
            ]
        );
    }

    #[test]
    fn clauses_keep_thousand_separators() {
        let s = "其中:财政拨款收入8,638,621.12元,占比100.00%、工会经费57590.84,占比13.71%";
        assert_eq!(
            texts(s, &clauses(s)),
            vec![
                "其中",
                "财政拨款收入8,638,621.12元",
                "占比100.00%",
                "工会经费57590.84",
                "占比13.71%"
            ]
        );
        // A comma after a number followed by other than three digits ends the clause.
        let s = "共2辆,12个";
        assert_eq!(texts(s, &clauses(s)), vec!["共2辆", "12个"]);
    }

    #[test]
    fn amounts_in_yuan_and_wan_yuan() {
        let d = |s: &str| s.parse::<Decimal>().ok();
        assert_eq!(amount_yuan("8,638,621.12", Some("元")), d("8638621.12"));
        assert_eq!(amount_yuan("57590.84", None), d("57590.84"));
        assert_eq!(amount_yuan("36.89", Some("万元")), d("368900.00"));
        assert_eq!(amount_yuan("0.39", Some("万")), d("3900.00"));
        assert_eq!(amount_yuan("9746.50", Some("万元")), d("97465000.00"));
        assert_eq!(amount_yuan("1,2", Some("元")), None);
        assert_eq!(number("77.87%"), d("77.87"));
        assert_eq!(number("4.3"), d("4.3"));
        assert_eq!(
            number("100.00%").map(|x| x.to_string()).as_deref(),
            Some("100.00")
        );
    }
}
