//! The text recognizer: plain text (UTF-8 or GBK) to blocks, recognition of
//! titles, labels, headers and rows, amounts and codes, narrative facts and
//! checks. A "tabular" variant turns spaces into tabs so that grids appear.
#![no_main]

use std::sync::OnceLock;

use gongkai::recognize::PatternSet;
use gongkai::settings::Limits;
use libfuzzer_sys::fuzz_target;

fn patterns() -> Option<&'static PatternSet> {
    static SET: OnceLock<Option<PatternSet>> = OnceLock::new();
    SET.get_or_init(|| PatternSet::bundled().ok()).as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Some(patterns) = patterns() else { return };
    let limits = Limits::default();
    let _ = gongkai::extract::extract_bytes(data, "x.txt", None, patterns, &limits);
    if let Ok(text) = std::str::from_utf8(data) {
        let tabbed = text.replace(' ', "\t");
        let _ =
            gongkai::extract::extract_bytes(tabbed.as_bytes(), "x.txt", None, patterns, &limits);
        for n in [".", "01", "201", "2010101"] {
            let _ = gongkai::normalize::parse_amount(&format!("{text}{n}"));
        }
    }
});
