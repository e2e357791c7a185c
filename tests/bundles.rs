//! Bundles: a zip of documents gives one record per member, named by the
//! bundle and the member; hostile zips are refused with clear errors and
//! the batch goes on.

use std::io::Write;

use gongkai::extractor::Document;
use gongkai::record::Record;

use crate::util::*;

/// A zip with the given members, deflated.
fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut out));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in members {
            zip.start_file(*name, options)
                .unwrap_or_else(|e| panic!("{e}"));
            zip.write_all(body).unwrap_or_else(|e| panic!("{e}"));
        }
        zip.finish().unwrap_or_else(|e| panic!("{e}"));
    }
    out
}

fn seed_bytes() -> Vec<u8> {
    std::fs::read(root().join("samples/seed_changzhi_2022_final.txt"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn records_of(bytes: Vec<u8>, name: &str) -> Vec<Record> {
    extractor().extract(&Document::bytes(name, bytes))
}

#[test]
fn a_bundle_of_three_corpus_pdfs_gives_three_records() {
    let Some(shared) = shared() else {
        eprintln!("../shared absent: skipped");
        return;
    };
    let dir = shared.join("corpus/raw/govbudgetchecker");
    let mut pdfs: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    pdfs.retain(|p| p.extension().is_some_and(|x| x == "pdf"));
    pdfs.sort();
    pdfs.truncate(3);
    if pdfs.len() < 3 {
        eprintln!("fewer than three corpus PDFs: skipped");
        return;
    }
    let contents: Vec<(String, Vec<u8>)> = pdfs
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            (
                format!("2024/{name}"),
                std::fs::read(p).unwrap_or_else(|e| panic!("{e}")),
            )
        })
        .collect();
    let members: Vec<(&str, &[u8])> = contents
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let bundle = zip_of(&members);
    let bundle_sha = gongkai::text::sha256_hex(&bundle);
    let records = records_of(bundle, "附件.zip");
    assert_eq!(records.len(), 3);
    for (record, (name, bytes)) in records.iter().zip(&contents) {
        assert_eq!(record.source.path, format!("附件.zip!/{name}"));
        let at = record
            .source
            .bundle
            .as_ref()
            .unwrap_or_else(|| panic!("no bundle"));
        assert_eq!(at.path, "附件.zip");
        assert_eq!(at.sha256, bundle_sha);
        assert_eq!(at.members, vec![name.clone()]);
        assert_eq!(record.source.sha256, gongkai::text::sha256_hex(bytes));
        // The member reads as the file does alone.
        let alone = extractor().extract_bytes(bytes, &record.source.path, None);
        assert!(record.error.is_none(), "{name}: {:?}", record.error);
        assert_eq!(record.tables, alone.tables, "{name}");
        assert_eq!(record.flags, alone.flags, "{name}");
        assert!(!record.tables.is_empty(), "{name}");
    }
}

#[test]
fn member_names_in_gbk_are_decoded_and_nesting_is_followed() {
    // An archiver on Chinese Windows writes names in GBK without the UTF-8
    // flag: written here under an ASCII name of the same length, then
    // patched to the GBK bytes.
    let (gbk, _, _) = encoding_rs::GBK.encode("部门决算.txt");
    let placeholder = "abcdefgh.txt";
    assert_eq!(gbk.len(), placeholder.len());
    let mut bundle = zip_of(&[(placeholder, &seed_bytes())]);
    let at: Vec<usize> = bundle
        .windows(placeholder.len())
        .enumerate()
        .filter(|(_, w)| *w == placeholder.as_bytes())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 2, "local header and directory");
    for i in at {
        bundle[i..i + gbk.len()].copy_from_slice(&gbk);
    }
    let records = records_of(bundle.clone(), "a.zip");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].source.path, "a.zip!/部门决算.txt");
    assert_eq!(records[0].tables.len(), 10);
    // The same bundle inside another, beside a note.
    let outer = zip_of(&[
        ("说明.txt", "本单位2022年度部门决算".as_bytes()),
        ("内/a.zip", &bundle),
    ]);
    let records = records_of(outer, "b.zip");
    let paths: Vec<&str> = records.iter().map(|r| r.source.path.as_str()).collect();
    assert_eq!(paths, ["b.zip!/说明.txt", "b.zip!/内/a.zip!/部门决算.txt"]);
    let nested = records[1].source.bundle.as_ref().map(|b| b.members.clone());
    assert_eq!(
        nested,
        Some(vec!["内/a.zip".to_string(), "部门决算.txt".to_string()])
    );
    assert_eq!(records[1].tables.len(), 10);
}

/// Zeros of `len` bytes in one deflated member, whose declared size is
/// then patched to `declare` when given (a header that lies).
fn bomb(len: usize, declare: Option<u32>) -> Vec<u8> {
    let zeros = vec![b'0'; len];
    let mut bundle = zip_of(&[("big.txt", &zeros)]);
    if let Some(size) = declare {
        let patch = |bundle: &mut Vec<u8>, signature: &[u8], offset: usize| {
            let at: Vec<usize> = bundle
                .windows(4)
                .enumerate()
                .filter(|(_, w)| *w == signature)
                .map(|(i, _)| i)
                .collect();
            for i in at {
                bundle[i + offset..i + offset + 4].copy_from_slice(&size.to_le_bytes());
            }
        };
        patch(&mut bundle, b"PK\x03\x04", 22);
        patch(&mut bundle, b"PK\x01\x02", 24);
    }
    bundle
}

#[test]
fn hostile_bundles_are_refused_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(dir.path().join(name), bytes).unwrap_or_else(|e| panic!("{e}"))
    };
    write(
        "1_traversal.zip",
        &zip_of(&[("ok.txt", b"x"), ("../../etc/cron.d/x", b"x")]),
    );
    write("2_bomb.zip", &bomb(24 << 20, None));
    write("3_liar.zip", &bomb(24 << 20, Some(1000)));
    let seed = seed_bytes();
    let deep = zip_of(&[(
        "c.zip",
        &zip_of(&[("d.zip", &zip_of(&[("seed.txt", &seed)]))]),
    )]);
    write("4_deep.zip", &deep);
    write("5_empty.zip", &zip_of(&[]));
    write("6_seed.zip", &zip_of(&[("seed.txt", &seed)]));
    let out = gongkai(&[
        "extract",
        &dir.path().display().to_string(),
        "--max-bytes",
        "4000000",
        "--max-decoded-bytes",
        "8000000",
    ]);
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let seen: Vec<(String, String)> = records
        .iter()
        .map(|r| {
            let path = r["source"]["path"].as_str().unwrap_or_default();
            let name = path.rsplit('/').next().unwrap_or_default().to_string();
            (
                name,
                r["error"]["kind"].as_str().unwrap_or("none").to_string(),
            )
        })
        .collect();
    let kinds: Vec<(&str, &str)> = seen.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        kinds,
        [
            ("1_traversal.zip", "bundle_refused"),
            ("2_bomb.zip", "too_large"),
            ("big.txt", "truncated"),
            ("d.zip", "bundle_refused"),
            ("5_empty.zip", "empty"),
            ("seed.txt", "none"),
        ],
        "{records:#?}"
    );
    let message = |i: usize| records[i]["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message(0).contains("«../../etc/cron.d/x»"),
        "{}",
        message(0)
    );
    assert!(
        message(1).contains("declare 25165824 bytes"),
        "{}",
        message(1)
    );
    assert!(
        message(2).contains("«big.txt» cannot be unpacked"),
        "{}",
        message(2)
    );
    assert!(message(3).contains("nested 3 deep"), "{}", message(3));
    assert_eq!(records[5]["tables"].as_array().map(Vec::len), Some(10));
    assert_eq!(out.status.code(), Some(1), "some inputs failed");
}
