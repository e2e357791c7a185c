//! `gongkai crawl` against a portal fixture served on 127.0.0.1 by this test
//! (axum): GBK list pages with pagination, detail pages with attachments, a
//! robots.txt that disallows a linked path, an off-site link, a 503-then-200
//! document, a slow endpoint, a redirect loop, an oversized response, one
//! document under two URLs, ETag / Last-Modified with 304s.
//! Nothing here touches the network beyond 127.0.0.1.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::{files_under, redirect};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_gongkai");

#[derive(Debug, Clone)]
struct Hit {
    at: Instant,
    path: String,
    user_agent: String,
    status: u16,
}

#[derive(Default)]
struct Inner {
    hits: Mutex<Vec<Hit>>,
    /// robots.txt answers 503 this many more times.
    robots_503: AtomicU32,
    /// robots.txt asks for this Crawl-delay.
    crawl_delay: Mutex<Option<&'static str>>,
    flaky_failed: AtomicBool,
    final_version: AtomicU32,
}

#[derive(Clone)]
struct Fixture {
    inner: Arc<Inner>,
    base: String,
}

impl Fixture {
    async fn start() -> Fixture {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let fx = Fixture {
            inner: Arc::new(Inner::default()),
            base,
        };
        let app = axum::Router::new().fallback(handle).with_state(fx.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fx
    }

    fn start_url(&self) -> String {
        format!("{}/list/index.html", self.base)
    }

    fn hits(&self) -> Vec<Hit> {
        self.inner.hits.lock().unwrap().clone()
    }

    fn count(&self, path: &str) -> usize {
        self.hits().iter().filter(|h| h.path == path).count()
    }
}

fn gbk(s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(s);
    assert!(!unmappable);
    bytes.into_owned()
}

const LAST_MODIFIED: &str = "Mon, 01 Jan 2024 00:00:00 GMT";
const OLE2: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn html(body: Vec<u8>, content_type: &str) -> Response {
    ([(header::CONTENT_TYPE, content_type.to_string())], body).into_response()
}

/// A document with validators: 304 when the request's ETag or date matches.
fn document(req: &HeaderMap, body: Vec<u8>, content_type: &str, etag: Option<&str>) -> Response {
    let inm = req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    let ims = req
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok());
    let fresh = match etag {
        Some(e) => inm == Some(e),
        None => ims == Some(LAST_MODIFIED),
    };
    let mut headers = vec![(header::LAST_MODIFIED, LAST_MODIFIED.to_string())];
    if let Some(e) = etag {
        headers.push((header::ETAG, e.to_string()));
    }
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type.to_string())], body).into_response()
    };
    for (k, v) in headers {
        resp.headers_mut().insert(k, v.parse().unwrap());
    }
    resp
}

async fn handle(State(fx): State<Fixture>, req: Request) -> Response {
    let at = Instant::now();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let headers = req.headers().clone();
    // Logged on arrival (a request the client gives up on is still seen).
    let n = {
        let mut hits = fx.inner.hits.lock().unwrap();
        hits.push(Hit {
            at,
            path: path.clone(),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            status: 0,
        });
        hits.len() - 1
    };
    let resp = route(&fx, &path, &headers).await;
    fx.inner.hits.lock().unwrap()[n].status = resp.status().as_u16();
    resp
}

async fn route(fx: &Fixture, path: &str, h: &HeaderMap) -> Response {
    match path {
        "/robots.txt" => {
            let left = fx.inner.robots_503.load(Ordering::SeqCst);
            if left > 0 {
                fx.inner.robots_503.store(left - 1, Ordering::SeqCst);
                return (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
            }
            let mut txt = "User-agent: *\nDisallow: /private/\n".to_string();
            if let Some(d) = *fx.inner.crawl_delay.lock().unwrap() {
                txt.push_str(&format!("Crawl-delay: {d}\n"));
            }
            txt.into_response()
        }
        // Page 1 of the list: GBK, charset only in a <meta> tag.
        "/list/index.html" => html(
            gbk(
                r#"<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>财政预决算</title></head><body><ul>
<li><a href="/detail/1.html">区财政局2023年部门预算</a></li>
<li><a href="../detail/2.html#top">区财政局2023年部门决算</a></li>
<li><a href="http://example.invalid/budget.html">其他区预算公开</a></li>
<li><a href="/private/secret.pdf">内部预算.pdf</a></li>
<li><a href="/news/weather.html">天气预报</a></li>
</ul><a href="index_1.html">下一页</a></body></html>"#,
            ),
            "text/html",
        ),
        // Page 2: UTF-8 declared in the header.
        "/list/index_1.html" => html(
            r#"<html><head><title>财政预决算 第2页</title></head><body>
<a href="/detail/3.html">2023年三公经费预算</a>
<a href="/detail/1.html?">区财政局2023年部门预算</a>
<a href="./index.html">1</a></body></html>"#
                .as_bytes()
                .to_vec(),
            "text/html; charset=utf-8",
        ),
        "/detail/1.html" => html(
            gbk(
                r#"<html><head><meta charset="gb2312"><title>区财政局2023年部门预算公开</title></head><body>
<p>附件：</p>
<a href="/files/budget2023.pdf">2023年部门预算.pdf</a>
<a href="/files/copy/budget2023.pdf">2023年部门预算（副本）.pdf</a>
<a href="/download.jsp?wbfileid=7&amp;owner=1">预算表.xls</a>
<a href="/files/flaky.pdf">项目支出.pdf</a>
</body></html>"#,
            ),
            "text/html",
        ),
        "/detail/2.html" => html(
            r#"<html><head><title>区财政局2023年部门决算公开</title></head><body>
<a href="/files/final2023.pdf">2023年部门决算.pdf</a>
<a href="/files/slow.pdf">附表.pdf</a>
<a href="/files/loop.pdf">说明.pdf</a>
<a href="/files/huge.pdf">全文.pdf</a>
<a href="/files/away.pdf">镜像.pdf</a>
</body></html>"#
                .as_bytes()
                .to_vec(),
            "text/html; charset=utf-8",
        ),
        // The tables inline in the page.
        "/detail/3.html" => html(
            r#"<html><head><title>2023年三公经费预算</title></head><body>
<table><tr><td>因公出国（境）费</td><td>1.00</td></tr></table></body></html>"#
                .as_bytes()
                .to_vec(),
            "text/html; charset=utf-8",
        ),
        "/files/budget2023.pdf" | "/files/copy/budget2023.pdf" => document(
            h,
            b"%PDF-1.4\n% budget 2023\n".to_vec(),
            "application/pdf",
            Some("\"b2023\""),
        ),
        // A spreadsheet served as text/html, known only by its magic bytes; Last-Modified only.
        "/download.jsp?owner=1&wbfileid=7" | "/download.jsp?wbfileid=7&owner=1" => {
            let mut body = OLE2.to_vec();
            body.extend_from_slice(b"budget table");
            document(h, body, "text/html", None)
        }
        "/files/flaky.pdf" => {
            if !fx.inner.flaky_failed.swap(true, Ordering::SeqCst) {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, "1")],
                    "busy",
                )
                    .into_response()
            } else {
                document(
                    h,
                    b"%PDF-1.4\n% flaky\n".to_vec(),
                    "application/pdf",
                    Some("\"flaky\""),
                )
            }
        }
        "/files/final2023.pdf" => {
            let v = fx.inner.final_version.load(Ordering::SeqCst);
            let etag = format!("\"final-{v}\"");
            document(
                h,
                format!("%PDF-1.4\n% final v{v}\n").into_bytes(),
                "application/pdf",
                Some(&etag),
            )
        }
        "/files/slow.pdf" => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            document(
                h,
                b"%PDF-1.4\n% slow\n".to_vec(),
                "application/pdf",
                Some("\"slow\""),
            )
        }
        "/files/loop.pdf" => redirect("/files/loop2.pdf"),
        "/files/loop2.pdf" => redirect("/files/loop.pdf"),
        "/files/away.pdf" => redirect("http://example.invalid/x.pdf"),
        "/files/huge.pdf" => {
            // 100 kB in chunks, no Content-Length: the cap must stop the stream.
            let chunks = (0..100).map(|i| {
                let mut c = vec![b' '; 1000];
                if i == 0 {
                    c[..9].copy_from_slice(b"%PDF-1.4\n");
                }
                Ok::<_, Infallible>(c)
            });
            Response::new(Body::from_stream(futures_util::stream::iter(chunks)))
        }
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

struct Run {
    code: i32,
    events: Vec<Value>,
    stderr: String,
}

impl Run {
    fn by_url(&self, fx: &Fixture) -> BTreeMap<String, Value> {
        self.events
            .iter()
            .map(|e| (url_path(e, fx), e.clone()))
            .collect()
    }
}

async fn crawl(args: Vec<String>) -> Run {
    tokio::task::spawn_blocking(move || {
        let out = Command::new(BIN).arg("crawl").args(&args).output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            events: stdout
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

fn args(fx: &Fixture, dir: &Path, delay: &str, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "--out".into(),
        dir.display().to_string(),
        "--delay".into(),
        delay.into(),
        "--timeout".into(),
        "0.5".into(),
        "--max-bytes".into(),
        "50000".into(),
        "--backoff".into(),
        "0.1".into(),
        "--contact".into(),
        "https://example.org/gongkai-test".into(),
        "--no-progress".into(),
    ];
    a.extend(extra.iter().map(|s| s.to_string()));
    a.push(fx.start_url());
    a
}

fn stored_files(dir: &Path) -> BTreeSet<String> {
    files_under(&dir.join("docs"), dir)
}

/// A connection to an SQLite file a crawl wrote.
async fn sqlite(path: &Path) -> sqlx::SqliteConnection {
    use sqlx::Connection;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
    sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The document index as (path of the URL without host, sha256, stored path).
async fn index(dir: &Path, base: &str) -> BTreeSet<(String, String, String)> {
    let mut conn = sqlite(&dir.join("state.sqlite")).await;
    sqlx::query_as::<_, (String, String, String)>("SELECT url, sha256, path FROM crawled")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .map(|(u, s, p)| (u.trim_start_matches(base).to_string(), s, p))
        .collect()
}

/// Documents reported new in a crawl directory's state, across its runs.
async fn new_events(dir: &Path) -> usize {
    let mut conn = sqlite(&dir.join("state.sqlite")).await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM crawl_events WHERE event = 'new'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    n as usize
}

const DOCUMENTS: &[&str] = &[
    "/files/budget2023.pdf",
    "/files/copy/budget2023.pdf",
    "/download.jsp?owner=1&wbfileid=7",
    "/files/flaky.pdf",
    "/files/final2023.pdf",
    "/detail/3.html",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawls_politely_stores_once_and_reruns_incrementally() {
    let fx = Fixture::start().await;
    let dir = tempfile::tempdir().unwrap();

    // Run 1: everything is new.
    let run = crawl(args(&fx, dir.path(), "0.2", &[])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ev = run.by_url(&fx);
    for d in DOCUMENTS {
        assert_eq!(ev[*d]["event"], "new", "{d}: {:?}", ev.get(*d));
    }
    let reason = |p: &str| ev[p]["reason"].as_str().unwrap_or("").to_string();
    assert_eq!(ev["/files/slow.pdf"]["event"], "failed");
    assert_eq!(reason("/files/slow.pdf"), "timeout");
    assert!(
        reason("/files/loop.pdf").starts_with("redirect_loop"),
        "{}",
        reason("/files/loop.pdf")
    );
    assert!(
        reason("/files/huge.pdf").starts_with("too_large"),
        "{}",
        reason("/files/huge.pdf")
    );
    assert!(reason("/files/away.pdf").starts_with("redirect_off_site"));
    // What was not read is reported with the reason.
    assert_eq!(ev["/private/secret.pdf"]["event"], "skipped");
    assert!(
        reason("/private/secret.pdf").starts_with("robots.txt disallows"),
        "{}",
        reason("/private/secret.pdf")
    );
    assert_eq!(run.events.len(), DOCUMENTS.len() + 5, "{:#?}", run.events);
    // One file for the document served under two URLs; sniffed extensions.
    assert_eq!(
        ev["/files/budget2023.pdf"]["path"],
        ev["/files/copy/budget2023.pdf"]["path"]
    );
    assert!(ev["/download.jsp?owner=1&wbfileid=7"]["path"]
        .as_str()
        .unwrap()
        .ends_with(".xls"));
    assert!(ev["/detail/3.html"]["path"]
        .as_str()
        .unwrap()
        .ends_with(".html"));
    let files = stored_files(dir.path());
    assert_eq!(files.len(), 5, "{files:?}");
    for e in &run.events {
        if let Some(p) = e["path"].as_str() {
            let sha = e["sha256"].as_str().unwrap();
            assert!(p.starts_with(&format!("docs/{}/{sha}.", &sha[..2])), "{p}");
            let bytes = std::fs::read(dir.path().join(p)).unwrap();
            assert_eq!(gongkai::text::sha256_hex(&bytes), sha);
        }
    }
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
    assert_eq!(index(dir.path(), &fx.base).await.len(), DOCUMENTS.len());

    // What the server saw.
    let hits = fx.hits();
    assert_eq!(hits[0].path, "/robots.txt");
    for h in &hits {
        assert!(
            !h.path.starts_with("/private/"),
            "disallowed path requested: {}",
            h.path
        );
        assert!(
            !h.path.starts_with("/news/"),
            "unrelated link followed: {}",
            h.path
        );
        assert!(
            h.user_agent.starts_with("gongkai/")
                && h.user_agent
                    .ends_with("(+https://example.org/gongkai-test)"),
            "{}",
            h.user_agent
        );
    }
    assert_eq!(fx.count("/robots.txt"), 1);
    assert_eq!(
        fx.count("/detail/1.html"),
        1,
        "normalized duplicates are fetched once"
    );
    assert_eq!(fx.count("/list/index.html"), 1);
    assert_eq!(fx.count("/files/budget2023.pdf"), 1);
    assert_eq!(fx.count("/files/flaky.pdf"), 2, "503 then 200");
    assert_eq!(fx.count("/files/loop.pdf"), 1);
    assert_eq!(fx.count("/files/loop2.pdf"), 1);
    let mut gaps = Vec::new();
    for w in hits.windows(2) {
        gaps.push(w[1].at - w[0].at);
    }
    let min_gap = gaps.iter().min().unwrap();
    assert!(
        *min_gap >= Duration::from_millis(200),
        "requests {min_gap:?} apart: {gaps:?}"
    );
    let flaky: Vec<&Hit> = hits
        .iter()
        .filter(|h| h.path == "/files/flaky.pdf")
        .collect();
    assert_eq!(flaky[0].status, 503);
    assert!(
        flaky[1].at - flaky[0].at >= Duration::from_secs(1),
        "Retry-After: 1 honoured"
    );
    eprintln!(
        "run 1: {} requests, smallest gap {min_gap:?}, mean gap {:?}",
        hits.len(),
        gaps.iter().sum::<Duration>() / gaps.len() as u32
    );
    assert!(run.stderr.contains("crawl run 1"), "{}", run.stderr);
    eprintln!("{}", run.stderr.trim());
    for e in &run.events {
        eprintln!("{e}");
    }
    // Each event says when, in which run, from which source and link.
    for e in &run.events {
        assert!(e["at"].as_str().is_some_and(|t| t.ends_with('Z')), "{e}");
        assert_eq!(e["run"], 1, "{e}");
        assert!(e["source"].is_string(), "{e}");
    }
    assert!(DOCUMENTS.iter().any(|d| ev[*d]["anchor"].is_string()));
    // The copy under a second URL says whose content it is.
    let copies: Vec<&Value> = ["/files/budget2023.pdf", "/files/copy/budget2023.pdf"]
        .iter()
        .map(|d| &ev[*d])
        .collect();
    assert_eq!(
        copies.iter().filter(|e| e["known_url"].is_string()).count(),
        1,
        "{copies:?}"
    );
    let run1_events = run.events.len();

    // Run 2: nothing new; stored documents answer 304 and are unchanged.
    let before = fx.hits().len();
    let run = crawl(args(&fx, dir.path(), "0.05", &[])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ev = run.by_url(&fx);
    for d in DOCUMENTS {
        assert_eq!(ev[*d]["event"], "unchanged", "{d}: {:?}", ev.get(*d));
    }
    assert_eq!(
        run.events
            .iter()
            .filter(|e| e["event"] == "new" || e["event"] == "changed")
            .count(),
        0
    );
    for h in &fx.hits()[before..] {
        if DOCUMENTS.contains(&h.path.as_str()) && h.path != "/detail/3.html" {
            assert_eq!(h.status, 304, "{} downloaded again", h.path);
        }
    }
    assert_eq!(stored_files(dir.path()), files);
    eprintln!("run 2: {}", run.stderr.trim());

    // Run 2b, as a cron job: --changes-only prints what a monitor acts on
    // (here the documents that keep failing), no unchanged or skipped line.
    let run = crawl(args(&fx, dir.path(), "0.05", &["--changes-only"])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.events.is_empty());
    assert!(
        run.events.iter().all(|e| e["event"] == "failed"),
        "{:#?}",
        run.events
    );
    // The state keeps every event: a job that lost its stdout reads them back.
    let events = |extra: &[&str]| -> Vec<Value> {
        let out = Command::new(BIN)
            .args(["events", "--out", &dir.path().display().to_string()])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let first = events(&["--run", "1"]);
    assert_eq!(first.len(), run1_events);
    assert!(first.iter().all(|e| e["run"] == 1 && e["at"].is_string()));
    let changes = events(&["--changes-only", "--since", "2000-01-01"]);
    assert_eq!(
        changes.iter().filter(|e| e["event"] == "new").count(),
        DOCUMENTS.len()
    );
    assert!(changes
        .iter()
        .all(|e| ["new", "changed", "failed"].contains(&e["event"].as_str().unwrap_or(""))));
    assert!(events(&["--since", "2999-01-01"]).is_empty());

    // Run 3: one document changed on the server; --extract records it alone.
    fx.inner.final_version.store(1, Ordering::SeqCst);
    let run = crawl(args(&fx, dir.path(), "0.05", &["--extract"])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ev = run.by_url(&fx);
    assert_eq!(ev["/files/final2023.pdf"]["event"], "changed");
    for d in DOCUMENTS.iter().filter(|d| **d != "/files/final2023.pdf") {
        assert_eq!(ev[*d]["event"], "unchanged", "{d}");
    }
    assert_eq!(stored_files(dir.path()).len(), 6);
    let records = std::fs::read_to_string(dir.path().join("records.jsonl")).unwrap();
    let records: Vec<Value> = records
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(
        records[0]["source"]["path"],
        format!("{}/files/final2023.pdf", fx.base)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_crawl_resumes_to_the_same_store() {
    // Reference: an uninterrupted run.
    let fx_ref = Fixture::start().await;
    let ref_dir = tempfile::tempdir().unwrap();
    let run = crawl(args(&fx_ref, ref_dir.path(), "0.05", &[])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);

    // Interrupted: SIGKILL after two documents, then the same command again.
    let fx = Fixture::start().await;
    let dir = tempfile::tempdir().unwrap();
    let a = args(&fx, dir.path(), "0.05", &[]);
    let seen_before_kill: Vec<Value> = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(BIN)
            .arg("crawl")
            .args(&a)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = Vec::new();
        while seen.len() < 2 {
            let line = lines
                .next()
                .expect("crawl ended before two events")
                .unwrap();
            seen.push(serde_json::from_str::<Value>(&line).unwrap());
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        seen
    })
    .await
    .unwrap();
    let hits_at_kill = fx.hits().len();
    let run = crawl(args(&fx, dir.path(), "0.05", &[])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("(resumed)"), "{}", run.stderr);
    eprintln!(
        "killed after {} events, {hits_at_kill} requests; {}",
        seen_before_kill.len(),
        run.stderr.trim()
    );
    assert!(fx.hits().len() > hits_at_kill);

    assert_eq!(stored_files(dir.path()), stored_files(ref_dir.path()));
    assert_eq!(
        index(dir.path(), &fx.base).await,
        index(ref_dir.path(), &fx_ref.base).await
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
    // Nothing reported before the kill was downloaded again.
    for e in &seen_before_kill {
        let path = url_path(e, &fx);
        if e["event"] == "new" {
            assert_eq!(fx.count(&path), 1, "{path} downloaded again after the kill");
        }
    }
    // Every document was reported new exactly once across the two processes.
    assert_eq!(new_events(dir.path()).await, DOCUMENTS.len());
}

/// The store as it must be at any moment: SQLite intact, and every indexed
/// document on disk, complete (its bytes hash to its name). A state whose
/// schema was still being created (each migration is one transaction) holds
/// no document yet.
async fn assert_store_consistent(dir: &Path) {
    let mut conn = sqlite(&dir.join("state.sqlite")).await;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let migrated: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'crawl_events'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let rows: Vec<(String, String)> = if migrated == 0 {
        Vec::new()
    } else {
        sqlx::query_as("SELECT sha256, path FROM crawled")
            .fetch_all(&mut conn)
            .await
            .unwrap()
    };
    for (sha, path) in rows {
        let bytes = std::fs::read(dir.join(&path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(
            gongkai::text::sha256_hex(&bytes),
            sha,
            "{path} is incomplete"
        );
    }
    // Whatever sits under docs/ is complete too (only tmp/ holds partial bodies).
    for f in stored_files(dir) {
        let bytes = std::fs::read(dir.join(&f)).unwrap();
        let name = Path::new(&f)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(gongkai::text::sha256_hex(&bytes), name, "{f} is incomplete");
    }
}

/// SIGKILL at random moments, several times over, then the same command to
/// the end: every intermediate store is consistent, the final one equals an
/// uninterrupted run's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_random_kills_leave_a_consistent_store() {
    let fx_ref = Fixture::start().await;
    let ref_dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let run = crawl(args(&fx_ref, ref_dir.path(), "0.05", &["--extract"])).await;
    let full = started.elapsed();
    assert_eq!(run.code, 0, "{}", run.stderr);

    let fx = Fixture::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(7);
    let mut kills = Vec::new();
    for _ in 0..6 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let at = full.mul_f64(f64::from(seed >> 16) / 65536.0);
        let a = args(&fx, dir.path(), "0.05", &["--extract"]);
        let finished = tokio::task::spawn_blocking(move || {
            let mut child = Command::new(BIN)
                .arg("crawl")
                .args(&a)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(at);
            let finished = child.try_wait().unwrap().is_some();
            child.kill().ok(); // SIGKILL
            child.wait().unwrap();
            finished
        })
        .await
        .unwrap();
        kills.push((at, finished));
        if dir.path().join("state.sqlite").exists() {
            assert_store_consistent(dir.path()).await;
        }
    }
    eprintln!("uninterrupted run {full:.2?}; kills at {kills:?}");
    let run = crawl(args(&fx, dir.path(), "0.05", &["--extract"])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_store_consistent(dir.path()).await;
    assert_eq!(stored_files(dir.path()), stored_files(ref_dir.path()));
    assert_eq!(
        index(dir.path(), &fx.base).await,
        index(ref_dir.path(), &fx_ref.base).await
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
    assert_eq!(new_events(dir.path()).await, DOCUMENTS.len());
    // records.jsonl: complete lines only, one per document with the same content.
    let records = std::fs::read_to_string(dir.path().join("records.jsonl")).unwrap_or_default();
    assert!(records.is_empty() || records.ends_with('\n'));
    for line in records.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let code = |a: &[&str]| {
        Command::new(BIN)
            .arg("crawl")
            .args(a)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code(&["--out", &out]), Some(2), "no start URL");
    assert_eq!(
        code(&["--out", &out, "ftp://x.cn/"]),
        Some(2),
        "not http(s)"
    );
    assert_eq!(
        code(&["--out", &out, "--delay", "-1", "http://127.0.0.1:9/"]),
        Some(2)
    );
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[source]]\nstart = []\n").unwrap();
    assert_eq!(
        code(&["--out", &out, "--sources", bad.to_str().unwrap()]),
        Some(2)
    );
    // The output directory cannot be created (a file is in the way): store error.
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let o = Command::new(BIN)
        .args([
            "crawl",
            "--no-progress",
            "--out",
            file.to_str().unwrap(),
            "http://127.0.0.1:9/",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_5xx_means_later_and_crawl_delay_is_honoured() {
    // robots.txt fails once: the host's URLs wait, then the crawl goes on at
    // the robots.txt Crawl-delay (0.3 s, above --delay 0.05).
    let fx = Fixture::start().await;
    fx.inner.robots_503.store(1, Ordering::SeqCst);
    *fx.inner.crawl_delay.lock().unwrap() = Some("0.3");
    let dir = tempfile::tempdir().unwrap();
    let mut a = args(&fx, dir.path(), "0.05", &["--max-depth", "0"]);
    a.pop();
    a.push(format!("{}/detail/1.html", fx.base));
    let run = crawl(a).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let hits = fx.hits();
    assert_eq!(hits[0].path, "/robots.txt");
    assert_eq!(hits[0].status, 503);
    assert_eq!(hits[1].path, "/robots.txt");
    assert_eq!(hits[1].status, 200);
    for w in hits[1..].windows(2) {
        assert!(
            w[1].at - w[0].at >= Duration::from_millis(300),
            "Crawl-delay not honoured"
        );
    }
    assert_eq!(
        run.events.iter().filter(|e| e["event"] == "new").count(),
        4,
        "{:#?}",
        run.events
    );

    // robots.txt keeps failing: after its tries the host is given up for the
    // run, and nothing but robots.txt was requested.
    let fx = Fixture::start().await;
    fx.inner.robots_503.store(100, Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let run = crawl(args(&fx, dir.path(), "0.05", &[])).await;
    // A source that yielded nothing is no quiet success for a cron job.
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("could be fetched"), "{}", run.stderr);
    assert!(fx.hits().iter().all(|h| h.path == "/robots.txt"));
    assert_eq!(fx.count("/robots.txt"), 3);
    assert_eq!(run.events.len(), 1);
    assert_eq!(run.events[0]["reason"], "robots_unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_failure_stops_with_exit_1_and_the_next_run_resumes() {
    let fx = Fixture::start().await;
    let dir = tempfile::tempdir().unwrap();
    // A file where the shard directory of the first PDF must go: the rename
    // into docs/ fails mid-run, as on a full or read-only disk.
    let sha = gongkai::text::sha256_hex(b"%PDF-1.4\n% budget 2023\n");
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    let blocker = dir.path().join("docs").join(&sha[..2]);
    std::fs::write(&blocker, "in the way").unwrap();
    let run = crawl(args(&fx, dir.path(), "0.05", &[])).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("crawl stopped"), "{}", run.stderr);
    assert!(run.stderr.contains("resume"), "{}", run.stderr);
    std::fs::remove_file(&blocker).unwrap();
    let run = crawl(args(&fx, dir.path(), "0.05", &[])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("(resumed)"), "{}", run.stderr);
    assert_eq!(index(dir.path(), &fx.base).await.len(), DOCUMENTS.len());
    assert_eq!(stored_files(dir.path()).len(), 5);
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_file_sets_rules_depth_and_rate() {
    let fx = Fixture::start().await;
    let dir = tempfile::tempdir().unwrap();
    let sources = dir.path().join("sources.toml");
    // Only 决算 pages are followed, one link deep, at 0.15 s per request.
    std::fs::write(
        &sources,
        format!(
            r#"[[source]]
name = "fixture"
start = ["{}"]
max_depth = 1
delay = 0.15
follow_text = ["决算"]
pagination_text = []
skip_url = ['/files/(slow|huge|loop|away)']
"#,
            fx.start_url()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let mut a = args(&fx, &out, "0.05", &["--sources", sources.to_str().unwrap()]);
    a.pop(); // no start URL on the command line
    let run = crawl(a).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let paths: BTreeSet<String> = fx.hits().iter().map(|h| h.path.clone()).collect();
    let expected: BTreeSet<String> = [
        "/robots.txt",
        "/list/index.html",
        "/detail/2.html",
        "/files/final2023.pdf",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(paths, expected);
    for w in fx.hits().windows(2) {
        assert!(w[1].at - w[0].at >= Duration::from_millis(150));
    }
    let read: Vec<&Value> = run
        .events
        .iter()
        .filter(|e| e["event"] != "skipped")
        .collect();
    assert_eq!(read.len(), 1, "{:#?}", run.events);
    assert_eq!(read[0]["event"], "new");
    // Whatever was not read says why.
    assert!(run
        .events
        .iter()
        .filter(|e| e["event"] == "skipped")
        .all(|e| e["reason"].as_str().is_some_and(|r| !r.is_empty())));
}

// Shared crawls (`--shared --db`): workers share one frontier, one politeness
// clock per host and one document index through the database.

/// Requests per path, robots.txt left out (every worker reads it once).
fn requests_by_path(hits: &[Hit]) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    for h in hits.iter().filter(|h| h.path != "/robots.txt") {
        *n.entry(h.path.clone()).or_insert(0) += 1;
    }
    n
}

/// The URL of an event, without the fixture's origin.
fn url_path(e: &Value, fx: &Fixture) -> String {
    e["url"]
        .as_str()
        .unwrap()
        .trim_start_matches(&fx.base)
        .to_string()
}

/// Each event as (URL path, event, reason), sorted.
fn outcomes(events: &[Value], fx: &Fixture) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = events
        .iter()
        .map(|e| {
            (
                url_path(e, fx),
                e["event"].as_str().unwrap().to_string(),
                e["reason"].as_str().unwrap_or("").replace(&fx.base, "BASE"),
            )
        })
        .collect();
    v.sort();
    v
}

/// What one crawler alone does (with `delay`), on a portal of its own: the
/// reference a shared crawl is compared with.
async fn crawl_alone(delay: &str) -> (Fixture, tempfile::TempDir, Run) {
    let fx = Fixture::start().await;
    let dir = tempfile::tempdir().unwrap();
    let run = crawl(args(&fx, dir.path(), delay, &[])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    (fx, dir, run)
}

/// Two workers started at once on `db` crawl the portal together: together
/// they make exactly the requests one crawler makes alone (each URL fetched
/// by one worker; robots.txt once per worker), report each URL once, and the
/// host never sees two requests closer than the delay, whoever makes them.
/// A second shared run asks conditionally for what either worker stored.
async fn two_workers_share_one_crawl(db: &str) {
    const DELAY: Duration = Duration::from_millis(250);
    let (alone, alone_dir, single) = crawl_alone("0.25").await;

    let fx = Fixture::start().await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let worker = |i: usize| {
        let name = format!("w{i}");
        crawl(args(
            &fx,
            dirs[i].path(),
            "0.25",
            &["--shared", "--db", db, "--worker", &name],
        ))
    };
    let (a, b) = tokio::join!(worker(0), worker(1));
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(b.code, 0, "{}", b.stderr);
    assert!(
        a.stderr.contains("shared crawl run 1") && b.stderr.contains("shared crawl run 1"),
        "{}\n{}",
        a.stderr,
        b.stderr
    );
    assert!(
        a.stderr.contains("(joined)") != b.stderr.contains("(joined)"),
        "one worker starts the run, the other joins it:\n{}\n{}",
        a.stderr,
        b.stderr
    );
    eprintln!(
        "worker 0: {}\nworker 1: {}",
        a.stderr.trim(),
        b.stderr.trim()
    );

    let hits = fx.hits();
    assert_eq!(
        requests_by_path(&hits),
        requests_by_path(&alone.hits()),
        "two workers make the requests of one"
    );
    assert!(fx.count("/robots.txt") <= 2);
    let mut both = a.events.clone();
    both.extend(b.events.iter().cloned());
    assert_eq!(
        outcomes(&both, &fx),
        outcomes(&single.events, &alone),
        "each URL reported once, as one crawler reports it"
    );
    assert!(
        !a.events.is_empty() && !b.events.is_empty(),
        "both workers took part: {} and {} events",
        a.events.len(),
        b.events.len()
    );
    // One host: every request, whichever worker made it, waited the delay
    // after the previous one.
    let gaps: Vec<Duration> = hits.windows(2).map(|w| w[1].at - w[0].at).collect();
    let min_gap = *gaps.iter().min().unwrap();
    assert!(min_gap >= DELAY, "requests {min_gap:?} apart: {gaps:?}");
    eprintln!(
        "two workers: {} requests ({} and {} events), smallest gap {min_gap:?}",
        hits.len(),
        a.events.len(),
        b.events.len()
    );
    // Each worker keeps the files it downloaded; together, every document.
    let mut files = stored_files(dirs[0].path());
    files.extend(stored_files(dirs[1].path()));
    assert_eq!(files, stored_files(alone_dir.path()));

    // The second run: new workers, everything stored answers 304.
    let before = fx.hits().len();
    let (a, b) = tokio::join!(worker(0), worker(1));
    assert_eq!((a.code, b.code), (0, 0), "{}\n{}", a.stderr, b.stderr);
    assert!(a.stderr.contains("shared crawl run 2"), "{}", a.stderr);
    let mut both = a.events.clone();
    both.extend(b.events.iter().cloned());
    let ev: BTreeMap<String, String> = outcomes(&both, &fx)
        .into_iter()
        .map(|(u, e, _)| (u, e))
        .collect();
    for d in DOCUMENTS {
        assert_eq!(ev[*d], "unchanged", "{d}: {ev:?}");
    }
    for h in &fx.hits()[before..] {
        if DOCUMENTS.contains(&h.path.as_str()) && h.path != "/detail/3.html" {
            assert_eq!(h.status, 304, "{} downloaded again", h.path);
        }
    }
    // What `stats` says of it: the run finished, every URL done, each
    // document URL found once, each new document queued for extraction.
    let out = Command::new(BIN)
        .args(["stats", "--json", "--db", db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["crawl"]["run"], 2);
    assert_eq!(s["crawl"]["state"], "finished");
    assert_eq!(s["crawl"]["frontier"].as_object().unwrap().len(), 1, "{s}");
    assert_eq!(s["crawl"]["documents"], DOCUMENTS.len());
    assert_eq!(s["jobs"]["queued"], DOCUMENTS.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_share_one_crawl_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.sqlite");
    two_workers_share_one_crawl(db.to_str().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_share_one_crawl_on_postgres() {
    let Some(admin) = crate::util::pg::postgres_url() else {
        return;
    };
    let db = crate::util::pg::PgDb::new(&admin, "crawl");
    two_workers_share_one_crawl(&db.url).await;
}

/// A shared worker SIGKILLed in the middle of a request leaves its URL and
/// its host claimed; another worker finishes the run, taking the URL over
/// once the dead worker's lease has run out (and not touching the host
/// before), so every URL ends done, reported once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_shared_worker_is_taken_over() {
    const LEASE: Duration = Duration::from_secs(3);
    let (alone, _alone_dir, single) = crawl_alone("0.05").await;

    let fx = Fixture::start().await;
    let state = tempfile::tempdir().unwrap();
    let db = state.path().join("shared.sqlite").display().to_string();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let lease = LEASE.as_secs().to_string();
    let a = args(
        &fx,
        dirs[0].path(),
        "0.05",
        &[
            "--shared", "--db", &db, "--worker", "doomed", "--lease", &lease,
        ],
    );
    // Worker A is killed while the slow document's request is in flight.
    let fx_a = fx.clone();
    let (seen, killed_at) = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(BIN)
            .arg("crawl")
            .args(&a)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(|l| l.ok())
                .map(|l| serde_json::from_str::<Value>(&l).unwrap())
                .collect::<Vec<_>>()
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        while fx_a.count("/files/slow.pdf") == 0 {
            assert!(
                Instant::now() < deadline,
                "worker A never asked for slow.pdf"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL
        let killed_at = Instant::now();
        child.wait().unwrap();
        (reader.join().unwrap(), killed_at)
    })
    .await
    .unwrap();
    let hits_at_kill = fx.hits().len();

    let b = crawl(args(
        &fx,
        dirs[1].path(),
        "0.05",
        &["--shared", "--db", &db, "--worker", "heir"],
    ))
    .await;
    assert_eq!(b.code, 0, "{}", b.stderr);
    assert!(b.stderr.contains("(joined)"), "{}", b.stderr);
    eprintln!(
        "killed A after {} events; B: {}",
        seen.len(),
        b.stderr.trim()
    );

    // The host rested until the dead worker's lease ran out (it was renewed
    // every third of the lease, so at least two thirds were left).
    let after = &fx.hits()[hits_at_kill..];
    assert!(!after.is_empty());
    let waited = after[0].at.saturating_duration_since(killed_at);
    assert!(
        waited >= LEASE * 2 / 3 - Duration::from_millis(100),
        "the host was asked {waited:?} after the kill"
    );
    assert_eq!(fx.count("/files/slow.pdf"), 2, "taken over once");
    let mut both = seen.clone();
    both.extend(b.events.iter().cloned());
    assert_eq!(
        outcomes(&both, &fx),
        outcomes(&single.events, &alone),
        "every URL reported once"
    );
    let mut conn = sqlite(Path::new(&db)).await;
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM frontier WHERE state <> 'done'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(open, 0);
    let claims: i64 =
        sqlx::query_scalar("SELECT claims FROM frontier WHERE url LIKE '%/files/slow.pdf'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(claims, 2);
    let state: String = sqlx::query_scalar("SELECT state FROM crawl_runs WHERE run = 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(state, "finished");
}

/// `crawl --extract --accept FILE` marks the findings a user accepted, as
/// `extract --accept` does: a monitoring run shows only what is new.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_extract_marks_accepted_findings() {
    let pdf = std::fs::read(crate::util::sample("a_portrait_uming.pdf")).unwrap();
    let local = crate::util::extract(&crate::util::sample("a_portrait_uming.pdf"));
    assert!(local.flags.len() >= 2, "{:#?}", local.flags);
    let accepted = &local.flags[0].id;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async {
                axum::response::Html(
                    r#"<html><body><a href="/files/final2022.pdf">2022年度单位决算公开.pdf</a></body></html>"#,
                )
            }),
        )
        .route(
            "/files/final2022.pdf",
            axum::routing::get(move || {
                let body = pdf.clone();
                async move { ([("content-type", "application/pdf")], body).into_response() }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    let accept = dir.path().join("accepted.txt");
    std::fs::write(
        &accept,
        format!("# reviewed\n{accepted} the seed's own finding\n"),
    )
    .unwrap();
    let out = dir.path().join("crawl");
    let run = crawl(vec![
        "--out".into(),
        out.display().to_string(),
        "--delay".into(),
        "0".into(),
        "--contact".into(),
        "https://example.org/gongkai-test".into(),
        "--no-progress".into(),
        "--extract".into(),
        "--accept".into(),
        accept.display().to_string(),
        format!("{base}/"),
    ])
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let records = std::fs::read_to_string(out.join("records.jsonl")).unwrap();
    let record: Value = serde_json::from_str(records.lines().next().unwrap()).unwrap();
    let flags = record["flags"].as_array().unwrap();
    assert_eq!(flags.len(), local.flags.len());
    for f in flags {
        assert_eq!(f["accepted"] == true, f["id"] == accepted.as_str(), "{f}");
    }
    assert!(
        run.stderr
            .contains(&format!("{} findings not in --accept", flags.len() - 1)),
        "{}",
        run.stderr
    );
}
