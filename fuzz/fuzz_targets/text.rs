//! The text recognizer: plain text (UTF-8 or GBK) to blocks, recognition of
//! titles, labels, headers and rows, amounts and codes, narrative facts and
//! checks. A "tabular" variant turns spaces into tabs so that grids appear.
#![no_main]

use std::sync::OnceLock;

use gongkai::Extractor;
use libfuzzer_sys::fuzz_target;

fn extractor() -> Option<&'static Extractor> {
    static EXTRACTOR: OnceLock<Option<Extractor>> = OnceLock::new();
    EXTRACTOR.get_or_init(|| Extractor::bundled().ok()).as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Some(extractor) = extractor() else { return };
    let _ = extractor.extract_bytes(data, "x.txt", None);
    if let Ok(text) = std::str::from_utf8(data) {
        let tabbed = text.replace(' ', "\t");
        let _ = extractor.extract_bytes(tabbed.as_bytes(), "x.txt", None);
        for n in [".", "01", "201", "2010101"] {
            let _ = gongkai::normalize::parse_amount(&format!("{text}{n}"));
        }
    }
});
