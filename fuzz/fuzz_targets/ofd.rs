//! The OFD path and bundles: the package reader (parts, page listing), the
//! page reader (text codes, advances, transforms, paths), the glyphs and
//! rules it gives through layout, recognition and checks; and the same
//! input unpacked as a zip bundle. The input is tried as a whole file and
//! as the Content.xml of a minimal one-page package, so that the mutator
//! works on page XML, not on zip framing.
#![no_main]

use std::io::Write;
use std::sync::OnceLock;

use gongkai::extractor::Document;
use gongkai::settings::Limits;
use gongkai::Extractor;
use libfuzzer_sys::fuzz_target;

fn extractor() -> Option<&'static Extractor> {
    static EXTRACTOR: OnceLock<Option<Extractor>> = OnceLock::new();
    EXTRACTOR
        .get_or_init(|| {
            Extractor::bundled().ok().map(|e| {
                e.with_limits(Limits {
                    max_page_glyphs: 100_000,
                    max_decoded_bytes: 64 << 20,
                    ..Limits::default()
                })
            })
        })
        .as_ref()
}

/// A one-page OFD package whose page content is `xml` (stored).
fn ofd(xml: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut out));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("OFD.xml", stored).ok()?;
    zip.write_all(br#"<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#).ok()?;
    zip.start_file("Doc_0/Document.xml", stored).ok()?;
    zip.write_all(br#"<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>"#).ok()?;
    zip.start_file("Doc_0/Pages/Page_0/Content.xml", stored).ok()?;
    zip.write_all(xml).ok()?;
    zip.finish().ok()?;
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let Some(extractor) = extractor() else { return };
    let _ = gongkai::decode::ofd::decode(data, extractor.limits());
    let _ = extractor.extract(&Document::bytes("x.zip", data.to_vec()));
    if let Some(file) = ofd(data) {
        let _ = extractor.extract_bytes(&file, "x.ofd", None);
    }
});
