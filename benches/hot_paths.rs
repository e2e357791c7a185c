//! Criterion benches of the hot paths on the bundled `samples/` PDFs:
//! decoding (pdf-extract pass and pdftotext fallback, in this process),
//! layout (glyphs to lines, cells and tables), recognition and checks.
//!
//!     cargo bench --bench hot_paths
//!
//! `cargo test --all-targets` runs each once (test mode). The whole-corpus
//! comparison with `pdftotext -layout` is `scripts/bench_corpus.sh`; cost
//! per page over 1..500 pages is `scripts/bench_pages.sh`.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use gongkai::decode::pdf;
use gongkai::model::Decoded;
use gongkai::recognize;
use gongkai::settings::{DecodeOptions, Limits};
use gongkai::Extractor;

/// The sample PDFs: two read by pdf-extract, one by the pdftotext fallback
/// (a font with a predefined CMap and no ToUnicode map).
const SAMPLES: [&str; 3] = [
    "a_portrait_uming.pdf",
    "e_wp_landscape_uming.pdf",
    "g_gbk_euc_h_noembed_notounicode.pdf",
];

fn sample(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hot_paths(c: &mut Criterion) {
    let limits = Limits::default();
    let extractor = Extractor::bundled().expect("bundled patterns");
    let patterns = extractor.patterns();
    for name in SAMPLES {
        let bytes = sample(name);
        // Without poppler the fallback sample cannot be read: nothing to time.
        let Ok(read) = pdf::pages(&bytes, &limits, &DecodeOptions::default()) else {
            eprintln!("{name}: not decodable here (is pdftotext installed?), skipped");
            continue;
        };
        let pages = read.pages;
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        group.bench_function("decode_glyphs", |b| {
            b.iter(|| pdf::pages(&bytes, &limits, &DecodeOptions::default()).expect("decodes"))
        });
        group.bench_function("layout", |b| {
            b.iter(|| pages.iter().flat_map(gongkai::layout::page_blocks).count())
        });
        let decoded: Decoded =
            pdf::decode(&bytes, &limits, &DecodeOptions::default()).expect("decodes");
        group.bench_function("recognize", |b| {
            b.iter(|| recognize::recognize(&decoded, &patterns.tables, &[]))
        });
        let record = extractor.extract_bytes(&bytes, name, None);
        assert!(
            !record.tables.is_empty(),
            "{name}: no table recognized, the bench would measure nothing"
        );
        group.bench_function("checks", |b| {
            b.iter(|| gongkai::check::run(&record, &gongkai::check::Text::default(), patterns))
        });
        group.finish();
    }
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
