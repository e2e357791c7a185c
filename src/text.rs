//! Text helpers every stage shares: NFKC normalization (full-width digits
//! and punctuation become ASCII), whitespace folding and squashing, the CJK
//! test, SHA-256. The bottom layer: imports nothing of the project.

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

/// NFKC-normalizes `s` and folds every run of whitespace (including
/// ideographic spaces and non-breaking spaces) into one ASCII space, trimmed.
pub fn normalize(s: &str) -> String {
    fold_chars(s.nfkc(), s.len())
}

/// Folds every run of whitespace into one ASCII space, trimmed, leaving the
/// characters as printed (no NFKC).
pub fn fold(s: &str) -> String {
    fold_chars(s.chars(), s.len())
}

/// Full-width characters: CJK ideographs, kana, full-width forms and
/// punctuation (a character as wide as the font size; others are about half).
pub fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0x20000..=0x2FA1F)
}

/// NFKC of one character (what [`normalize`] makes of it).
pub fn nfkc_char(c: char) -> impl Iterator<Item = char> {
    std::iter::once(c).nfkc()
}

fn fold_chars(chars: impl Iterator<Item = char>, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut pending_space = false;
    for c in chars {
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

/// CJK ideographs (the unified blocks and extensions A/B).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0xF900..=0xFAFF)
}

/// Text for HTML and SVG (element content and attribute values): the five
/// markup characters as references, control characters other than newline
/// and tab dropped (XML does not allow them).
pub fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
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
