//! PDF decoding on the bundled samples: every row of the seed's tables must
//! come out as a grid row; broken inputs must give errors, never panics.

use gongkai::model::{Block, Decoded};
use gongkai::settings::{DecodeOptions, Limits};
use gongkai::text::{normalize, squash};
use gongkai::ErrorKind;

fn decode_file(path: &str) -> gongkai::Result<Decoded> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    gongkai::decode::pdf::decode(&bytes, &Limits::default(), &DecodeOptions::default())
}

/// One table of the seed: its label and its rows (cells squashed).
struct SeedTable {
    label: String,
    rows: Vec<Vec<String>>,
}

/// The seed's tables: the first run of tab-separated lines after each
/// `公开NN表` label or `…绩效自评表` title.
fn seed_tables() -> Vec<SeedTable> {
    let text = std::fs::read_to_string("samples/seed_changzhi_2022_final.txt").unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let l = line.trim();
        let is_label = (l.starts_with("公开") && l.ends_with('表') && l.len() <= 12)
            || l.ends_with("绩效自评表");
        if !is_label || l.contains('\t') {
            continue;
        }
        let Some(start) = (i + 1..lines.len()).find(|&j| lines[j].contains('\t')) else {
            continue;
        };
        let rows = lines[start..]
            .iter()
            .take_while(|l| l.contains('\t'))
            .map(|l| l.split('\t').map(|c| squash(&normalize(c))).collect())
            .collect();
        out.push(SeedTable {
            label: l.to_string(),
            rows,
        });
    }
    out
}

/// Every grid row of the document, origin cells squashed, covered slots
/// empty (as the seed has them), with trailing empty cells dropped.
fn grid_rows(d: &Decoded) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for b in &d.blocks {
        if let Block::Grid(g) = b {
            for r in &g.rows {
                out.push(trim_end(
                    r.iter()
                        .map(|c| {
                            if c.origin {
                                squash(&c.text)
                            } else {
                                String::new()
                            }
                        })
                        .collect(),
                ));
            }
        }
    }
    out
}

fn trim_end(mut row: Vec<String>) -> Vec<String> {
    while row.last().is_some_and(String::is_empty) {
        row.pop();
    }
    row
}

/// Row sequences: each seed row must appear after the previous matched one,
/// within a few rows (a page break may repeat header rows).
const WINDOW: usize = 8;

fn match_table(seed: &SeedTable, rows: &[Vec<String>], from: usize) -> (usize, usize, Vec<String>) {
    let mut pos = from;
    let mut matched = 0;
    let mut missing = Vec::new();
    for (k, row) in seed.rows.iter().enumerate() {
        let want = trim_end(row.clone());
        let limit = if k == 0 {
            rows.len()
        } else {
            (pos + WINDOW).min(rows.len())
        };
        match (pos..limit).find(|&i| rows[i] == want) {
            Some(i) => {
                matched += 1;
                pos = i + 1;
            }
            None => missing.push(want.join("|")),
        }
    }
    (matched, pos, missing)
}

fn check_seed(path: &str) {
    let d = decode_file(path).unwrap();
    assert_eq!(d.engine, "pdf-extract");
    let rows = grid_rows(&d);
    let mut pos = 0;
    let (mut gk_total, mut gk_matched, mut perf_total, mut perf_matched) = (0, 0, 0, 0);
    let mut problems = Vec::new();
    for t in seed_tables() {
        let (matched, next, missing) = match_table(&t, &rows, pos);
        pos = if matched > 0 { next } else { pos };
        if t.label.starts_with("公开") {
            gk_total += t.rows.len();
            gk_matched += matched;
            problems.extend(missing.into_iter().map(|m| format!("{}: {m}", t.label)));
        } else {
            perf_total += t.rows.len();
            perf_matched += matched;
            for m in missing {
                eprintln!("  not matched ({}): {m}", t.label);
            }
        }
    }
    eprintln!("{path}: 公开 tables {gk_matched}/{gk_total} seed rows, 绩效自评表 {perf_matched}/{perf_total}");
    assert!(
        problems.is_empty(),
        "{path}: missing rows:\n{}",
        problems.join("\n")
    );
}

#[test]
fn seed_rows_libreoffice_portrait() {
    check_seed("samples/a_portrait_uming.pdf");
}

#[test]
fn seed_rows_weasyprint_portrait() {
    check_seed("samples/d_wp_portrait_uming.pdf");
}

#[test]
fn seed_rows_weasyprint_landscape() {
    check_seed("samples/e_wp_landscape_uming.pdf");
}

#[test]
fn text_and_grids_interleave() {
    let d = decode_file("samples/d_wp_portrait_uming.pdf").unwrap();
    let pos = |needle: &str| {
        d.blocks.iter().position(|b| match b {
            Block::Text(t) => squash(&t.text).contains(needle),
            Block::Grid(_) => false,
        })
    };
    let title = pos("公开01表").expect("label of table 01");
    assert!(
        matches!(d.blocks.get(title + 4), Some(Block::Grid(_)))
            || d.blocks[title..]
                .iter()
                .take(6)
                .any(|b| matches!(b, Block::Grid(_)))
    );
    let grid = d.blocks[title..]
        .iter()
        .position(|b| matches!(b, Block::Grid(_)))
        .unwrap()
        + title;
    if let Block::Grid(g) = &d.blocks[grid] {
        assert!(g.spans_known);
        assert_eq!(squash(&g.rows[0][0].text), "收入");
    }
}

/// pdf-extract panics on predefined CMaps without ToUnicode; pdftotext reads them.
#[test]
fn predefined_cmaps_fall_back_to_pdftotext() {
    if std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_err()
    {
        eprintln!("pdftotext not installed: skipped");
        return;
    }
    for path in [
        "samples/f_unigb_ucs2_h_noembed_notounicode.pdf",
        "samples/g_gbk_euc_h_noembed_notounicode.pdf",
    ] {
        let d = decode_file(path).unwrap();
        assert_eq!(d.engine, "pdftotext", "{path}");
        let text: String = d
            .blocks
            .iter()
            .map(|b| match b {
                Block::Text(t) => t.text.clone(),
                Block::Grid(g) => g.rows.iter().flatten().map(|c| c.text.clone()).collect(),
            })
            .collect();
        assert!(text.contains("收入支出决算总表"), "{path}: {text}");
        assert!(!d.warnings.is_empty());
    }
}

#[test]
fn broken_inputs_are_errors() {
    let bytes = std::fs::read("samples/d_wp_portrait_uming.pdf").unwrap();
    let limits = Limits::default();
    let half = gongkai::decode::pdf::decode(
        &bytes[..bytes.len() / 2],
        &limits,
        &DecodeOptions::default(),
    );
    // pdftotext may still read part of a truncated file; without it this is an error.
    if let Err(e) = &half {
        assert!(
            matches!(e.kind, ErrorKind::Truncated | ErrorKind::DecoderFailed),
            "{e:?}"
        );
    }
    let mut random = b"%PDF-1.7\n".to_vec();
    let mut x: u32 = 12345;
    for _ in 0..5000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        random.push((x >> 16) as u8);
    }
    let e = gongkai::decode::pdf::decode(&random, &limits, &DecodeOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Truncated, "{e:?}");
    assert!(gongkai::decode::pdf::decode(b"", &limits, &DecodeOptions::default()).is_err());
    assert!(
        gongkai::decode::pdf::decode(b"%PDF-1.4\n", &limits, &DecodeOptions::default()).is_err()
    );
}

#[test]
fn page_limit() {
    let bytes = std::fs::read("samples/a_portrait_uming.pdf").unwrap();
    let limits = Limits {
        max_pages: 3,
        ..Limits::default()
    };
    let e = gongkai::decode::pdf::decode(&bytes, &limits, &DecodeOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooLarge);
}

#[test]
fn timeout_is_an_error() {
    let bytes = std::fs::read("samples/a_portrait_uming.pdf").unwrap();
    let limits = Limits {
        timeout: std::time::Duration::ZERO,
        ..Limits::default()
    };
    let e = gongkai::decode::pdf::decode(&bytes, &limits, &DecodeOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e:?}");
}

#[test]
fn encrypted_with_a_password_is_an_error() {
    let bytes = crate::util::encrypted_pdf(
        &crate::util::sample("g_gbk_euc_h_noembed_notounicode.pdf"),
        "secret",
    );
    let e = gongkai::decode::pdf::decode(&bytes, &Limits::default(), &DecodeOptions::default())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Encrypted, "{e:?}");
}

#[test]
fn encrypted_with_an_empty_password_opens() {
    let bytes = crate::util::encrypted_pdf(&crate::util::sample("d_wp_portrait_uming.pdf"), "");
    let d = gongkai::decode::pdf::decode(&bytes, &Limits::default(), &DecodeOptions::default())
        .unwrap();
    assert_eq!(d.engine, "pdf-extract");
    assert!(d
        .blocks
        .iter()
        .any(|b| matches!(b, Block::Grid(g) if g.rows.len() > 20)));
}

/// Without pdftotext (the fallback disabled), PDFs that pdf-extract cannot
/// read give an error naming the cause.
#[test]
fn predefined_cmaps_without_pdftotext_are_errors() {
    let without = DecodeOptions {
        pdftotext: None,
        ..DecodeOptions::default()
    };
    for path in [
        "samples/f_unigb_ucs2_h_noembed_notounicode.pdf",
        "samples/g_gbk_euc_h_noembed_notounicode.pdf",
    ] {
        let bytes = std::fs::read(path).unwrap();
        let e = gongkai::decode::pdf::decode(&bytes, &Limits::default(), &without).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::DecoderFailed | ErrorKind::UnsupportedEncoding
            ),
            "{path}: {e:?}"
        );
        assert!(e.message.contains("poppler-utils"), "{path}: {}", e.message);
    }
    // A readable PDF still decodes.
    let bytes = std::fs::read("samples/d_wp_portrait_uming.pdf").unwrap();
    let d = gongkai::decode::pdf::decode(&bytes, &Limits::default(), &without).unwrap();
    assert_eq!(d.engine, "pdf-extract");
}
