//! Amounts as printed ("8,638,621.12", "1,511.90", "-3.5") into exact
//! decimals; never through floating point.

use rust_decimal::Decimal;

use crate::record::AmountUnit;

/// Parses a printed amount. Accepts thousand separators (commas, or the
/// spaces some renderers leave inside numbers), a leading sign, a decimal
/// fraction, and accounting negatives in brackets "(12.50)". Returns `None`
/// for anything else (blank, placeholders such as "———", text).
pub fn parse_amount(printed: &str) -> Option<Decimal> {
    let mut s: String = printed.chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() {
        return None;
    }
    let mut negative = false;
    if s.starts_with('(') && s.ends_with(')') && s.len() > 2 {
        negative = true;
        s = s[1..s.len() - 1].to_string();
    }
    let body = match s.strip_prefix('-').or_else(|| s.strip_prefix('−')) {
        Some(rest) => {
            negative = !negative;
            rest
        }
        None => s.strip_prefix('+').unwrap_or(&s),
    };
    if !well_formed(body) {
        return None;
    }
    let digits: String = body.chars().filter(|&c| c != ',').collect();
    let value: Decimal = digits.parse().ok()?;
    Some(if negative { -value } else { value })
}

/// Digits with optional thousand separators in the right places and an
/// optional fraction.
fn well_formed(s: &str) -> bool {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int.is_empty() || !int.chars().all(|c| c.is_ascii_digit() || c == ',') {
        return false;
    }
    if let Some(f) = frac {
        if f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    if int.contains(',') {
        let groups: Vec<&str> = int.split(',').collect();
        let first_ok = (1..=3).contains(&groups[0].len());
        if !first_ok || groups[1..].iter().any(|g| g.len() != 3) {
            return false;
        }
    }
    true
}

/// Converts a printed amount in `unit` to yuan exactly.
/// The result keeps at least two decimals (fen) and any further precision
/// that was printed: 2940.05 万元 is 29400500.00 yuan.
pub fn to_yuan(value: Decimal, unit: AmountUnit) -> Decimal {
    let mut yuan = (value * unit.factor()).normalize();
    if yuan.scale() < 2 {
        yuan.rescale(2);
    }
    yuan
}

/// A cell's text that is an amount: digits with a decimal part or
/// thousands separators ("1,234", "0.00", "-3.50", "(12.50)"), or a whole
/// number of three digits and more. Column numbers (1, 2, 3), 款/项 code
/// parts (01) and percentages are not amounts.
pub fn is_amount(t: &str) -> bool {
    let t = t
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .unwrap_or(t);
    let t = t.strip_prefix(['-', '−']).unwrap_or(t);
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    if int.is_empty() {
        return false;
    }
    if int.contains(',') {
        let mut groups = int.split(',');
        let first = groups.next().unwrap_or("");
        return (1..=3).contains(&first.len())
            && first.bytes().all(|b| b.is_ascii_digit())
            && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
    }
    int.bytes().all(|b| b.is_ascii_digit()) && (frac.is_some() || int.len() >= 3)
}

/// The amount-shaped cells of a grid ([`is_amount`]; merged cells once),
/// squashed, top to bottom, each with its row and column.
pub fn grid_amount_cells(grid: &crate::model::Grid) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for (r, row) in grid.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate().filter(|(_, c)| c.origin) {
            let t = crate::text::squash(&cell.text);
            if is_amount(&t) {
                out.push((r, c, t));
            }
        }
    }
    out
}

/// The texts of [`grid_amount_cells`].
pub fn grid_amounts(grid: &crate::model::Grid) -> Vec<String> {
    grid_amount_cells(grid)
        .into_iter()
        .map(|(_, _, t)| t)
        .collect()
}

/// Reads an amount unit name.
pub fn parse_unit(s: &str) -> Option<AmountUnit> {
    match s.trim() {
        "元" => Some(AmountUnit::Yuan),
        "万元" => Some(AmountUnit::TenThousandYuan),
        "千元" => Some(AmountUnit::ThousandYuan),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn printed_forms() {
        assert_eq!(parse_amount("8,638,621.12"), Some(d("8638621.12")));
        assert_eq!(parse_amount("8638621.12"), Some(d("8638621.12")));
        assert_eq!(parse_amount(" 1,511.90 "), Some(d("1511.90")));
        assert_eq!(parse_amount("-3.5"), Some(d("-3.5")));
        assert_eq!(parse_amount("(12.50)"), Some(d("-12.50")));
        assert_eq!(parse_amount("0.00"), Some(Decimal::ZERO));
        for bad in [
            "",
            "———",
            "—",
            "-",
            "12,34.5",
            "1.2.3",
            "77.87%",
            "abc",
            "1,000,00",
            ".5",
        ] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
    }

    #[test]
    fn wan_yuan_is_exact() {
        assert_eq!(
            to_yuan(d("2940.05"), AmountUnit::TenThousandYuan).to_string(),
            "29400500.00"
        );
        assert_eq!(
            to_yuan(d("0.01"), AmountUnit::TenThousandYuan).to_string(),
            "100.00"
        );
        assert_eq!(
            to_yuan(d("8638621.12"), AmountUnit::Yuan).to_string(),
            "8638621.12"
        );
    }

    #[test]
    fn amounts_are_told_from_numbers_that_are_not() {
        for a in [
            "1,234",
            "0.00",
            "-3.50",
            "(12.50)",
            "123",
            "2010301",
            "8,638,621.12",
            "5.1",
        ] {
            assert!(is_amount(a), "{a}");
        }
        for n in [
            "1", "12", "01", "", "77.87%", "1,23", "12,34.5", "1.", ".5", "合计", "3=1+2", "-",
        ] {
            assert!(!is_amount(n), "{n}");
        }
    }
}
