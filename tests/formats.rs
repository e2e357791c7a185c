//! Every format the portals publish, detected by content: Word .docx, and
//! legacy .doc through LibreOffice, read into the same tables and flags as
//! the seed text; what cannot be read named for what it is.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use gongkai::settings::DecodeOptions;

use crate::util::*;

/// The seed rendered as .docx by `../shared/samples/tools/gen_docx.py`
/// (python-docx), in `dir`; `None` (with a notice) when the tool or
/// python-docx is absent.
fn seed_docx(dir: &Path, variant: &str) -> Option<PathBuf> {
    let tool = shared()?.join("samples/tools/gen_docx.py");
    let has_docx = Command::new("python3")
        .args(["-c", "import docx"])
        .status()
        .is_ok_and(|s| s.success());
    if !tool.exists() || !has_docx {
        eprintln!("skipped: gen_docx.py or python-docx is absent (pip install python-docx)");
        return None;
    }
    let out = dir.join(format!("seed_{variant}.docx"));
    let status = Command::new("python3")
        .arg(&tool)
        .arg(sample("seed_changzhi_2022_final.txt"))
        .arg(&out)
        .args(["--variant", variant])
        .status()
        .unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(status.success(), "gen_docx.py failed");
    Some(out)
}

/// LibreOffice's `soffice` when it runs, else `None` with a notice.
fn soffice() -> Option<&'static str> {
    let runs = Command::new("soffice")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !runs {
        // CI installs it and says it must be there: a skip would hide a
        // broken install.
        assert!(
            std::env::var_os("GONGKAI_REQUIRE_SOFFICE").is_none(),
            "GONGKAI_REQUIRE_SOFFICE is set but soffice does not run"
        );
        eprintln!(
            "skipped: LibreOffice (soffice) is absent (apt install libreoffice-writer-nogui)"
        );
    }
    runs.then_some("soffice")
}

/// Converts `path` to `format` (`doc`) with LibreOffice, into `dir`.
fn soffice_convert(exe: &str, path: &Path, format: &str, dir: &Path) -> PathBuf {
    let profile = dir.join("lo-profile");
    let status = Command::new(exe)
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            format,
            "--outdir",
        ])
        .arg(dir)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .arg(path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("soffice: {e}"));
    assert!(status.success(), "soffice --convert-to {format} failed");
    let out = dir.join(path.with_extension(format).file_name().unwrap_or_default());
    assert!(out.exists(), "soffice wrote no {}", out.display());
    out
}

#[test]
fn the_seed_as_docx_reads_like_the_seed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let seed = extract(&sample("seed_changzhi_2022_final.txt"));
    for variant in ["a", "b"] {
        let Some(path) = seed_docx(dir.path(), variant) else {
            return;
        };
        let r = extract(&path);
        assert_eq!(
            r.source.format,
            Some(gongkai::model::Format::Docx),
            "{:?}",
            r.error
        );
        assert_eq!(r.source.engine.as_deref(), Some("docx"));
        assert_matches_golden(&r, &format!("seed .docx ({variant})"));
        assert_eq!(r.read.verdict.as_str(), "complete", "{:?}", r.read);
        assert_eq!(findings(&r), findings(&seed), "variant {variant}");
        // Pages come from Word's page breaks: the tables are not all on one.
        let pages: std::collections::BTreeSet<u32> =
            r.tables.iter().flat_map(|t| t.pages.clone()).collect();
        assert!(pages.len() >= 8, "{pages:?}");
    }
}

/// A zip with the given members.
fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut out));
        for (name, body) in members {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
            zip.write_all(body).unwrap_or_else(|e| panic!("{e}"));
        }
        zip.finish().unwrap_or_else(|e| panic!("{e}"));
    }
    out
}

fn error_of(bytes: &[u8], name: &str) -> (String, String) {
    let r = extractor().extract_bytes(bytes, name, None);
    let e = r.error.unwrap_or_else(|| panic!("{name}: no error"));
    (e.kind.as_str().to_string(), e.message)
}

#[test]
fn formats_are_told_by_content_and_named_when_unread() {
    // A zip of two PDFs: a bundle, not a workbook (one document's reader
    // says so; the batch reads its members).
    let bundle = zip_of(&[("a.pdf", b"%PDF-1.4\n"), ("b.pdf", b"%PDF-1.4\n")]);
    let (kind, message) = error_of(&bundle, "附件.zip");
    assert_eq!(kind, "unsupported_format");
    assert!(
        message.contains("a zip bundle of 2 files (a.pdf, b.pdf"),
        "{message}"
    );
    // A password-protected .docx/.xlsx (OLE2 with an EncryptedPackage).
    let mut locked = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    locked.resize(512, 0);
    locked.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    let (kind, message) = error_of(&locked, "决算.docx");
    assert_eq!(kind, "encrypted");
    assert!(
        message.contains("password-protected Office document"),
        "{message}"
    );
    // RAR and 7z are named.
    let (kind, message) = error_of(b"Rar!\x1a\x07\x01\x00rest", "附件.rar");
    assert_eq!(kind, "unsupported_format");
    assert!(message.contains("a RAR archive"), "{message}");
    // OFD: a zip with OFD.xml, under a .zip name; this one names no
    // document root.
    let ofd = zip_of(&[("OFD.xml", b"<ofd:OFD/>"), ("Doc_0/Document.xml", b"<x/>")]);
    let (kind, message) = error_of(&ofd, "公开.zip");
    assert_eq!(kind, "truncated");
    assert!(
        message.contains("an OFD document") && message.contains("DocRoot"),
        "{message}"
    );
    // Legacy Word (an OLE2 header and a WordDocument stream name) without
    // its converter: the record says what to install.
    let mut doc = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    doc.resize(512, 0);
    doc.extend("WordDocument".encode_utf16().flat_map(u16::to_le_bytes));
    let without = extractor().clone().with_decode(DecodeOptions {
        soffice: Some("/nonexistent/soffice".into()),
        ..DecodeOptions::default()
    });
    let e = without
        .extract_bytes(&doc, "决算.doc", None)
        .error
        .unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.kind.as_str(), "converter_missing");
    assert!(
        e.message.contains("legacy binary Word document")
            && e.message.contains("install libreoffice-writer-nogui"),
        "{}",
        e.message
    );
    // A .docx saved under a .pdf name is still read as Word.
    let docx = zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        (
            "word/document.xml",
            r#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>2022年度部门决算</w:t></w:r></w:p></w:body></w:document>"#.as_bytes(),
        ),
    ]);
    let r = extractor().extract_bytes(&docx, "misnamed.pdf", None);
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.source.format, Some(gongkai::model::Format::Docx));
}

/// The seed as a binary Word 97 .doc, made from the seed's .docx by
/// LibreOffice itself and read back through it: the seed's tables, cell
/// for cell, and its flags.
#[test]
fn the_seed_as_doc_reads_like_the_seed() {
    let Some(exe) = soffice() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let Some(docx) = seed_docx(dir.path(), "a") else {
        return;
    };
    let doc = soffice_convert(exe, &docx, "doc", dir.path());
    let bytes = std::fs::read(&doc).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]),
        "not an OLE2 file"
    );
    let seed = extract(&sample("seed_changzhi_2022_final.txt"));
    let r = extract(&doc);
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(r.source.engine.as_deref(), Some("soffice+docx"));
    assert_matches_golden(&r, "seed .doc");
    assert_eq!(r.read.verdict.as_str(), "complete", "{:?}", r.read);
    assert_eq!(findings(&r), findings(&seed));
}

/// Mutants of a .docx (truncations, flipped bytes in the XML, broken
/// nesting) never panic the reader: each is read or refused with a clear
/// error, never `decoder_failed`.
#[test]
fn mutated_docx_files_are_read_or_refused_cleanly() {
    let table = "<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val=\"2\"/><w:vMerge w:val=\"restart\"/></w:tcPr><w:p><w:r><w:t>项目</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>8.00</w:t><w:br w:type=\"page\"/></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc></w:tr></w:tbl>";
    let xml = format!(
        r#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>收入支出决算总表</w:t><w:tab/><w:t>公开01表</w:t></w:r></w:p>{table}{table}</w:body></w:document>"#
    );
    let whole = zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", xml.as_bytes()),
    ]);
    let mut mutants: Vec<Vec<u8>> = (1..whole.len())
        .step_by(37)
        .map(|n| whole[..n].to_vec())
        .collect();
    let mut state: u32 = 0x9E37_79B9;
    let bytes = xml.as_bytes();
    for _ in 0..300 {
        let mut m = bytes.to_vec();
        for _ in 0..3 {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let at = state as usize % m.len();
            m[at] = (state >> 24) as u8;
        }
        mutants.push(zip_of(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", &m),
        ]));
    }
    for (i, m) in mutants.iter().enumerate() {
        let r = extractor().extract_bytes(m, "mutant.docx", None);
        if let Some(e) = &r.error {
            assert_ne!(
                e.kind.as_str(),
                "decoder_failed",
                "mutant {i}: {}",
                e.message
            );
            assert!(!e.message.is_empty());
        }
    }
}

/// A folder of formats not read yet: each file gets a record saying what it
/// is, none is passed over.
#[test]
fn a_folder_of_unread_formats_gives_a_record_for_each() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut doc = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    doc.resize(512, 0);
    doc.extend("WordDocument".encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(dir.path().join("决算.doc"), &doc).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("决算.wps"), &doc).unwrap_or_else(|e| panic!("{e}"));
    let bundle = zip_of(&[("a.pdf", b"%PDF-1.4\n")]);
    std::fs::write(dir.path().join("附件.zip"), &bundle).unwrap_or_else(|e| panic!("{e}"));
    let out = gongkai(&[
        "extract",
        &dir.path().display().to_string(),
        "--soffice",
        "/nonexistent/soffice",
    ]);
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(records.len(), 3, "{records:#?}");
    for r in &records[..2] {
        assert_eq!(r["error"]["kind"], "converter_missing", "{r}");
    }
    // The bundle's member is read as a document of its own (a PDF cut
    // after its header).
    assert!(records[2]["source"]["path"]
        .as_str()
        .is_some_and(|p| p.ends_with("附件.zip!/a.pdf")));
    assert_eq!(records[2]["source"]["bundle"]["members"][0], "a.pdf");
    assert_eq!(out.status.code(), Some(1));
}
