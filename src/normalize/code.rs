//! Classification codes: function codes (类 3 digits, 款 5, 项 7) and
//! economic codes (类 3, 款 5), printed in one column ("2010301", "201 03 01")
//! or split over 类/款/项 columns.

use crate::record::Level;

/// Compacts a printed code ("201 06 01", "20106 01") into digits, or `None`
/// when it is not a code of 3, 5 or 7 digits.
pub fn compact_code(printed: &str) -> Option<String> {
    let digits: String = printed.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.chars().all(|c| c.is_ascii_digit()) && matches!(digits.len(), 3 | 5 | 7) {
        Some(digits)
    } else {
        None
    }
}

/// Joins split 类/款/项 parts ("201", "06", "01"). A part may be blank for a
/// higher-level row; a row printing only the lower parts (the higher ones
/// being implied by the rows above) is completed from `context`, the code
/// of the previous row.
pub fn join_split_code(parts: &[&str], context: Option<&str>) -> Option<String> {
    let parts: Vec<String> = parts
        .iter()
        .map(|p| p.chars().filter(|c| !c.is_whitespace()).collect())
        .collect();
    if parts.iter().all(String::is_empty) {
        return None;
    }
    let widths = [3usize, 2, 2];
    let mut code = String::new();
    for (i, part) in parts.iter().enumerate() {
        let width = widths.get(i).copied().unwrap_or(2);
        if part.is_empty() {
            if code.is_empty() {
                // Implied by the row above: take the same prefix.
                let prefix_len: usize = widths.iter().take(i + 1).sum();
                let ctx = context?;
                if ctx.len() < prefix_len {
                    return None;
                }
                code.push_str(&ctx[..prefix_len]);
                continue;
            }
            break;
        }
        // A 款/项 part whose leading zero was dropped by a spreadsheet ("2" for "02").
        let padded;
        let part = if i > 0 && part.len() + 1 == width && part.chars().all(|c| c.is_ascii_digit()) {
            padded = format!("0{part}");
            &padded
        } else {
            part
        };
        if part.len() != width || !part.chars().all(|c| c.is_ascii_digit()) {
            // A whole code in the first column ("2010301").
            if i == 0 && compact_code(part).is_some() {
                return Some(part.clone());
            }
            return None;
        }
        code.push_str(part);
    }
    compact_code(&code)
}

/// The level of a compact code.
pub fn code_level(code: &str) -> Option<Level> {
    match code.len() {
        3 => Some(Level::Class),
        5 => Some(Level::Section),
        7 => Some(Level::Item),
        _ => None,
    }
}

/// The parent of a compact code (first 5 digits of a 项, first 3 of a 款).
pub fn parent_code(code: &str) -> Option<String> {
    match code.len() {
        5 => Some(code[..3].to_string()),
        7 => Some(code[..5].to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_split() {
        assert_eq!(compact_code("201 06 01").as_deref(), Some("2010601"));
        assert_eq!(compact_code("合计"), None);
        assert_eq!(compact_code("2022"), None);
        assert_eq!(
            join_split_code(&["201", "06", "01"], None).as_deref(),
            Some("2010601")
        );
        assert_eq!(
            join_split_code(&["201", "", ""], None).as_deref(),
            Some("201")
        );
        assert_eq!(
            join_split_code(&["", "06", "01"], Some("20106")).as_deref(),
            Some("2010601")
        );
        assert_eq!(
            join_split_code(&["2010601", "", ""], None).as_deref(),
            Some("2010601")
        );
        // A leading zero dropped by a spreadsheet.
        assert_eq!(
            join_split_code(&["301", "2", ""], None).as_deref(),
            Some("30102")
        );
        assert_eq!(join_split_code(&["", "", ""], None), None);
        assert_eq!(parent_code("2010601").as_deref(), Some("20106"));
        assert_eq!(code_level("30101"), Some(Level::Section));
    }
}
