//! The HTML path: charset detection, scraper, tables to grids, then
//! recognition, narrative facts and checks (through `extract_bytes`).
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
    let _ = gongkai::decode::html::decode(data, None);
    let _ =
        gongkai::extract::extract_bytes(data, "x.html", Some("gbk"), patterns, &Limits::default());
});
