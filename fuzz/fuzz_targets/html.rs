//! The HTML path: charset detection, scraper, tables to grids, then
//! recognition, narrative facts and checks (through the extractor).
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
    let _ = gongkai::decode::html::decode(data, None, &Default::default());
    let _ = extractor.extract_bytes(data, "x.html", Some("gbk"));
});
