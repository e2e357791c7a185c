//! Decoders isolated and bounded (the hostile-input issue): crafted inputs
//! of every format in one batch through the binary, with the peak resident
//! memory of every process measured; workers that never outlive a killed
//! `extract` or `crawl --extract`; a damaged page tree that says what it
//! lost; every input one record; the store whole after a worker crash.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::regression::pdf;
use crate::util::sample;

const BIN: &str = env!("CARGO_BIN_EXE_gongkai");

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn stream(dict: &str, content: &[u8]) -> Vec<u8> {
    let mut v = format!("<< {dict} /Length {} >>\nstream\n", content.len()).into_bytes();
    v.extend_from_slice(content);
    v.extend_from_slice(b"\nendstream");
    v
}

/// One page with `content` (deflated) and Helvetica as /F1.
fn one_page(content: &[u8]) -> Vec<u8> {
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream("/Filter /FlateDecode", &deflate(content)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ])
}

/// A content stream flooding `ops` operators (`q Q` pairs): a few hundred
/// kilobytes that would decode to gigabytes of parsed operations.
fn operator_flood(pairs: usize) -> Vec<u8> {
    one_page(&b"q Q ".repeat(pairs))
}

/// A legitimate but slow page: `ops` text-showing operators under the
/// operator limit, that keep pdf-extract busy for seconds.
fn busy(ops: usize) -> Vec<u8> {
    let mut content = b"BT /F1 1 Tf 5 5 Td ".to_vec();
    content.extend_from_slice(&b"(x) Tj ".repeat(ops));
    content.extend_from_slice(b"ET");
    one_page(&content)
}

/// An object nested `depth` arrays deep beside an ordinary page.
fn deeply_nested(depth: usize) -> Vec<u8> {
    let mut deep = b"[".repeat(depth);
    deep.extend_from_slice(&b"]".repeat(depth));
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream("", b"BT /F1 12 Tf 72 700 Td (hello) Tj ET"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ];
    objects.push(deep);
    pdf(&objects)
}

/// An .xlsx of one sheet whose XML is `sheet_data` (inside `<worksheet>`).
pub fn xlsx(sheet: &str) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let files = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
        ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{sheet}</worksheet>"#)),
    ];
    for (name, body) in files {
        z.start_file(name, SimpleFileOptions::default()).unwrap();
        z.write_all(body.as_bytes()).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn inline(cell: &str, text: &str) -> String {
    format!(r#"<c r="{cell}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// A small budget table as a sheet: its title, unit line and rows.
fn budget_sheet(extra: &str) -> String {
    let rows = [
        ("A1", "2023年部门收支预算总表"),
        ("A2", "单位：元"),
        ("A3", "项目"),
        ("B3", "预算数"),
        ("A4", "一般公共预算拨款收入"),
        ("B4", "1000.00"),
    ];
    let mut data = String::from("<sheetData>");
    for r in 1..=4 {
        data.push_str(&format!("<row r=\"{r}\">"));
        for (cell, text) in rows.iter().filter(|(c, _)| c[1..] == r.to_string()) {
            data.push_str(&inline(cell, text));
        }
        data.push_str("</row>");
    }
    data.push_str(extra);
    data.push_str("</sheetData>");
    data
}

/// GNU time: it measures the peak resident set of the process it starts
/// and of every child that process waited for.
const TIME: &str = "/usr/bin/time";

/// Runs the binary with `args` under GNU time and returns its exit code,
/// output and the peak resident set, in bytes, of it and every decode
/// worker it started. (Measured by a small process of its own: a child
/// started by this large, multi-threaded test process would inherit its
/// peak as its own at exec.)
fn run_measured(args: &[&str]) -> (i32, String, String, u64) {
    assert!(
        Path::new(TIME).exists(),
        "{TIME} is needed to measure memory (Debian's `time` package; .ci/run installs it)"
    );
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("peak");
    let out = Command::new(TIME)
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let peak_kb: u64 = std::fs::read_to_string(&report)
        .unwrap_or_default()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no measurement in {}", report.display()));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        peak_kb * 1024,
    )
}

fn records(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The issue's batch: good documents of each format around crafted ones
/// (huge sheet dimension, a far cell, a merge flood, an operator flood, a
/// glyph flood, deep nesting, an HTML page of spans, a zip bomb): one record
/// each, in order, the good ones read, exit 1, and no process of the run
/// above the memory limit.
#[test]
fn hostile_batch_is_contained_and_memory_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let spans: String = (0..1500)
        .map(|_| "<td rowspan=200 colspan=200>xxxxxxxxxx</td>")
        .collect();
    let mut zip_bomb = xlsx(&budget_sheet(""));
    // Declares 4 GB uncompressed for its first member.
    if let Some(at) = zip_bomb.windows(4).position(|w| w == b"PK\x01\x02") {
        zip_bomb[at + 24..at + 28].copy_from_slice(&4_000_000_000u32.to_le_bytes());
    }
    let merges: String = (0..2000)
        .map(|_| r#"<mergeCell ref="A1:ZZ1000"/>"#)
        .collect();
    let files: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "01_good.txt",
            std::fs::read(sample("seed_changzhi_2022_final.txt")).unwrap(),
            "read",
        ),
        (
            "02_huge_dimension.xlsx",
            xlsx(&format!(
                r#"<dimension ref="A1:XFD1048576"/>{}"#,
                budget_sheet("")
            )),
            "read",
        ),
        (
            "03_far_cell.xlsx",
            xlsx(&budget_sheet(
                r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#,
            )),
            "read",
        ),
        (
            "04_merge_flood.xlsx",
            xlsx(&format!(
                "{}<mergeCells>{merges}</mergeCells>",
                budget_sheet(r#"<row r="1000"><c r="ZZ1000"><v>1</v></c></row>"#)
            )),
            "too_large",
        ),
        (
            "05_operator_flood.pdf",
            operator_flood(60_000_000),
            "too_large",
        ),
        (
            "06_good.pdf",
            std::fs::read(sample("d_wp_portrait_uming.pdf")).unwrap(),
            "read",
        ),
        ("07_deep.pdf", deeply_nested(50_000), "*"),
        (
            "08_spans.html",
            format!("<html><body><table><tr>{spans}</tr></table></body></html>").into_bytes(),
            "too_large",
        ),
        ("09_zip_bomb.xlsx", zip_bomb, "too_large"),
        (
            "10_good.html",
            std::fs::read(sample("d_wp_portrait_uming.html")).unwrap(),
            "read",
        ),
    ];
    let mut paths = Vec::new();
    for (name, bytes, _) in &files {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        paths.push(p.display().to_string());
    }
    assert!(files[0..5].iter().all(|(_, b, _)| b.len() < 300_000));
    const LIMIT: u64 = 1 << 30;
    let mut args = vec!["extract", "--max-memory", "1073741824", "--timeout", "60"];
    args.extend(paths.iter().map(String::as_str));
    let start = Instant::now();
    let (code, stdout, stderr, peak) = run_measured(&args);
    eprintln!(
        "{} inputs in {:.2?}, peak resident {} MiB",
        files.len(),
        start.elapsed(),
        peak >> 20
    );
    assert_eq!(code, 1, "{stderr}");
    let records = records(&stdout);
    assert_eq!(records.len(), files.len(), "{stderr}");
    for ((name, _, want), (r, path)) in files.iter().zip(records.iter().zip(&paths)) {
        assert_eq!(r["source"]["path"], path.as_str());
        let kind = r["error"]["kind"].as_str();
        eprintln!("{name}: {kind:?} {}", r["error"]["message"]);
        match *want {
            "read" => {
                assert!(r["error"].is_null(), "{name}: {}", r["error"]);
                assert!(
                    !r["tables"].as_array().unwrap().is_empty(),
                    "{name}: no table"
                );
            }
            "*" => {}
            k => {
                assert_eq!(kind, Some(k), "{name}: {}", r["error"]);
                let message = r["error"]["message"].as_str().unwrap_or("");
                assert!(
                    message.contains("--max-") || message.contains("limit"),
                    "{name}: {message}"
                );
            }
        }
    }
    // The sheet whose far cell was left out says so, and its table is read.
    let far = &records[2];
    assert!(far["source"]["warnings"][0]
        .as_str()
        .is_some_and(|w| w.contains("left out")));
    assert!(peak < LIMIT, "peak resident memory {peak} bytes");
}

/// What `--max-memory` does when a decoder needs more: that document is
/// `too_large` naming the limit, the worker's death costs nothing else.
#[test]
fn a_decoder_over_the_memory_limit_costs_one_document() {
    let dir = tempfile::tempdir().unwrap();
    let heavy = dir.path().join("heavy.pdf");
    // 3,000,000 operators (the operator limit raised): gigabytes to parse.
    std::fs::write(&heavy, busy(3_000_000)).unwrap();
    let good = sample("seed_changzhi_2022_final.txt");
    let (heavy, good) = (heavy.display().to_string(), good.display().to_string());
    let (code, stdout, stderr, peak) = run_measured(&[
        "extract",
        "--max-memory",
        "536870912",
        "--max-page-operators",
        "10000000",
        "--no-pdftotext",
        &good,
        &heavy,
        &good,
    ]);
    assert_eq!(code, 1, "{stderr}");
    let records = records(&stdout);
    assert_eq!(records.len(), 3);
    assert_eq!(records[1]["error"]["kind"], "too_large", "{}", records[1]);
    let message = records[1]["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("512 MiB") && message.contains("--max-memory"),
        "{message}"
    );
    for r in [&records[0], &records[2]] {
        assert_eq!(r["tables"].as_array().map(Vec::len), Some(10));
    }
    assert!(peak < 512 << 20, "peak {peak}");
}

/// The decode workers of process `parent` still alive (zombies aside).
fn workers_of(parent: u32) -> Vec<u32> {
    let needle = format!("__decode-worker\0{parent}\0");
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat
                .rsplit(')')
                .next()
                .is_some_and(|s| s.trim_start().starts_with('Z'));
            !zombie && String::from_utf8_lossy(&cmdline).contains(&needle)
        })
        .collect()
}

/// Waits up to `within` for a worker of `parent` to appear.
fn wait_for_worker(parent: u32, within: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if !workers_of(parent).is_empty() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Waits up to `within` for every worker of `parent` to be gone.
fn workers_gone(parent: u32, within: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if workers_of(parent).is_empty() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    workers_of(parent).is_empty()
}

fn kill(pid: u32, signal: libc::c_int) {
    // SAFETY: a plain syscall on a child of ours.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

/// SIGKILL (and SIGTERM) of `extract` while its worker is busy: no worker
/// is left a few seconds later.
#[test]
fn workers_die_with_a_killed_extract() {
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("slow.pdf");
    std::fs::write(&slow, busy(900_000)).unwrap();
    for signal in [libc::SIGKILL, libc::SIGTERM] {
        let mut child = Command::new(BIN)
            .args(["extract", "--timeout", "600", "--no-pdftotext"])
            .arg(&slow)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill_while_busy(&mut child, signal, Duration::from_secs(30));
    }
}

/// Waits for a worker of `child` to start, sends `signal` to `child` while
/// it is busy, and asserts that no worker of it is left 5 s later.
fn kill_while_busy(child: &mut std::process::Child, signal: libc::c_int, within: Duration) {
    let pid = child.id();
    assert!(wait_for_worker(pid, within), "no worker started");
    std::thread::sleep(Duration::from_millis(300));
    kill(pid, signal);
    let _ = child.wait();
    assert!(
        workers_gone(pid, Duration::from_secs(5)),
        "signal {signal}: workers {:?} outlived their parent",
        workers_of(pid)
    );
}

/// The same for `crawl --extract`: its extraction thread's worker dies with
/// the killed crawler.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_die_with_a_killed_crawl() {
    use axum::response::IntoResponse;
    let slow = busy(900_000);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async {
                axum::response::Html(
                    r#"<html><body><a href="/files/budget2023.pdf">2023年部门预算公开.pdf</a></body></html>"#,
                )
            }),
        )
        .route(
            "/files/budget2023.pdf",
            axum::routing::get(move || {
                let body = slow.clone();
                async move { ([("content-type", "application/pdf")], body).into_response() }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(BIN)
            .arg("crawl")
            .arg("--out")
            .arg(&out)
            .args(["--delay", "0", "--no-progress", "--extract"])
            .args(["--contact", "https://example.org/gongkai-test"])
            .arg(format!("{base}/"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill_while_busy(&mut child, libc::SIGKILL, Duration::from_secs(60));
    })
    .await
    .unwrap();
}

/// A page tree whose kids are partly missing: the record says how many
/// pages the file declares and how many were read, and is not complete.
#[test]
fn pages_lost_from_a_damaged_page_tree_are_reported() {
    let good = std::fs::read(sample("d_wp_portrait_uming.pdf")).unwrap();
    let mut doc = lopdf::Document::load_mem(&good).unwrap();
    let pages: Vec<lopdf::ObjectId> = doc.get_pages().values().copied().collect();
    assert!(pages.len() >= 4, "{}", pages.len());
    // Two page objects gone, as in a damaged or partial file.
    for id in &pages[1..3] {
        doc.objects.remove(id);
    }
    let mut damaged = Vec::new();
    doc.save_to(&mut damaged).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.pdf");
    std::fs::write(&path, damaged).unwrap();
    let r = crate::util::extract(&path);
    let warnings: Vec<&str> = r.source.warnings.iter().map(String::as_str).collect();
    let lost = warnings
        .iter()
        .find(|w| w.starts_with("pages lost"))
        .unwrap_or_else(|| panic!("no pages-lost warning: {warnings:?}"));
    assert!(
        lost.contains(&format!("declares {} pages", pages.len())) && lost.contains("2 not read"),
        "{lost}"
    );
    assert_ne!(r.read.verdict.as_str(), "complete");
    assert!(r
        .read
        .reasons
        .iter()
        .any(|x| x.detail.starts_with("pages lost")));
}

/// Every input gets one record: a FIFO named on the command line or found
/// in a directory is refused without being opened (never blocks), a
/// missing path and a dangling link are `io` records, and the rest of the
/// batch is read.
#[test]
fn every_input_gets_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let inside = dir.path().join("in");
    std::fs::create_dir(&inside).unwrap();
    std::fs::copy(
        sample("seed_changzhi_2022_final.txt"),
        inside.join("a_seed.txt"),
    )
    .unwrap();
    let fifo = |p: &Path| {
        let status = Command::new("mkfifo").arg(p).status().unwrap();
        assert!(status.success());
    };
    fifo(&inside.join("b_pipe.pdf"));
    std::os::unix::fs::symlink("/nonexistent/x.pdf", inside.join("c_dangling.pdf")).unwrap();
    let outside_fifo = dir.path().join("named.pdf");
    fifo(&outside_fifo);
    let missing = dir.path().join("missing.pdf");
    let start = Instant::now();
    let out = Command::new(BIN)
        .arg("extract")
        .args([&inside, &outside_fifo, &missing])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(1));
    let records = records(&String::from_utf8_lossy(&out.stdout));
    let summary: Vec<(String, Option<String>, String)> = records
        .iter()
        .map(|r| {
            let path = PathBuf::from(r["source"]["path"].as_str().unwrap());
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                r["error"]["kind"].as_str().map(str::to_string),
                r["error"]["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(summary.len(), 5, "{summary:?}");
    assert_eq!(summary[0].0, "a_seed.txt");
    assert_eq!(summary[0].1, None);
    assert_eq!(records[0]["tables"].as_array().map(Vec::len), Some(10));
    for (name, kind, message) in &summary[1..] {
        assert_eq!(kind.as_deref(), Some("io"), "{name}: {message}");
    }
    assert!(summary[1].2.contains("FIFO"), "{:?}", summary[1]);
    assert!(summary[2].2.contains("symbolic link"), "{:?}", summary[2]);
    assert!(summary[3].2.contains("FIFO"), "{:?}", summary[3]);
    assert!(summary[4].2.contains("No such file"), "{:?}", summary[4]);
}

/// A file name that is not UTF-8 keeps its bytes in `source.path_hex`.
#[test]
fn a_non_utf8_name_maps_back_to_its_file() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"budget\xff\xfe.txt");
    let path = dir.path().join(name);
    std::fs::copy(sample("seed_changzhi_2022_final.txt"), &path).unwrap();
    let out = Command::new(BIN)
        .arg("extract")
        .arg(&path)
        .output()
        .unwrap();
    let records = records(&String::from_utf8_lossy(&out.stdout));
    let hex = records[0]["source"]["path_hex"].as_str().unwrap();
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect::<Vec<u8>>();
    assert_eq!(bytes, path.as_os_str().as_bytes());
    assert!(records[0]["source"]["path"]
        .as_str()
        .unwrap()
        .contains('\u{FFFD}'));
}

/// A worker that dies in the middle of a `--db` batch leaves the store
/// whole: every document of the batch stored once, the crashed one with
/// its error, nothing half written; a second run adds nothing new.
#[test]
fn the_store_stays_whole_when_a_worker_dies() {
    let dir = tempfile::tempdir().unwrap();
    let heavy = dir.path().join("b_heavy.pdf");
    std::fs::write(&heavy, busy(3_000_000)).unwrap();
    let good = dir.path().join("a_seed.txt");
    std::fs::copy(sample("seed_changzhi_2022_final.txt"), &good).unwrap();
    let html = dir.path().join("c_page.html");
    std::fs::copy(sample("d_wp_portrait_uming.html"), &html).unwrap();
    let db = dir.path().join("dataset.sqlite");
    let run = || {
        Command::new(BIN)
            .arg("extract")
            .arg(dir.path())
            .arg("--db")
            .arg(&db)
            .args([
                "--max-memory",
                "536870912",
                "--max-page-operators",
                "10000000",
            ])
            .arg("--no-pdftotext")
            .output()
            .unwrap()
    };
    let first = run();
    let said = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(1), "{said}");
    assert!(said.contains("3 new"), "{said}");
    let second = run();
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(said.contains("0 new"), "{said}");
    let stats = Command::new(BIN)
        .args(["stats", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let stats: Value = serde_json::from_slice(&stats.stdout).unwrap_or(Value::Null);
    assert_eq!(stats["totals"]["documents"], 3, "{stats}");
    assert_eq!(stats["errors"]["too_large"], 1, "{stats}");
}

/// Two `extract --db` runs started at once over the same files: each
/// document is extracted by one of them and counted new once; the other
/// leaves it (the claims of `store::claims`).
#[test]
fn concurrent_runs_extract_each_document_once() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    let pdf = std::fs::read(sample("d_wp_portrait_uming.pdf")).unwrap();
    const N: usize = 8;
    for i in 0..N {
        // Bytes after %%EOF: another hash, the same document.
        let mut bytes = pdf.clone();
        bytes.extend_from_slice(format!("\n% copy {i}\n").as_bytes());
        std::fs::write(docs.join(format!("copy{i}.pdf")), bytes).unwrap();
    }
    let db = dir.path().join("dataset.sqlite");
    // The store exists before the runs race (an empty batch creates it).
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let init = Command::new(BIN)
        .arg("extract")
        .arg(&empty)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let start = || {
        Command::new(BIN)
            .arg("extract")
            .arg(&docs)
            .arg("--db")
            .arg(&db)
            .args(["--jobs", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (start(), start());
    let said: Vec<String> = [a, b]
        .into_iter()
        .map(|c| String::from_utf8_lossy(&c.wait_with_output().unwrap().stderr).into_owned())
        .collect();
    let number = |text: &str, after: &str| -> usize {
        text.split(after)
            .next()
            .and_then(|head| {
                head.rsplit(|c: char| !c.is_ascii_digit())
                    .find(|w| !w.is_empty())
            })
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("no \"{after}\" in {text}"))
    };
    let new: usize = said.iter().map(|s| number(s, " new")).sum();
    let extracted: usize = said
        .iter()
        .map(|s| number(s, " extracted by this run"))
        .sum();
    assert_eq!(new, N, "{said:?}");
    assert_eq!(extracted, N, "{said:?}");
    assert!(said.iter().all(|s| s.contains("0 replaced")), "{said:?}");
}
