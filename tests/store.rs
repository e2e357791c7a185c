//! The dataset store: ingest (idempotent, replacing), exports (CSV against the
//! golden record, Parquet read back), stats, and the shared work queue —
//! on SQLite always, on PostgreSQL when `GONGKAI_TEST_POSTGRES_URL` is set
//! (`.ci/run` starts a server and sets it; the role needs CREATEDB: every
//! test works in a database of its own, dropped at the end).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::util::pg::{postgres_url, PgDb};
use crate::util::*;
use gongkai::export::{export, exporter, Dataset, Filter, Format, Options, Versions};
use gongkai::record::Record;
use gongkai::store::ingest::{counts, ingest, Outcome, Tally};
use gongkai::store::{queue, Store};

/// Every bundled sample, extracted once per test binary.
fn records() -> &'static Vec<Record> {
    static R: OnceLock<Vec<Record>> = OnceLock::new();
    R.get_or_init(|| {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("samples"))
            .unwrap_or_else(|e| panic!("samples: {e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .is_some_and(|x| x == "pdf" || x == "html" || x == "txt")
            })
            .collect();
        files.sort();
        files.iter().map(|f| extract(f)).collect()
    })
}

fn seed_path() -> String {
    sample("seed_changzhi_2022_final.txt").display().to_string()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A runtime whose tasks really run at once (two claimers racing).
fn rt_two_threads() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gongkai"))
}

async fn open(db: &str) -> Store {
    Store::open(db)
        .await
        .unwrap_or_else(|e| panic!("{db}: {e}"))
}

async fn ingest_all(store: &Store, fingerprint: &str) -> Tally {
    let mut tally = Tally::default();
    for r in records() {
        let o = ingest(store, r, fingerprint)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", r.source.path));
        tally.add(&o);
    }
    tally
}

async fn export_to(store: &Store, format: Format, filter: &Filter, path: &Path) -> u64 {
    export_what(store, Dataset::Amounts, format, filter, path).await
}

async fn export_what(
    store: &Store,
    what: Dataset,
    format: Format,
    filter: &Filter,
    path: &Path,
) -> u64 {
    let file = std::fs::File::create(path).unwrap_or_else(|e| panic!("{e}"));
    let mut ex = exporter(
        format,
        what.columns(),
        Options::default(),
        Box::new(std::io::BufWriter::new(file)),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let n = export(store, what, filter, ex.as_mut())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    ex.finish().unwrap_or_else(|e| panic!("{e}"));
    n
}

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut rd = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{e}"));
    let headers = rd.headers().unwrap_or_else(|e| panic!("{e}")).clone();
    rd.records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{e}"));
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Ingesting every sample twice leaves the same rows; a newer pattern set
/// replaces each document's rows and leaves the same counts again.
async fn check_idempotent(db: &str) {
    let store = open(db).await;
    let first = ingest_all(&store, &patterns().fingerprint).await;
    let after_first = counts(&store).await.unwrap_or_else(|e| panic!("{e}"));
    let second = ingest_all(&store, &patterns().fingerprint).await;
    let after_second = counts(&store).await.unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{db}: first {first}; second {second}; rows {after_first:?}");
    assert_eq!(after_first, after_second);
    let n = records().len();
    assert_eq!(first.new + first.skipped, n, "{first}");
    assert_eq!(second.unchanged + second.skipped, n, "{second}");
    assert_eq!(
        after_first[0],
        ("documents", first.new as i64),
        "one document per content hash"
    );
    assert!(after_first.iter().all(|(_, c)| *c > 0), "{after_first:?}");

    let third = ingest_all(&store, "another pattern set").await;
    assert_eq!(third.replaced, first.new, "{third}");
    assert_eq!(counts(&store).await.unwrap_or_default(), after_first);
    // The same document seen at another path is the same document.
    let mut moved = records()[0].clone();
    moved.source.path = "elsewhere/copy.pdf".into();
    let o = ingest(&store, &moved, "another pattern set").await;
    assert_eq!(o.ok(), Some(Outcome::Unchanged));
    assert_eq!(counts(&store).await.unwrap_or_default(), after_first);
    // An older gongkai never overwrites a newer extraction.
    assert!(gongkai::store::ingest::newer(
        "99.0.0",
        gongkai::store::TOOL_VERSION
    ));
    store.close().await;
}

/// A decimal by value (counts are exported as whole numbers: 2.00 is 2).
fn by_value(s: &str) -> String {
    s.parse::<rust_decimal::Decimal>()
        .map(|d| d.normalize().to_string())
        .unwrap_or_else(|_| s.to_string())
}

/// Every row value of every golden table is a CSV line with the right table
/// kind, code, line, name, side, column key and amount.
async fn check_golden_csv(db: &str, dir: &Path) {
    let store = open(db).await;
    ingest_all(&store, &patterns().fingerprint).await;
    let path = dir.join("dataset.csv");
    let all = Filter {
        versions: Versions::All,
        ..Filter::default()
    };
    let n = export_to(&store, Format::Csv, &all, &path).await;
    let lines = read_csv(&path);
    assert_eq!(lines.len() as u64, n);
    let seed = seed_path();
    let mut got: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    for l in lines.iter().filter(|l| l["source"] == seed) {
        assert_eq!(l["unit"], "长治市政务服务中心");
        assert_eq!(l["region"], "长治市");
        assert_eq!(l["year"], "2022");
        assert_eq!(l["document_kind"], "final_account");
        let value = if l["amount_yuan"].is_empty() {
            &l["count"]
        } else {
            &l["amount_yuan"]
        };
        let key = ["table_kind", "code", "line", "name", "side", "column_key"]
            .iter()
            .map(|k| l[*k].clone())
            .chain([by_value(value)])
            .collect::<Vec<_>>();
        *got.entry(key).or_default() += 1;
    }
    let golden = golden();
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    let mut cells = 0;
    let mut missing = Vec::new();
    for t in golden["tables"].as_array().into_iter().flatten() {
        for r in t["rows"].as_array().into_iter().flatten() {
            for (key, v) in r["values"].as_object().into_iter().flatten() {
                cells += 1;
                let want = vec![
                    s(&t["kind"]),
                    s(&r["code"]),
                    s(&r["line"]),
                    s(&r["name"]),
                    s(&r["side"]),
                    key.clone(),
                    by_value(&s(v)),
                ];
                match got.get_mut(&want) {
                    Some(c) if *c > 0 => *c -= 1,
                    _ => missing.push(want),
                }
            }
        }
    }
    assert_eq!(cells, 239, "golden cells");
    assert!(
        missing.is_empty(),
        "{} of {cells} golden cells not in the CSV, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    // Filters.
    let none = Filter {
        year: Some(1999),
        ..Filter::default()
    };
    assert_eq!(
        export_to(&store, Format::Csv, &none, &dir.join("none.csv")).await,
        0
    );
    assert_eq!(read_csv(&dir.join("none.csv")).len(), 0);
    let unit = Filter {
        year: Some(2022),
        kind: Some("final_account".into()),
        unit: Some("政务服务".into()),
        ..Filter::default()
    };
    let m = export_to(&store, Format::Csv, &unit, &dir.join("unit.csv")).await;
    assert!(m > 0 && m <= n);
    let budget = Filter {
        kind: Some("budget".into()),
        ..Filter::default()
    };
    assert_eq!(
        export_to(&store, Format::Jsonl, &budget, &dir.join("b.jsonl")).await,
        0
    );
    store.close().await;
}

/// Every dataset's Parquet export read back (by the parquet crate's own
/// reader) has the typed values of its JSON Lines export: amounts as
/// DECIMAL(38, 6), years and pages as INT32, codes as text.
async fn check_parquet(db: &str, dir: &Path) {
    use parquet::basic::{ConvertedType, Type as Physical};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let store = open(db).await;
    ingest_all(&store, &patterns().fingerprint).await;
    for what in Dataset::ALL {
        let pq = dir.join(format!("{}.parquet", what.name()));
        let js = dir.join(format!("{}.jsonl", what.name()));
        let all = Filter {
            versions: Versions::All,
            ..Filter::default()
        };
        let n = export_what(&store, what, Format::Parquet, &all, &pq).await;
        let m = export_what(&store, what, Format::Jsonl, &all, &js).await;
        assert_eq!(n, m);
        assert!(n > 0, "{}", what.name());
        let want: Vec<serde_json::Value> = std::fs::read_to_string(&js)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let file = std::fs::File::open(&pq).unwrap_or_else(|e| panic!("{e}"));
        let reader = SerializedFileReader::new(file).unwrap_or_else(|e| panic!("{e}"));
        let meta = reader.metadata().file_metadata();
        assert_eq!(meta.num_rows() as u64, n);
        let schema = meta.schema_descr();
        for (i, c) in what.columns().iter().enumerate() {
            let col = schema.column(i);
            let (physical, converted) = (col.physical_type(), col.converted_type());
            match c.ty {
                gongkai::export::Type::Decimal => {
                    assert_eq!(physical, Physical::FIXED_LEN_BYTE_ARRAY, "{}", c.name);
                    assert_eq!(converted, ConvertedType::DECIMAL, "{}", c.name);
                    assert_eq!((col.type_precision(), col.type_scale()), (38, 6));
                }
                gongkai::export::Type::Int32 => assert_eq!(physical, Physical::INT32, "{}", c.name),
                gongkai::export::Type::Int64 => assert_eq!(physical, Physical::INT64, "{}", c.name),
                gongkai::export::Type::Text => {
                    assert_eq!(physical, Physical::BYTE_ARRAY, "{}", c.name);
                    assert_eq!(converted, ConvertedType::UTF8, "{}", c.name);
                }
            }
        }
        let mut got = Vec::new();
        for row in reader.get_row_iter(None).unwrap_or_else(|e| panic!("{e}")) {
            let row = row.unwrap_or_else(|e| panic!("{e}"));
            let mut o = serde_json::Map::new();
            for (name, field) in row.get_column_iter() {
                let v = match field {
                    Field::Null => serde_json::Value::Null,
                    Field::Str(s) => serde_json::Value::from(s.as_str()),
                    Field::Int(i) => serde_json::Value::from(*i),
                    Field::Long(i) => serde_json::Value::from(*i),
                    Field::Decimal(d) => {
                        let bytes: [u8; 16] =
                            d.data().try_into().unwrap_or_else(|_| panic!("16 bytes"));
                        let v = rust_decimal::Decimal::from_i128_with_scale(
                            i128::from_be_bytes(bytes),
                            d.scale() as u32,
                        );
                        serde_json::Value::from(v.normalize().to_string())
                    }
                    other => panic!("{name}: unexpected {other:?}"),
                };
                o.insert(name.clone(), v);
            }
            got.push(serde_json::Value::Object(o));
        }
        assert_eq!(got.len(), want.len());
        // Decimals compare by value (Parquet holds them at scale 6).
        let decimals: Vec<&str> = what
            .columns()
            .iter()
            .filter(|c| c.ty == gongkai::export::Type::Decimal)
            .map(|c| c.name)
            .collect();
        let normal = |v: &serde_json::Value| -> serde_json::Value {
            let mut v = v.clone();
            for k in &decimals {
                if let Some(s) = v[*k].as_str() {
                    let d: rust_decimal::Decimal = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
                    v[*k] = serde_json::Value::from(d.normalize().to_string());
                }
            }
            v
        };
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(normal(g), normal(w), "{} row {i}", what.name());
        }
        if what == Dataset::Amounts {
            // Exact amounts survive: 8638621.12, not a float.
            assert!(got
                .iter()
                .any(|l| l["amount_yuan"] == serde_json::json!("8638621.12")));
            assert!(got.iter().all(|l| l["page"].is_i64()));
        }
    }
    store.close().await;
}

/// `gongkai enqueue` of a copy of the samples, removed afterwards: the
/// workers get every document from the database alone (no shared mount).
fn enqueue_samples(db: &str, dir: &Path) {
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap_or_else(|e| panic!("{e}"));
    for e in std::fs::read_dir(root().join("samples")).unwrap_or_else(|e| panic!("{e}")) {
        let p = e.unwrap_or_else(|e| panic!("{e}")).path();
        if let Some(name) = p.file_name() {
            std::fs::copy(&p, inbox.join(name)).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let out = bin()
        .args(["enqueue", "--db", db])
        .arg(&inbox)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&inbox).unwrap_or_else(|e| panic!("{e}"));
}

/// Every readable sample is one document, its source the path it was
/// enqueued from (see [`enqueue_samples`]).
async fn assert_each_sample_stored_once(store: &Store) {
    let docs = counts(store).await.unwrap_or_default();
    let hashed = records()
        .iter()
        .filter(|r| !r.source.sha256.is_empty())
        .count() as i64;
    assert_eq!(docs[0].1, hashed);
    let from_inbox: i64 =
        sqlx::query("SELECT COUNT(*) FROM document_sources WHERE source LIKE '%/inbox/%'")
            .fetch_one(store.pool())
            .await
            .and_then(|r| sqlx::Row::try_get(&r, 0))
            .unwrap_or_default();
    assert_eq!(from_inbox, hashed);
}

/// Two claimers at once never get the same job; together they get all.
async fn check_claims_disjoint(db: &str) {
    let store = open(db).await;
    // Sixty paths, thirty contents: each content is stored once.
    let docs: Vec<(String, Vec<u8>)> = (0..60)
        .map(|i| {
            (
                format!("/nowhere/doc{i:03}.txt"),
                format!("document {}", i % 30).into_bytes(),
            )
        })
        .collect();
    assert_eq!(queue::enqueue(&store, &docs).await.unwrap_or(0), 60);
    assert_eq!(queue::enqueue(&store, &docs).await.unwrap_or(99), 0);
    let blobs: i64 = sqlx::query("SELECT COUNT(*) FROM blobs")
        .fetch_one(store.pool())
        .await
        .and_then(|r| sqlx::Row::try_get(&r, 0))
        .unwrap_or_default();
    assert_eq!(blobs, 30);
    let work = |name: &'static str| {
        let db = db.to_string();
        async move {
            let store = open(&db).await;
            let mut mine = Vec::new();
            loop {
                let jobs = queue::claim(&store, name, 3, Duration::from_secs(60))
                    .await
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                if jobs.is_empty() {
                    break;
                }
                for j in &jobs {
                    assert_eq!(j.attempts, 1, "{j:?} claimed twice");
                    let held = queue::finish(&store, j, name, None, None).await;
                    assert_eq!(held.ok(), Some(true));
                }
                mine.extend(jobs.into_iter().map(|j| j.id));
            }
            store.close().await;
            mine
        }
    };
    let (a, b) = tokio::join!(tokio::spawn(work("a")), tokio::spawn(work("b")));
    let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    let mut all: Vec<i64> = a.iter().chain(&b).copied().collect();
    all.sort_unstable();
    let len = all.len();
    all.dedup();
    assert_eq!(len, all.len(), "a job was claimed by both workers");
    assert_eq!(all.len(), 60, "a {} + b {}", a.len(), b.len());
    eprintln!("{db}: worker a took {}, b took {}", a.len(), b.len());
    let states = queue::states(&store).await.unwrap_or_default();
    assert_eq!(states, vec![("done".to_string(), 60)]);
    // A path whose content changed is queued again; the others are not.
    let mut changed = docs.clone();
    changed[7].1 = b"document 7, corrected".to_vec();
    assert_eq!(queue::enqueue(&store, &changed).await.unwrap_or(99), 1);
    let states = queue::states(&store).await.unwrap_or_default();
    assert_eq!(
        states,
        vec![("done".to_string(), 59), ("queued".to_string(), 1)]
    );
    // A worker starting under the name of a stopped one puts its claims back.
    let held = queue::claim(&store, "same-name", 5, Duration::from_secs(600))
        .await
        .unwrap_or_default();
    assert_eq!(held.len(), 1);
    assert_eq!(queue::release_held(&store, "same-name").await.ok(), Some(1));
    let again = queue::claim(&store, "other", 5, Duration::from_secs(600))
        .await
        .unwrap_or_default();
    assert_eq!(
        again.iter().map(|j| j.path.as_str()).collect::<Vec<_>>(),
        ["/nowhere/doc007.txt"]
    );
    assert_eq!(again[0].attempts, 2, "the first claim stays counted");
    store.close().await;
}

/// A worker that dies holding jobs loses them when its lease expires; a
/// live worker (the real `extract --queue`) takes them over and stores them.
async fn check_lease_takeover(db: &str, dir: &Path) {
    let store = open(db).await;
    enqueue_samples(db, dir);
    let dead = queue::claim(&store, "dead", 3, Duration::from_millis(500))
        .await
        .unwrap_or_default();
    assert_eq!(dead.len(), 3);
    // Still held: nobody else gets them.
    let early = queue::claim(&store, "early", 100, Duration::from_secs(60))
        .await
        .unwrap_or_default();
    assert!(early.iter().all(|j| !dead.iter().any(|d| d.id == j.id)));
    for j in &early {
        assert_eq!(
            queue::finish(&store, j, "early", None, None).await.ok(),
            Some(true)
        );
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let out = bin()
        .args([
            "extract", "--db", db, "--queue", "--batch", "2", "--worker", "alive",
        ])
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = sqlx::query("SELECT path, state, worker, attempts FROM jobs ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    use sqlx::Row as _;
    for r in &rows {
        let path: String = r.try_get(0).unwrap_or_default();
        let state: String = r.try_get(1).unwrap_or_default();
        let worker: String = r.try_get(2).unwrap_or_default();
        let attempts: i64 = r.try_get(3).unwrap_or_default();
        if dead.iter().any(|d| d.path == path) {
            assert_eq!((worker.as_str(), attempts), ("alive", 2), "{path}");
            assert!(state == "done" || state == "failed", "{path}: {state}");
        } else {
            assert_eq!((worker.as_str(), attempts), ("early", 1), "{path}");
        }
    }
    // The dead worker, come back, cannot finish what it lost.
    assert_eq!(
        queue::finish(&store, &dead[0], "dead", None, None)
            .await
            .ok(),
        Some(false)
    );
    let docs = counts(&store).await.unwrap_or_default();
    assert_eq!(docs[0].1, 3, "the three taken-over documents are stored");
    store.close().await;
}

/// Two `extract --queue` processes started at once drain the queue with no
/// document processed twice.
async fn check_two_worker_processes(db: &str, dir: &Path) {
    let store = open(db).await;
    enqueue_samples(db, dir);
    let spawn = |name: &str| {
        bin()
            .args([
                "extract", "--db", db, "--queue", "--batch", "1", "--jobs", "1",
            ])
            .args(["--worker", name])
            .current_dir(dir)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let (w1, w2) = (spawn("w1"), spawn("w2"));
    for w in [w1, w2] {
        let out = w.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    use sqlx::Row as _;
    let rows = sqlx::query("SELECT worker, attempts, state FROM jobs")
        .fetch_all(store.pool())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rows {
        let worker: String = r.try_get(0).unwrap_or_default();
        let attempts: i64 = r.try_get(1).unwrap_or_default();
        let state: String = r.try_get(2).unwrap_or_default();
        assert_eq!(attempts, 1, "a job was processed twice");
        assert!(state == "done" || state == "failed");
        *by.entry(worker).or_default() += 1;
    }
    eprintln!("{db}: jobs per worker {by:?}");
    assert_eq!(rows.len(), records().len());
    assert_each_sample_stored_once(&store).await;
    store.close().await;
}

/// Waits for a child process, killing it and failing after `limit`.
fn wait_bounded(mut child: std::process::Child, limit: Duration) -> std::process::Output {
    let start = std::time::Instant::now();
    while child.try_wait().ok().flatten().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output();
            panic!("a worker ran over {limit:?}: {out:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

/// (worker, attempts, state) of every job, by path.
async fn job_rows(store: &Store) -> BTreeMap<String, (String, i64, String)> {
    use sqlx::Row as _;
    sqlx::query("SELECT path, worker, attempts, state FROM jobs")
        .fetch_all(store.pool())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|r| {
            (
                r.try_get(0).unwrap_or_default(),
                (
                    r.try_get::<Option<String>, _>(1)
                        .ok()
                        .flatten()
                        .unwrap_or_default(),
                    r.try_get(2).unwrap_or_default(),
                    r.try_get(3).unwrap_or_default(),
                ),
            )
        })
        .collect()
}

/// Real `extract --queue` processes: a worker that holds a job past its
/// lease keeps it while alive (its heartbeat renews the lease), is SIGKILLed
/// mid-batch, and one of two workers that drained the rest meanwhile takes
/// its job over once the lease expires. Every job ends done, each once but
/// the taken-over one, every document stored once.
async fn check_killed_worker(db: &str, dir: &Path) {
    let store = open(db).await;
    enqueue_samples(db, dir);
    let spawn = |name: &str, stall_ms: u64| {
        bin()
            .args([
                "extract", "--db", db, "--queue", "--batch", "1", "--jobs", "1",
            ])
            .args(["--lease", "2", "--worker", name])
            .env("GONGKAI_TEST_STALL_AFTER_CLAIM_MS", stall_ms.to_string())
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let mut victim = spawn("victim", 600_000);
    let start = std::time::Instant::now();
    let held = loop {
        let rows = job_rows(&store).await;
        if let Some((path, _)) = rows
            .iter()
            .find(|(_, (w, _, s))| w == "victim" && s == "claimed")
        {
            break path.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the victim claimed nothing: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let others = [spawn("b", 0), spawn("c", 0)];
    // Twice the lease: the victim's heartbeat keeps its job while it lives.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let rows = job_rows(&store).await;
    assert_eq!(
        rows.get(&held),
        Some(&("victim".to_string(), 1, "claimed".to_string())),
        "a live worker lost its job: {rows:?}"
    );
    // What is left of its lease when it dies, by the database's clock.
    let left_ms: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT lease_until - {} FROM jobs WHERE path = $1",
        store.backend().now_ms()
    )))
    .bind(held.clone())
    .fetch_one(store.pool())
    .await
    .and_then(|r| sqlx::Row::try_get(&r, 0))
    .unwrap_or_else(|e| panic!("{e}"));
    victim.kill().unwrap_or_else(|e| panic!("{e}"));
    let killed = std::time::Instant::now();
    let status = victim.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(!status.success());
    assert!((0..=2000).contains(&left_ms), "lease left {left_ms} ms");
    let taken = loop {
        let rows = job_rows(&store).await;
        if rows.get(&held).is_some_and(|(w, _, _)| w != "victim") {
            break killed.elapsed();
        }
        assert!(
            killed.elapsed() < Duration::from_secs(60),
            "never taken over: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Not before the lease ran out (less the time the kill took).
    assert!(
        taken.as_millis() as i64 >= left_ms - 100,
        "taken over {taken:?} after the kill, {left_ms} ms before its lease ran out"
    );
    for w in others {
        let out = wait_bounded(w, Duration::from_secs(180));
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rows = job_rows(&store).await;
    assert_eq!(rows.len(), records().len());
    for (path, (worker, attempts, state)) in &rows {
        assert!(state == "done" || state == "failed", "{path}: {state}");
        assert!(worker == "b" || worker == "c", "{path}: {worker}");
        let expected = if *path == held { 2 } else { 1 };
        assert_eq!(*attempts, expected, "{path}");
    }
    eprintln!(
        "{db}: {held} taken over by {} {taken:?} after the kill ({left_ms} ms of lease left)",
        rows[&held].0
    );
    assert_each_sample_stored_once(&store).await;
    store.close().await;
}

async fn check_stats(db: &str) {
    let store = open(db).await;
    ingest_all(&store, &patterns().fingerprint).await;
    let s = gongkai::store::stats::stats(&store, &patterns().families)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.totals["documents"], records().len() as i64);
    assert!(s.tables_expected > 0 && s.tables_found > 0);
    assert!(s.tables_found <= s.tables_expected);
    assert!(s
        .documents
        .iter()
        .any(|g| g.year == Some(2022) && g.region.as_deref() == Some("长治市")));
    store.close().await;
}

fn sqlite(dir: &tempfile::TempDir) -> String {
    dir.path().join("dataset.sqlite").display().to_string()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn sqlite_ingest_is_idempotent() {
    let d = tmp();
    rt().block_on(check_idempotent(&sqlite(&d)));
}

#[test]
fn sqlite_csv_has_every_golden_cell() {
    let d = tmp();
    rt().block_on(check_golden_csv(&sqlite(&d), d.path()));
}

#[test]
fn sqlite_parquet_reads_back() {
    let d = tmp();
    rt().block_on(check_parquet(&sqlite(&d), d.path()));
}

#[test]
fn sqlite_stats() {
    let d = tmp();
    rt().block_on(check_stats(&sqlite(&d)));
}

#[test]
fn sqlite_claims_are_disjoint() {
    let d = tmp();
    let db = sqlite(&d);
    rt_two_threads().block_on(check_claims_disjoint(&db));
}

#[test]
fn sqlite_dead_worker_lease_is_taken_over() {
    let d = tmp();
    rt().block_on(check_lease_takeover(&sqlite(&d), d.path()));
}

#[test]
fn sqlite_two_workers_split_the_queue() {
    let d = tmp();
    rt().block_on(check_two_worker_processes(&sqlite(&d), d.path()));
}

#[test]
fn sqlite_killed_worker_is_taken_over() {
    let d = tmp();
    rt().block_on(check_killed_worker(&sqlite(&d), d.path()));
}

/// The README's main job: extract the samples into the store, twice, then export.
#[test]
fn cli_extract_to_store_and_export() {
    let d = tmp();
    let db = sqlite(&d);
    for _ in 0..2 {
        let out = bin()
            .arg("extract")
            .arg(root().join("samples"))
            .args(["--db", &db])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "no JSON on stdout with --db");
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    let csv = d.path().join("dataset.csv");
    let out = bin()
        .args(["export", "--db", &db, "--format", "csv", "-o"])
        .arg(&csv)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Each disclosure once: the five renderings of the seed are one, the
    // two one-table fixtures (no year) their own.
    let lines = read_csv(&csv);
    let documents: std::collections::BTreeSet<&str> =
        lines.iter().map(|l| l["sha256"].as_str()).collect();
    assert_eq!(documents.len(), 3, "{documents:?}");
    let disclosures: std::collections::BTreeSet<&str> =
        lines.iter().map(|l| l["disclosure_id"].as_str()).collect();
    assert_eq!(disclosures.len(), 2, "{disclosures:?}");
    let out = bin()
        .args([
            "export",
            "--db",
            &db,
            "--format",
            "csv",
            "--versions",
            "all",
            "-o",
        ])
        .arg(&csv)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let lines = read_csv(&csv);
    assert!(lines.len() > 1000, "{} lines", lines.len());
    let out = bin()
        .args(["stats", "--db", &db])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("documents by year, kind, region"), "{text}");
    assert!(text.contains("2022  final_account  长治市"), "{text}");
    let out = bin()
        .args(["stats", "--json", "--db", &db])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["totals"]["documents"], records().len());
    let out = bin()
        .args(["export", "--db"])
        .arg(d.path().join("missing.sqlite"))
        .args(["--format", "csv"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
}

// PostgreSQL: the same checks, each in a database of its own.

#[test]
fn postgres_ingest_is_idempotent() {
    let Some(admin) = postgres_url() else { return };
    let db = PgDb::new(&admin, "idem");
    rt().block_on(check_idempotent(&db.url));
}

#[test]
fn postgres_csv_has_every_golden_cell() {
    let Some(admin) = postgres_url() else { return };
    let db = PgDb::new(&admin, "csv");
    let d = tmp();
    rt().block_on(check_golden_csv(&db.url, d.path()));
}

#[test]
fn postgres_parquet_reads_back() {
    let Some(admin) = postgres_url() else { return };
    let db = PgDb::new(&admin, "pq");
    let d = tmp();
    rt().block_on(check_parquet(&db.url, d.path()));
}

#[test]
fn postgres_stats() {
    let Some(admin) = postgres_url() else { return };
    let db = PgDb::new(&admin, "stats");
    rt().block_on(check_stats(&db.url));
}

#[test]
fn postgres_claims_are_disjoint() {
    let Some(admin) = postgres_url() else { return };
    let db = PgDb::new(&admin, "claims");
    rt_two_threads().block_on(check_claims_disjoint(&db.url));
}

#[test]
fn postgres_two_workers_split_the_queue() {
    let Some(admin) = postgres_url() else { return };
    let db = PgDb::new(&admin, "workers");
    let d = tmp();
    rt().block_on(check_two_worker_processes(&db.url, d.path()));
}

#[test]
fn postgres_dead_worker_lease_is_taken_over() {
    let Some(admin) = postgres_url() else { return };
    let db = PgDb::new(&admin, "lease");
    let d = tmp();
    rt().block_on(check_lease_takeover(&db.url, d.path()));
}

#[test]
fn postgres_killed_worker_is_taken_over() {
    let Some(admin) = postgres_url() else { return };
    let db = PgDb::new(&admin, "killed");
    let d = tmp();
    rt().block_on(check_killed_worker(&db.url, d.path()));
}

#[test]
fn postgres_workers_migrate_at_once() {
    let Some(admin) = postgres_url() else { return };
    let db = PgDb::new(&admin, "migrate");
    let url = db.url.clone();
    rt_two_threads().block_on(async move {
        let opens: Vec<_> = (0..4)
            .map(|_| {
                let u = url.clone();
                tokio::spawn(async move { Store::open(&u).await.map(|_| ()) })
            })
            .collect();
        for o in opens {
            let r = o.await.unwrap_or_else(|e| panic!("{e}"));
            assert!(r.is_ok(), "{r:?}");
        }
    });
}

/// Extraction claims (`store::claims`): one holder at a time, renewable,
/// released, lapsing after the lease, taken over from a gone process of
/// this host.
async fn check_extraction_claims(db: &str) {
    use gongkai::store::claims::{claim, release, release_all, renew};
    let store = Store::open(db).await.unwrap();
    let (w1, w2) = ("host-a:1", "host-b:2");
    let long = Duration::from_secs(600);
    assert!(claim(&store, "s1", "p", w1, long).await.unwrap());
    assert!(!claim(&store, "s1", "p", w2, long).await.unwrap());
    // Another pattern set is another extraction.
    assert!(claim(&store, "s1", "q", w2, long).await.unwrap());
    assert!(claim(&store, "s1", "p", w1, long).await.unwrap());
    assert_eq!(renew(&store, w1, long).await.unwrap(), 1);
    release(&store, "s1", "p", w1).await.unwrap();
    assert!(claim(&store, "s1", "p", w2, long).await.unwrap());
    // A lapsed lease is taken over.
    assert!(claim(&store, "s2", "p", w1, Duration::from_millis(1))
        .await
        .unwrap());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(claim(&store, "s2", "p", w2, long).await.unwrap());
    // A process of this host that is gone holds nothing.
    let me = gongkai::store::queue::default_worker();
    let (host, _) = me.rsplit_once(':').unwrap();
    let dead = format!("{host}:4294967295");
    assert!(claim(&store, "s3", "p", &dead, long).await.unwrap());
    assert!(claim(&store, "s3", "p", &me, long).await.unwrap());
    assert!(!claim(&store, "s3", "p", w1, long).await.unwrap());
    assert_eq!(release_all(&store, w2).await.unwrap(), 3);
    store.close().await;
}

#[test]
fn sqlite_extraction_claims() {
    let d = tmp();
    let db = d.path().join("claims.sqlite").display().to_string();
    rt().block_on(check_extraction_claims(&db));
}

#[test]
fn postgres_extraction_claims() {
    let Some(admin) = postgres_url() else { return };
    let db = PgDb::new(&admin, "xclaims");
    rt().block_on(check_extraction_claims(&db.url));
}
