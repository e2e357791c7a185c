//! Crawler security on a hostile portal served on 127.0.0.1: links and
//! redirects to other schemes (file:, javascript:, ftp:, data:), off-scope
//! hosts, and URL paths that try to climb out (`../`, `%2e%2e`, `..%2f`).
//! Nothing is fetched outside the scope, nothing is written outside the store.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::util::{files_under, redirect};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_gongkai");

#[derive(Clone, Default)]
struct Hits(Arc<Mutex<Vec<String>>>);

fn pdf(tag: &str) -> Response {
    (
        [(header::CONTENT_TYPE, "application/pdf")],
        format!("%PDF-1.4\n% {tag}\n"),
    )
        .into_response()
}

async fn handle(State(hits): State<Hits>, req: Request) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    hits.0.lock().unwrap().push(path.clone());
    match path.as_str() {
        "/robots.txt" => (StatusCode::NOT_FOUND, "").into_response(),
        "/portal/list.html" => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            r#"<html><body>
<a href="file:///etc/passwd">2023年预算 passwd.pdf</a>
<a href="javascript:window.open('/portal/js.pdf')">2023年决算公开.pdf</a>
<a href="ftp://127.0.0.1/budget.pdf">2023年预算 ftp.pdf</a>
<a href="data:application/pdf;base64,JVBERi0xLjQK">2023年预算 data.pdf</a>
<a href="http://offsite.invalid/budget.pdf">2023年预算 off-site.pdf</a>
<a href="../../../../etc/passwd.pdf">2023年预算 climb.pdf</a>
<a href="/portal/%2e%2e/%2E%2E/%2e%2e/escape.pdf">2023年预算 encoded.pdf</a>
<a href="/portal/..%2f..%2f..%2fslash.pdf">2023年预算 slash.pdf</a>
<a href="/portal/to-ftp.pdf">2023年预算 to-ftp.pdf</a>
<a href="/portal/to-file.pdf">2023年预算 to-file.pdf</a>
<a href="/portal/to-js.pdf">2023年预算 to-js.pdf</a>
<a href="/portal/to-offsite.pdf">2023年预算 to-offsite.pdf</a>
</body></html>"#,
        )
            .into_response(),
        "/etc/passwd.pdf" => pdf("climb"),
        "/escape.pdf" => pdf("encoded"),
        "/portal/..%2f..%2f..%2fslash.pdf" => pdf("slash"),
        "/portal/to-ftp.pdf" => redirect("ftp://127.0.0.1/budget.pdf"),
        "/portal/to-file.pdf" => redirect("file:///etc/passwd"),
        "/portal/to-js.pdf" => redirect("javascript:alert(1)"),
        "/portal/to-offsite.pdf" => redirect("https://offsite.invalid/budget.pdf"),
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_links_and_redirects_stay_in_scope_and_in_the_store() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Hits::default();
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(hits.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // The store sits one level down so that an escape would land in `outer`.
    let outer = tempfile::tempdir().unwrap();
    let store = outer.path().join("store");
    let start = format!("{base}/portal/list.html");
    let args: Vec<String> = [
        "crawl",
        "--out",
        &store.display().to_string(),
        "--delay",
        "0",
        "--timeout",
        "2",
        "--no-progress",
        &start,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = tokio::task::spawn_blocking(move || Command::new(BIN).args(&args).output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let event = |path: &str| {
        events
            .iter()
            .find(|e| e["url"].as_str() == Some(&format!("{base}{path}")))
            .cloned()
            .unwrap_or(Value::Null)
    };
    for e in &events {
        eprintln!("{e}");
    }

    // Only http(s) on this host was requested.
    let requested: BTreeSet<String> = hits.0.lock().unwrap().iter().cloned().collect();
    let allowed: BTreeSet<String> = [
        "/robots.txt",
        "/portal/list.html",
        "/etc/passwd.pdf",
        "/escape.pdf",
        "/portal/..%2f..%2f..%2fslash.pdf",
        "/portal/to-ftp.pdf",
        "/portal/to-file.pdf",
        "/portal/to-js.pdf",
        "/portal/to-offsite.pdf",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert!(requested.is_subset(&allowed), "{requested:?}");
    // Dot segments were resolved on the server's side of the URL, as any browser does.
    for p in [
        "/etc/passwd.pdf",
        "/escape.pdf",
        "/portal/..%2f..%2f..%2fslash.pdf",
    ] {
        assert_eq!(event(p)["event"], "new", "{p}: {events:?}");
    }
    for (p, why) in [
        ("/portal/to-ftp.pdf", "redirect_unsupported"),
        ("/portal/to-file.pdf", "redirect_unsupported"),
        ("/portal/to-js.pdf", "redirect_unsupported"),
        ("/portal/to-offsite.pdf", "redirect_off_site"),
    ] {
        let e = event(p);
        assert_eq!(e["event"], "failed", "{p}: {e}");
        assert!(
            e["reason"].as_str().unwrap_or("").starts_with(why),
            "{p}: {e}"
        );
    }
    // No event for a URL that is not http(s) on this host.
    for e in &events {
        let url = e["url"].as_str().unwrap_or("");
        assert!(url.starts_with(&base), "{e}");
    }

    // Every file written is inside the store, documents named by their hash.
    let written = files_under(outer.path(), outer.path());
    assert!(
        written.iter().all(|f| f.starts_with("store/")),
        "{written:?}"
    );
    let docs: Vec<&String> = written
        .iter()
        .filter(|f| f.starts_with("store/docs/"))
        .collect();
    assert_eq!(docs.len(), 3, "{written:?}");
    for d in docs {
        let name = Path::new(d)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let (hash, ext) = name.split_once('.').unwrap();
        assert_eq!(hash.len(), 64, "{d}");
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{d}");
        assert_eq!(ext, "pdf", "{d}");
        let bytes = std::fs::read(outer.path().join(d)).unwrap();
        assert_eq!(gongkai::text::sha256_hex(&bytes), hash, "{d}");
    }
}
