//! The spreadsheet path: the zip-bomb guard, calamine (.xls and .xlsx), the
//! sparse cell layout with merged regions, then recognition, narrative facts
//! and checks. The input is tried as a workbook and as its sheet XML inside
//! a minimal .xlsx, so that the mutator works on cells, not on zip framing.
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

/// A one-sheet .xlsx (stored members) whose worksheet XML is `sheet`.
fn xlsx(sheet: &[u8]) -> Vec<u8> {
    let members: [(&str, &[u8]); 5] = [
        ("[Content_Types].xml", br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#),
        ("_rels/.rels", br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
        ("xl/workbook.xml", br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ("xl/_rels/workbook.xml.rels", br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut zip = Vec::new();
    let mut central = Vec::new();
    for (name, body) in members {
        let crc = crc32(body);
        let offset = zip.len() as u32;
        let header = |sig: &[u8], central: bool| {
            let mut h = sig.to_vec();
            if central {
                h.extend_from_slice(&[20, 0]);
            }
            h.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&(body.len() as u32).to_le_bytes());
            h.extend_from_slice(&(body.len() as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&[0, 0]);
            if central {
                h.extend_from_slice(&[0; 10]);
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        zip.extend_from_slice(&header(b"PK\x03\x04", false));
        zip.extend_from_slice(body);
        central.extend_from_slice(&header(b"PK\x01\x02", true));
    }
    let at = zip.len() as u32;
    zip.extend_from_slice(&central);
    zip.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    zip.extend_from_slice(&[5, 0, 5, 0]);
    zip.extend_from_slice(&(central.len() as u32).to_le_bytes());
    zip.extend_from_slice(&at.to_le_bytes());
    let _ = zip.write_all(&[0, 0]);
    zip
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fuzz_target!(|data: &[u8]| {
    let Some(extractor) = extractor() else { return };
    let limits = extractor.limits();
    let _ = gongkai::decode::sheet::decode(data, "x.xlsx", limits);
    let _ = extractor.extract_bytes(data, "x.xls", None);
    let book = xlsx(data);
    let _ = extractor.extract_bytes(&book, "x.xlsx", None);
});
