//! OFD (GB/T 33190): no real OFD disclosure is at hand, so the test builds
//! one from the standard's structure (OFD.xml → Document.xml → each page's
//! Content.xml with TextObject/TextCode and PathObject) out of the glyphs
//! and rules gongkai reads from the seed's PDF rendering, and reads it
//! back: the seed's tables cell for cell and its flags.

use std::fmt::Write as _;
use std::io::Write as _;

use gongkai::model::{Glyph, Page};
use gongkai::record::Record;
use gongkai::settings::{DecodeOptions, Limits};

use crate::util::*;

const MM_PER_PT: f64 = 25.4 / 72.0;

fn mm(pt: f64) -> f64 {
    pt * MM_PER_PT
}

/// Advances written compactly: equal neighbours as `g n v`.
fn delta_x(advances: &[f64]) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < advances.len() {
        let v = advances[i];
        let mut n = 1;
        while i + n < advances.len() && (advances[i + n] - v).abs() < 1e-6 {
            n += 1;
        }
        if n > 1 {
            out.push(format!("g {n} {v:.4}"));
        } else {
            out.push(format!("{v:.4}"));
        }
        i += n;
    }
    out.join(" ")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One page's Content.xml: runs of glyphs on one baseline as text objects
/// (every other one placed through a CTM), rules as path objects.
fn content_xml(page: &Page) -> String {
    let mut runs: Vec<Vec<&Glyph>> = Vec::new();
    for g in &page.glyphs {
        let joins = runs.last().and_then(|r| r.last()).is_some_and(|last| {
            (last.y1 - g.y1).abs() < 0.01
                && (last.size - g.size).abs() < 0.01
                && g.x0 >= last.x0
                && g.x0 - last.x1 < g.size
        });
        if joins {
            if let Some(r) = runs.last_mut() {
                r.push(g);
            }
        } else {
            runs.push(vec![g]);
        }
    }
    let mut xml = String::new();
    let _ = write!(
        xml,
        r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Area><ofd:PhysicalBox>0 0 {:.3} {:.3}</ofd:PhysicalBox></ofd:Area><ofd:Content><ofd:Layer ID="1"><ofd:PageBlock ID="2">"#,
        mm(page.width),
        mm(page.height)
    );
    for (i, run) in runs.iter().enumerate() {
        let first = run[0];
        let last = run[run.len() - 1];
        let size = mm(first.size);
        let (bx, by) = (mm(first.x0), mm(first.y1) - size);
        let width = mm(last.x1) - bx;
        let text: String = run
            .iter()
            .map(|g| g.printed.clone().unwrap_or_else(|| g.text.clone()))
            .collect();
        let advances: Vec<f64> = run.windows(2).map(|w| mm(w[1].x0 - w[0].x0)).collect();
        // Odd runs: the boundary starts 5 mm to the left and a CTM moves
        // the text back.
        let (bx, ctm) = if i % 2 == 1 {
            (bx - 5.0, r#" CTM="1 0 0 1 5 0""#)
        } else {
            (bx, "")
        };
        let _ = write!(
            xml,
            r#"<ofd:TextObject ID="{id}" Boundary="{bx:.4} {by:.4} {w:.4} {h:.4}" Font="1" Size="{size:.4}"{ctm}><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="{size:.4}" DeltaX="{dx}">{text}</ofd:TextCode></ofd:TextObject>"#,
            id = i + 10,
            w = width.max(size) + 5.0,
            h = size * 1.2,
            dx = delta_x(&advances),
            text = escape(&text),
        );
    }
    for (i, r) in page.rules.iter().enumerate() {
        let (x0, y0) = (mm(r.x0), mm(r.y0));
        let _ = write!(
            xml,
            r#"<ofd:PathObject ID="{id}" Boundary="{x0:.4} {y0:.4} {w:.4} {h:.4}" LineWidth="0.25"><ofd:AbbreviatedData>M 0 0 L {dx:.4} {dy:.4}</ofd:AbbreviatedData></ofd:PathObject>"#,
            id = runs.len() + i + 10,
            w = mm(r.x1 - r.x0).max(0.25),
            h = mm(r.y1 - r.y0).max(0.25),
            dx = mm(r.x1 - r.x0),
            dy = mm(r.y1 - r.y0),
        );
    }
    xml.push_str("</ofd:PageBlock></ofd:Layer></ofd:Content></ofd:Page>");
    xml
}

/// An OFD package of these pages, laid out as the standard's example is.
fn ofd_of(pages: &[Page]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut out));
        let mut put = |name: &str, body: &str| {
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
            zip.write_all(body.as_bytes())
                .unwrap_or_else(|e| panic!("{e}"));
        };
        put(
            "OFD.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>0C3E4B2A</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#,
        );
        let mut listing = String::new();
        for (i, _) in pages.iter().enumerate() {
            let _ = write!(
                listing,
                r#"<ofd:Page ID="{}" BaseLoc="Pages/Page_{i}/Content.xml"/>"#,
                i + 100
            );
        }
        put(
            "Doc_0/Document.xml",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData><ofd:MaxUnitID>99999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>{listing}</ofd:Pages></ofd:Document>"#
            ),
        );
        put(
            "Doc_0/PublicRes.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="http://www.ofdspec.org/2016" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="1" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>"#,
        );
        for (i, page) in pages.iter().enumerate() {
            put(
                &format!("Doc_0/Pages/Page_{i}/Content.xml"),
                &content_xml(page),
            );
        }
        zip.finish().unwrap_or_else(|e| panic!("{e}"));
    }
    out
}

#[test]
fn the_seed_as_ofd_reads_like_its_pdf() {
    let pdf = sample("a_portrait_uming.pdf");
    let bytes = std::fs::read(&pdf).unwrap_or_else(|e| panic!("{e}"));
    let read = gongkai::decode::pdf::pages(&bytes, &Limits::default(), &DecodeOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let ofd = ofd_of(&read.pages);
    let from_pdf = extract(&pdf);
    let r = extractor().extract_bytes(&ofd, "seed.ofd", None);
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.source.format, Some(gongkai::model::Format::Ofd));
    assert_eq!(r.source.engine.as_deref(), Some("ofd"));
    assert_eq!(r.source.pages, from_pdf.source.pages);
    assert_matches_golden(&r, "seed .ofd");
    assert_eq!(r.read.verdict.as_str(), from_pdf.read.verdict.as_str());
    assert_eq!(findings(&r), findings(&from_pdf));
    let pages =
        |r: &Record| -> Vec<Vec<u32>> { r.tables.iter().map(|t| t.pages.clone()).collect() };
    assert_eq!(pages(&r), pages(&from_pdf));
}

#[test]
fn hostile_ofd_packages_are_refused_cleanly() {
    let zip_of = |members: &[(&str, &str)]| {
        let mut out = Vec::new();
        {
            let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut out));
            for (name, body) in members {
                zip.start_file(*name, zip::write::SimpleFileOptions::default())
                    .unwrap_or_else(|e| panic!("{e}"));
                zip.write_all(body.as_bytes())
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            zip.finish().unwrap_or_else(|e| panic!("{e}"));
        }
        out
    };
    let root = r#"<ofd:OFD xmlns:ofd="x"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#;
    let doc = r#"<ofd:Document xmlns:ofd="x"><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/P/Content.xml"/></ofd:Pages></ofd:Document>"#;
    let nested = format!(
        r#"<ofd:Page xmlns:ofd="x"><ofd:Content><ofd:Layer>{}{}</ofd:Layer></ofd:Content></ofd:Page>"#,
        "<ofd:PageBlock>".repeat(500),
        "</ofd:PageBlock>".repeat(500)
    );
    let image_only = r#"<ofd:Page xmlns:ofd="x"><ofd:Content><ofd:Layer><ofd:ImageObject ID="3" ResourceID="4" Boundary="0 0 210 297" CTM="210 0 0 297 0 0"/></ofd:Layer></ofd:Content></ofd:Page>"#;
    let many = format!(
        r#"<ofd:Page xmlns:ofd="x"><ofd:Content><ofd:Layer><ofd:TextObject ID="3" Boundary="0 0 10 10" Size="3"><ofd:TextCode X="0" Y="3" DeltaX="g 99999999 0.001">{}</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"#,
        "合".repeat(600_000)
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "no DocRoot",
            zip_of(&[("OFD.xml", "<ofd:OFD/>")]),
            "truncated",
        ),
        (
            "missing page",
            zip_of(&[("OFD.xml", root), ("Doc_0/Document.xml", doc)]),
            "truncated",
        ),
        (
            "nesting",
            zip_of(&[
                ("OFD.xml", root),
                ("Doc_0/Document.xml", doc),
                ("Doc_0/Pages/P/Content.xml", &nested),
            ]),
            "too_large",
        ),
        (
            "a scan",
            zip_of(&[
                ("OFD.xml", root),
                ("Doc_0/Document.xml", doc),
                ("Doc_0/Pages/P/Content.xml", image_only),
            ]),
            "no_text_layer",
        ),
        (
            "broken XML",
            zip_of(&[
                ("OFD.xml", root),
                ("Doc_0/Document.xml", doc),
                (
                    "Doc_0/Pages/P/Content.xml",
                    "<ofd:Page><ofd:Content></ofd:Page>",
                ),
            ]),
            "truncated",
        ),
    ];
    for (what, bytes, kind) in cases {
        let r = extractor().extract_bytes(&bytes, "x.ofd", None);
        let e = r.error.unwrap_or_else(|| panic!("{what}: no error"));
        assert_eq!(e.kind.as_str(), kind, "{what}: {}", e.message);
    }
    // A missing page part leaves that page unread, and says so; the
    // others are read.
    let two = r#"<ofd:Document xmlns:ofd="x"><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/P/Content.xml"/><ofd:Page ID="2" BaseLoc="Pages/Q/Content.xml"/></ofd:Pages></ofd:Document>"#;
    let text = r#"<ofd:Page xmlns:ofd="x"><ofd:Content><ofd:Layer><ofd:TextObject ID="3" Boundary="10 10 100 10" Size="4"><ofd:TextCode X="0" Y="4">收入支出决算总表</ofd:TextCode><ofd:TextCode Y="9" DeltaX="g 99999999 4">第二行</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"#;
    let bytes = zip_of(&[
        ("OFD.xml", root),
        ("Doc_0/Document.xml", two),
        ("Doc_0/Pages/P/Content.xml", text),
    ]);
    let r = extractor().extract_bytes(&bytes, "x.ofd", None);
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.source.pages, Some(2));
    assert!(
        r.source
            .warnings
            .iter()
            .any(|w| w.starts_with("page 2 not read")),
        "{:?}",
        r.source.warnings
    );
    // The second code has no X: it starts where the first did.
    let pages =
        gongkai::decode::ofd::pages(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let firsts: Vec<f64> = pages.0[0]
        .glyphs
        .iter()
        .filter(|g| g.text == "收" || g.text == "第")
        .map(|g| g.x0)
        .collect();
    assert_eq!(firsts.len(), 2);
    assert!((firsts[0] - firsts[1]).abs() < 1e-9, "{firsts:?}");
    // A page drawing more path operators than allowed is not read.
    let paths = format!(
        r#"<ofd:Page xmlns:ofd="x"><ofd:Content><ofd:Layer><ofd:TextObject ID="3" Boundary="10 10 100 10" Size="4"><ofd:TextCode X="0" Y="4">合计</ofd:TextCode></ofd:TextObject><ofd:PathObject ID="4" Boundary="0 0 200 200"><ofd:AbbreviatedData>{}</ofd:AbbreviatedData></ofd:PathObject></ofd:Layer></ofd:Content></ofd:Page>"#,
        "M 0 1 L 200 1 ".repeat(2000)
    );
    let bytes = zip_of(&[
        ("OFD.xml", root),
        ("Doc_0/Document.xml", doc),
        ("Doc_0/Pages/P/Content.xml", &paths),
    ]);
    let tight = extractor().clone().with_limits(Limits {
        max_page_operators: 1000,
        ..Limits::default()
    });
    let e = tight.extract_bytes(&bytes, "x.ofd", None).error;
    let e = e.unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.kind.as_str(), "too_large");
    assert!(e.message.contains("--max-page-operators"), "{}", e.message);
    // A page over the glyph limit is not read, and says so.
    let bytes = zip_of(&[
        ("OFD.xml", root),
        ("Doc_0/Document.xml", doc),
        ("Doc_0/Pages/P/Content.xml", &many),
    ]);
    let r = extractor().extract_bytes(&bytes, "x.ofd", None);
    let said = format!("{:?} {:?}", r.error, r.source.warnings);
    assert!(said.contains("glyphs"), "{said}");
}
