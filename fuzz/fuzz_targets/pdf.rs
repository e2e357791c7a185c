//! The PDF path: lopdf parsing, the limit guards, pdf-extract with our
//! output device, ruling lines, layout. The pdftotext fallback is disabled
//! (a subprocess per input would only measure poppler).
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use gongkai::settings::{Limits, DecodeOptions};
use libfuzzer_sys::fuzz_target;

fn limits() -> &'static Limits {
    static LIMITS: OnceLock<Limits> = OnceLock::new();
    LIMITS.get_or_init(|| {
        Limits {
            timeout: Duration::from_secs(20),
            max_pages: 50,
            max_decoded_bytes: 64 << 20,
            ..Limits::default()
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let limits = limits();
    let no_fallback = DecodeOptions {
        pdftotext: None,
        ..DecodeOptions::default()
    };
    // With and without the header, so that the mutator need not find it.
    let _ = gongkai::decode::pdf::decode(data, limits, &no_fallback);
    if !data.starts_with(b"%PDF-") {
        let mut with_header = b"%PDF-1.4\n".to_vec();
        with_header.extend_from_slice(data);
        let _ = gongkai::decode::pdf::decode(&with_header, limits, &no_fallback);
    }
});
