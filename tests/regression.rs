//! Hostile and broken input (issue 8): a batch of bad documents through the
//! real binary, the crashers the fuzzers found (`tests/data/crashers/`),
//! the decompression-bomb guards, and `extract -o` killed at random moments.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gongkai::{Extractor, Patterns};

use crate::util::{extractor, patterns};
use gongkai::settings::{DecodeOptions, Limits};
use gongkai::ErrorKind;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_gongkai");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample(name: &str) -> PathBuf {
    root().join("samples").join(name)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn has_pdftotext() -> bool {
    Command::new("pdftotext").arg("-v").output().is_ok()
}

/// A PDF from object bodies (object `i + 1` is `objects[i]`), with a correct
/// cross-reference table and `/Root 1 0 R`.
pub fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn stream(dict: &str, content: &[u8]) -> Vec<u8> {
    let mut v = format!("<< {dict} /Length {} >>\nstream\n", content.len()).into_bytes();
    v.extend_from_slice(content);
    v.extend_from_slice(b"\nendstream");
    v
}

/// /Pages whose /Kids points back at itself.
fn page_tree_loop() -> Vec<u8> {
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>".to_vec(),
        stream("", b"BT /F1 12 Tf 10 10 Td (x) Tj ET"),
    ])
}

/// One page showing a 2×2 grey image and no text: a scan.
fn image_only() -> Vec<u8> {
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream("", b"q 200 0 0 200 0 0 cm /Im1 Do Q"),
        stream(
            "/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8",
            &[0, 255, 255, 0],
        ),
    ])
}

/// A page whose content stream is `size` zero bytes deflated (a few KiB).
fn flate_bomb(size: usize) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..size / zeros.len() {
        enc.write_all(&zeros).unwrap();
    }
    let packed = enc.finish().unwrap();
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>".to_vec(),
        stream("/Filter /FlateDecode", &packed),
    ])
}

/// A few kilobytes that keep pdf-extract busy for minutes (and growing in
/// memory): `ops` text-showing operators, deflated.
fn runaway(ops: usize) -> Vec<u8> {
    let mut content = b"BT /F1 1 Tf 5 5 Td ".to_vec();
    for _ in 0..ops {
        content.extend_from_slice(b"(x) Tj ");
    }
    content.extend_from_slice(b"ET");
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&content).unwrap();
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream("/Filter /FlateDecode", &enc.finish().unwrap()),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ])
}

/// A runaway PDF is cut off at `--timeout` (its worker process killed) and
/// the documents after it are read at full speed.
#[test]
fn a_runaway_pdf_is_killed_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("runaway.pdf");
    std::fs::write(&slow, runaway(1_500_000)).unwrap();
    assert!(std::fs::metadata(&slow).unwrap().len() < 20_000);
    let good = sample("d_wp_portrait_uming.pdf");
    let start = Instant::now();
    let out = Command::new(BIN)
        .arg("extract")
        .args([&slow, &good, &slow, &good])
        .args(["--timeout", "10", "--jobs", "1"])
        // Under the operator limit, so that the time limit is what stops it.
        .args(["--max-page-operators", "10000000"])
        .output()
        .unwrap();
    let took = start.elapsed();
    eprintln!("runaway, good, runaway, good in {took:.2?}");
    let records: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 4);
    for (i, r) in records.iter().enumerate() {
        if i % 2 == 0 {
            assert_eq!(r["error"]["kind"], "timeout", "{}", r["error"]);
        } else {
            assert!(r["error"].is_null(), "{}", r["error"]);
            assert_eq!(r["tables"].as_array().map(Vec::len), Some(10));
        }
    }
    assert_eq!(out.status.code(), Some(1));
    assert!(took < Duration::from_secs(100), "{took:?}");
}

fn random_bytes(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect()
}

/// The batch: every input gives one record, in order, in bounded
/// time; the good one is read in full, every other one names its error.
#[test]
fn hostile_batch_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let good = sample("d_wp_portrait_uming.pdf");
    let good_bytes = read(&good);
    let files: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        ("01_good.pdf", good_bytes.clone(), None),
        ("02_empty.pdf", Vec::new(), Some("empty")),
        (
            "03_truncated.pdf",
            good_bytes[..good_bytes.len() / 3].to_vec(),
            Some("truncated"),
        ),
        ("04_random.pdf", random_bytes(20_000, 7), Some("not_a_pdf")),
        (
            "05_error_page.pdf",
            b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>".to_vec(),
            Some("not_a_pdf"),
        ),
        ("06_page_tree_loop.pdf", page_tree_loop(), Some("*")),
        ("07_scan.pdf", image_only(), Some("no_text_layer")),
        ("08_encrypted.pdf", crate::util::encrypted_pdf(&good, "secret"), Some("encrypted")),
        (
            "09_cmap.pdf",
            read(&sample("f_unigb_ucs2_h_noembed_notounicode.pdf")),
            if has_pdftotext() { None } else { Some("*") },
        ),
        ("10_random.txt", random_bytes(5000, 99), Some("unsupported_encoding")),
        ("11_bomb.pdf", flate_bomb(64 << 20), Some("too_large")),
    ];
    let mut paths = Vec::new();
    for (name, bytes, _) in &files {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        paths.push(p);
    }
    let start = Instant::now();
    let out = Command::new(BIN)
        .arg("extract")
        .args(&paths)
        .args(["--timeout", "30", "--max-decoded-bytes", "33554432"])
        .output()
        .unwrap();
    let took = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{} inputs in {took:.2?}", files.len());
    assert!(took < Duration::from_secs(120), "took {took:?}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), files.len(), "{stdout}");
    for ((name, _, want), (line, path)) in files.iter().zip(lines.iter().zip(&paths)) {
        let record: Value = serde_json::from_str(line).unwrap();
        assert_eq!(record["source"]["path"], path.display().to_string());
        let kind = record["error"]["kind"].as_str();
        let message = record["error"]["message"].as_str().unwrap_or("");
        eprintln!("{name}: {kind:?} {message}");
        match want {
            None => {
                assert!(record["error"].is_null(), "{name}: {}", record["error"]);
                assert!(!record["tables"].as_array().unwrap().is_empty(), "{name}");
            }
            Some("*") => assert!(kind.is_some(), "{name}: no error"),
            Some(k) => assert_eq!(kind, Some(*k), "{name}: {message}"),
        }
        if kind.is_some() {
            assert!(message.len() > 20, "{name}: message {message:?}");
        }
    }
    let first: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["tables"].as_array().map(Vec::len), Some(10));
}

/// Every file under `tests/data/crashers/` once crashed, hung or exhausted
/// a decoder (found by the fuzzers in `fuzz/`). Each must now give a record
/// quickly, whatever its name says it is.
#[test]
fn fuzz_crashers_give_records() {
    let dir = root().join("tests/data/crashers");
    let extractor = Extractor::new(patterns().clone()).with_limits(Limits {
        timeout: Duration::from_secs(20),
        ..Limits::default()
    });
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "md") {
            continue;
        }
        let bytes = read(&path);
        let start = Instant::now();
        for name in ["x.pdf", "x.html", "x.txt", "x.xlsx"] {
            let r = extractor.extract_bytes(&bytes, name, None);
            assert_eq!(r.source.bytes, bytes.len() as u64);
        }
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = Patterns::from_files([("common.toml".to_string(), text.to_string())]);
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{}: {:?}",
            path.display(),
            start.elapsed()
        );
        n += 1;
    }
    eprintln!("{n} crashers replayed");
}

#[test]
fn decompression_bombs_are_too_large() {
    let limits = Limits {
        max_decoded_bytes: 8 << 20,
        ..Limits::default()
    };
    let bomb = flate_bomb(16 << 20);
    assert!(bomb.len() < 100_000, "{}", bomb.len());
    let e = gongkai::decode::pdf::decode(&bomb, &limits, &DecodeOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooLarge, "{e:?}");
    assert!(e.message.contains("--max-decoded-bytes"), "{}", e.message);
    // Under the limit the same file is an ordinary (textless) PDF.
    let e = gongkai::decode::pdf::decode(&flate_bomb(4 << 20), &limits, &DecodeOptions::default())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NoTextLayer, "{e:?}");

    let objects = Limits {
        max_objects: 3,
        ..Limits::default()
    };
    let e = gongkai::decode::pdf::decode(&image_only(), &objects, &DecodeOptions::default())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooLarge, "{e:?}");
    assert!(e.message.contains("--max-objects"), "{}", e.message);
}

/// A zip whose central directory declares one member of `size` bytes.
fn zip_declaring(size: u32) -> Vec<u8> {
    let name = b"xl/worksheets/sheet1.xml";
    let mut z = Vec::new();
    // Local header (stored, empty data is enough for the directory check).
    z.extend_from_slice(b"PK\x03\x04");
    z.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    z.extend_from_slice(&2u32.to_le_bytes()); // compressed size
    z.extend_from_slice(&size.to_le_bytes());
    z.extend_from_slice(&(name.len() as u16).to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z.extend_from_slice(name);
    z.extend_from_slice(&[3, 0]);
    let cd = z.len() as u32;
    z.extend_from_slice(b"PK\x01\x02");
    z.extend_from_slice(&[20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    z.extend_from_slice(&2u32.to_le_bytes());
    z.extend_from_slice(&size.to_le_bytes());
    z.extend_from_slice(&(name.len() as u16).to_le_bytes());
    z.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
    z.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    z.extend_from_slice(name);
    let cd_len = z.len() as u32 - cd;
    z.extend_from_slice(b"PK\x05\x06");
    z.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    z.extend_from_slice(&cd_len.to_le_bytes());
    z.extend_from_slice(&cd.to_le_bytes());
    z.extend_from_slice(&[0, 0]);
    z
}

#[test]
fn zip_bombs_are_too_large() {
    use gongkai::decode::sheet::{zip_sizes, ZipSizes};
    assert_eq!(
        zip_sizes(&zip_declaring(4_000_000_000)),
        Some(ZipSizes {
            entries: 1,
            total: 4_000_000_000
        })
    );
    let r = extractor().extract_bytes(&zip_declaring(4_000_000_000), "book.xlsx", None);
    assert_eq!(r.error.map(|e| e.kind), Some(ErrorKind::TooLarge));
    // A small declared size goes on to calamine, which rejects the fake.
    let r = extractor().extract_bytes(&zip_declaring(1000), "book.xlsx", None);
    assert_eq!(r.error.map(|e| e.kind), Some(ErrorKind::UnsupportedFormat));
}

/// SIGKILL at random moments of `extract -o FILE`: FILE keeps its previous
/// content (the run writes a temporary file and renames it); an
/// uninterrupted run then writes every record, one complete line each.
#[test]
fn extract_output_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("records.jsonl");
    std::fs::write(&out, "previous\n").unwrap();
    let inputs = [
        sample("seed_changzhi_2022_final.txt"),
        sample("d_wp_portrait_uming.html"),
        sample("d_wp_portrait_uming.pdf"),
        sample("a_portrait_uming.pdf"),
    ];
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(1);
    for round in 0..6 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let delay = Duration::from_millis(u64::from(seed >> 16) % 2500);
        let mut child = Command::new(BIN)
            .arg("extract")
            .args(&inputs)
            .arg("-o")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        eprintln!("round {round}: killed after {delay:?} (finished: {finished})");
        if text != "previous\n" {
            assert!(finished, "round {round}: {} bytes after a kill", text.len());
            assert_eq!(text.lines().count(), inputs.len());
            std::fs::write(&out, "previous\n").unwrap();
        }
    }
    let status = Command::new(BIN)
        .arg("extract")
        .args(&inputs)
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.ends_with('\n'));
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), inputs.len());
    // The killed runs' temporary files were cleaned up by the last run.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `-o` naming something that is not a regular file is written in place:
/// `extract -o /dev/null` once renamed its temporary file over `/dev/null`
/// (as root, leaving a regular file there that later readers of /dev/null
/// got junk from). A FIFO and a symbolic link stand in for the device here.
#[test]
fn extract_output_to_a_fifo_or_symlink_is_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipping: mkfifo is unavailable");
        return;
    }
    let extract_to = |dest: &Path| {
        let status = Command::new(BIN)
            .arg("extract")
            .arg(sample("seed_changzhi_2022_final.txt"))
            .arg("-o")
            .arg(dest)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0));
    };
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(&fifo).unwrap())
    };
    extract_to(&fifo);
    // Checked first: had the FIFO been replaced, the reader would wait forever.
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    let text = reader.join().unwrap();
    assert_eq!(text.lines().count(), 1, "one record through the FIFO");

    let target = dir.path().join("records.jsonl");
    std::fs::write(&target, "previous\n").unwrap();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    extract_to(&link);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.starts_with("{\"") && text.ends_with("}\n"));
    assert_eq!(text.lines().count(), 1);
}

/// Deep nesting once aborted the process (a recursive walk overflowed the
/// stack on 50,000 nested tables) or hung it (html5ever is quadratic in the
/// depth: 200,000 nested `<div>`s took minutes). Now: refused quickly as
/// `too_large` past the depth limit, read without recursion below it.
#[test]
fn deeply_nested_html_is_refused_or_read_never_fatal() {
    let wrap = |open: &str, close: &str, n: usize, inner: &str| {
        format!(
            "<html><body>{}{inner}{}</body></html>",
            open.repeat(n),
            close.repeat(n)
        )
    };
    for page in [
        wrap("<table><tr><td>", "</td></tr></table>", 50_000, "x"),
        wrap("<div>", "</div>", 200_000, "预算"),
        wrap("<span><b>", "</b></span>", 100_000, "预算"),
    ] {
        let start = Instant::now();
        let r = extractor().extract_bytes(page.as_bytes(), "x.html", None);
        let e = r.error.expect("an error");
        assert_eq!(e.kind, ErrorKind::TooLarge, "{}", e.message);
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
    }
    // 1,800 levels (within the limit) are read, the innermost table as a grid.
    let page = wrap(
        "<div><span>",
        "</span></div>",
        750,
        &wrap("<table><tr><td>", "</td></tr></table>", 300, "预算"),
    );
    assert!(gongkai::decode::html::nesting_depth(&page) > 1500);
    let d = gongkai::decode::html::decode(page.as_bytes(), None, &Default::default()).unwrap();
    assert!(d
        .blocks
        .iter()
        .any(|b| matches!(b, gongkai::model::Block::Grid(_))));
}

/// Found by the `sheet` fuzz target: nine bytes changed in the shared
/// corpus's .xls template make calamine slice out of range while parsing a
/// formula (a panic). Applied here to the corpus file (not copied into the
/// project); the decoder must say `decoder_failed`, in the library call and
/// in the extractor alike.
#[test]
fn a_workbook_calamine_panics_on_is_decoder_failed() {
    let Some(shared) = crate::util::shared() else {
        eprintln!("skipping: ../shared is absent");
        return;
    };
    let Ok(mut bytes) = std::fs::read(shared.join("corpus/raw/tianbaoxitong/budget_template.xls"))
    else {
        eprintln!("skipping: the corpus .xls is absent");
        return;
    };
    let changes: [(usize, u8); 9] = [
        (67010, 7),
        (67011, 0),
        (67016, 0),
        (67017, 0),
        (108041, 16),
        (324534, 194),
        (324535, 1),
        (324536, 0),
        (355597, 3),
    ];
    if bytes.len() != 515_072 {
        eprintln!("skipping: the corpus .xls is another version");
        return;
    }
    for (at, b) in changes {
        bytes[at] = b;
    }
    let e = gongkai::decode::sheet::decode(&bytes, "t.xls", &Limits::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::DecoderFailed, "{e}");
    assert!(e.message.contains("calamine"), "{e}");
    // Without LibreOffice the record says why, and what would read it.
    let without = extractor()
        .clone()
        .with_decode(gongkai::settings::DecodeOptions {
            soffice: None,
            ..Default::default()
        });
    let e = without.extract_bytes(&bytes, "t.xls", None).error;
    let e = e.unwrap_or_else(|| panic!("no error"));
    assert_eq!(e.kind, ErrorKind::DecoderFailed);
    assert!(e.message.contains("needs LibreOffice"), "{}", e.message);
    // With it (where installed), LibreOffice reads it or says why.
    let r = extractor().extract_bytes(&bytes, "t.xls", None);
    match &r.error {
        None => assert_eq!(r.source.engine.as_deref(), Some("soffice+calamine")),
        Some(e) => assert_eq!(e.kind, ErrorKind::DecoderFailed, "{}", e.message),
    }
}
