//! The findings report, loaded in a real browser: headless Chromium runs
//! the pages' scripts and dumps the DOM, and takes a screenshot. Skips
//! without Chromium, unless GONGKAI_REQUIRE_CHROMIUM is set (`.ci/run`
//! installs Debian's chromium and sets it).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::*;

/// Chromium, if this machine has it.
fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("GONGKAI_CHROMIUM").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
    ];
    let found = candidates.into_iter().flatten().find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("GONGKAI_REQUIRE_CHROMIUM").is_none(),
            "GONGKAI_REQUIRE_CHROMIUM is set but no chromium was found"
        );
        eprintln!("skipped: no chromium (Debian package chromium)");
    }
    found
}

/// Runs headless Chromium on `url` with `extra` arguments; returns stdout.
fn browse(chromium: &Path, profile: &Path, url: &str, extra: &[&str]) -> String {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            // Scripts run before the DOM is dumped.
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", chromium.display()));
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The opening tags of elements matching a predicate, from dumped HTML.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name} ");
    html.match_indices(&open)
        .filter_map(|(i, _)| html[i..].find('>').map(|j| &html[i..i + j + 1]))
        .collect()
}

/// The samples in a store, and its report (the PDFs' flagged pages drawn).
fn sample_report(dir: &Path) -> PathBuf {
    let db = dir.join("dataset.sqlite").display().to_string();
    let samples = root().join("samples").display().to_string();
    let out = gongkai(&["extract", &samples, "--db", &db]);
    assert!(matches!(out.status.code(), Some(0 | 1)));
    let site = dir.join("report");
    let out = gongkai(&["report", "--db", &db, "-o", &site.display().to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("report in"), "{err}");
    site
}

fn seed_pdf_page(site: &Path) -> PathBuf {
    let bytes = std::fs::read(sample("a_portrait_uming.pdf")).unwrap_or_else(|e| panic!("{e}"));
    let sha = gongkai::text::sha256_hex(&bytes);
    site.join("doc").join(format!("{}.html", &sha[..16]))
}

#[test]
fn the_report_is_self_contained_and_draws_flagged_cells() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let site = sample_report(d.path());
    let index = std::fs::read_to_string(site.join("index.html")).unwrap_or_default();
    assert_eq!(index.matches("<tr data-verdict=").count(), 7, "{index}");
    let page = std::fs::read_to_string(seed_pdf_page(&site)).unwrap_or_default();
    for html in [&index, &page] {
        // Nothing fetched: no external script, style, image or font.
        for needle in [
            "<script src",
            "<link ",
            "src=\"http",
            "href=\"http",
            "href=\"//",
            "@import",
            "url(",
        ] {
            assert!(!html.contains(needle), "{needle} in the report");
        }
    }
    // Every table drawn, flagged cells marked, every flag listed.
    assert_eq!(page.matches("<div class=\"table").count(), 10);
    assert!(page.contains("<td id=\"t") && page.contains("class=\"num flagged"));
    let flags = page.matches("<li class=\"flag ").count();
    assert_eq!(flags, 13, "the seed's flags");
    // The PDF's flagged pages, drawn from our layout with the cell boxed.
    assert!(page.contains("<figure id=\"page-"), "no drawing");
    assert!(page.contains("<rect class=\"mark\""), "no boxed cell");
    // Each flag that names a cell links to it, and the cell is on the page.
    for link in page.match_indices("class=\"target\" href=\"#") {
        let id = &page[link.0 + 22..];
        let id = &id[..id.find('"').unwrap_or(0)];
        assert!(
            page.contains(&format!("id=\"{id}\"")),
            "{id} is linked but absent"
        );
    }
}

#[test]
fn chromium_runs_the_report_filters_and_takes_a_screenshot() {
    let Some(chromium) = chromium() else { return };
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let site = sample_report(d.path());
    let profile = d.path().join("profile");
    let page = seed_pdf_page(&site);
    let url = format!("file://{}", page.display());
    // All flags shown; a flagged cell highlighted.
    let dom = browse(&chromium, &profile, &url, &["--dump-dom"]);
    let cells: Vec<&str> = tags(&dom, "td")
        .into_iter()
        .filter(|t| t.contains("flagged"))
        .collect();
    assert!(!cells.is_empty(), "no flagged cell in the DOM");
    let items = tags(&dom, "li");
    let info: Vec<&&str> = items
        .iter()
        .filter(|t| t.contains("data-severity=\"info\""))
        .collect();
    assert!(!info.is_empty());
    assert!(info.iter().all(|t| !t.contains("hidden")), "{info:?}");
    // The filter hides the info flags, and only them.
    let dom = browse(
        &chromium,
        &profile,
        &format!("{url}#hide=info"),
        &["--dump-dom"],
    );
    let items = tags(&dom, "li");
    let (info, others): (Vec<&str>, Vec<&str>) = items
        .into_iter()
        .filter(|t| t.contains("class=\"flag "))
        .partition(|t| t.contains("data-severity=\"info\""));
    assert!(
        !info.is_empty() && info.iter().all(|t| t.contains("hidden")),
        "{info:?}"
    );
    assert!(
        !others.is_empty() && others.iter().all(|t| !t.contains("hidden")),
        "{others:?}"
    );
    // The index filters by verdict in the page.
    let index = format!("file://{}", site.join("index.html").display());
    let dom = browse(
        &chromium,
        &profile,
        &format!("{index}#verdict=partial"),
        &["--dump-dom"],
    );
    let rows = tags(&dom, "tr");
    let shown: Vec<&&str> = rows
        .iter()
        .filter(|t| t.contains("data-verdict") && !t.contains("hidden"))
        .collect();
    assert_eq!(shown.len(), 2, "{rows:?}");
    assert!(shown.iter().all(|t| t.contains("data-verdict=\"partial\"")));
    // A screenshot of the document page.
    let shot = d.path().join("report.png");
    browse(
        &chromium,
        &profile,
        &format!("{url}#hide=info"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1600",
            "--hide-scrollbars",
        ],
    );
    let png = std::fs::read(&shot).unwrap_or_default();
    assert!(png.starts_with(b"\x89PNG"), "no screenshot");
    assert!(png.len() > 10_000, "{} bytes", png.len());
    if let Some(dir) = std::env::var_os("GONGKAI_REPORT_SCREENSHOT") {
        let _ = std::fs::copy(&shot, PathBuf::from(dir));
    }
}

#[test]
fn a_report_from_records_without_a_store() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let jsonl = d.path().join("records.jsonl");
    let out = gongkai(&[
        "extract",
        &sample("a_portrait_uming.pdf").display().to_string(),
        &sample("seed_changzhi_2022_final.txt").display().to_string(),
        "-o",
        &jsonl.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let site = d.path().join("site");
    let out = gongkai(&[
        "report",
        "--records",
        &jsonl.display().to_string(),
        "-o",
        &site.display().to_string(),
        "--no-pages",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index = std::fs::read_to_string(site.join("index.html")).unwrap_or_default();
    assert_eq!(index.matches("<tr data-verdict=\"complete\"").count(), 2);
    let page = std::fs::read_to_string(seed_pdf_page(&site)).unwrap_or_default();
    assert!(page.contains("class=\"num flagged"));
    assert!(
        !page.contains("<figure id=\"page-"),
        "--no-pages draws nothing"
    );
}
