//! Text normalization shared by every decoder: NFKC (full-width digits and
//! punctuation become ASCII), whitespace folding.

use unicode_normalization::UnicodeNormalization;

/// NFKC-normalizes `s` and folds every run of whitespace (including
/// ideographic spaces and non-breaking spaces) into one ASCII space, trimmed.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfkc() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Removes every whitespace character (for matching titles and headers,
/// where exports insert spaces between CJK characters and digits).
pub fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfkc_and_whitespace() {
        assert_eq!(normalize("  公开０１表\u{3000}（一）  "), "公开01表 (一)");
        assert_eq!(squash("公开 01 表"), "公开01表");
    }
}
