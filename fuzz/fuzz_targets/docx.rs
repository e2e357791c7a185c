//! The Word path: zip framing, the main-part reader (namespaces, merges,
//! page breaks, nesting), the grids and lines it gives, then recognition,
//! narrative facts and checks. The input is tried as a whole file and as the
//! body XML of a minimal .docx, so that the mutator works on
//! WordprocessingML, not on zip framing.
#![no_main]

use std::io::Write;
use std::sync::OnceLock;

use gongkai::settings::Limits;
use gongkai::Extractor;
use libfuzzer_sys::fuzz_target;

fn extractor() -> Option<&'static Extractor> {
    static EXTRACTOR: OnceLock<Option<Extractor>> = OnceLock::new();
    EXTRACTOR
        .get_or_init(|| {
            Extractor::bundled().ok().map(|e| {
                e.with_limits(Limits {
                    max_cells: 200_000,
                    max_decoded_bytes: 64 << 20,
                    ..Limits::default()
                })
            })
        })
        .as_ref()
}

/// A .docx whose word/document.xml is `xml` (stored).
fn docx(xml: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut out));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("[Content_Types].xml", stored).ok()?;
    zip.write_all(b"<Types/>").ok()?;
    zip.start_file("word/document.xml", stored).ok()?;
    zip.write_all(xml).ok()?;
    zip.finish().ok()?;
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let Some(extractor) = extractor() else { return };
    let _ = gongkai::decode::docx::decode(data, extractor.limits());
    if let Some(file) = docx(data) {
        let _ = gongkai::decode::docx::decode(&file, extractor.limits());
        let _ = extractor.extract_bytes(&file, "x.docx", None);
    }
});
