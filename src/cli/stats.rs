//! `gongkai stats --db PATH`: what a dataset holds — documents by read
//! verdict (and the partial ones), by year, kind and region, required tables
//! found against expected, flags by check.

use std::process::ExitCode;

use anyhow::Result;

use gongkai::store::stats::{stats, Stats};

/// Arguments of `gongkai stats`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset store: an SQLite file or a postgres:// URL.
    #[arg(long, value_name = "PATH|URL")]
    db: String,
    /// One JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// The pattern set whose catalog decides which tables are required.
    #[command(flatten)]
    patterns: super::options::PatternArgs,
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let patterns = args.patterns.load()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let s = runtime.block_on(async {
        let store = super::export::open_existing(&args.db).await?;
        let s = stats(&store, &patterns.families).await?;
        store.close().await;
        anyhow::Ok(s)
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        print!("{}", text(&s));
    }
    Ok(ExitCode::SUCCESS)
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn percent(a: i64, b: i64) -> String {
    if b == 0 {
        "-".into()
    } else {
        format!("{:.1}%", a as f64 * 100.0 / b as f64)
    }
}

/// The report as text.
fn text(s: &Stats) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let total = |k: &str| s.totals.get(k).copied().unwrap_or(0);
    let _ = writeln!(
        o,
        "{} documents, {} tables, {} rows, {} amounts, {} narrative facts, {} flags",
        total("documents"),
        total("tables"),
        total("rows"),
        total("amounts"),
        total("narrative_facts"),
        total("flags")
    );
    let _ = writeln!(
        o,
        "\nread: table amounts captured {} of {} ({})",
        s.amounts_captured,
        s.amounts_printed,
        percent(s.amounts_captured, s.amounts_printed)
    );
    for (verdict, n) in &s.read {
        let _ = writeln!(o, "  {n:>8}  {verdict}");
    }
    if !s.partial.is_empty() {
        let _ = writeln!(o, "\npartial documents (table amounts captured of printed)");
        for d in &s.partial {
            let _ = writeln!(
                o,
                "  {:>6} of {:<6} {}  {}  {}",
                d.amounts_captured,
                d.amounts_printed,
                opt(&d.year),
                opt(&d.unit),
                d.source
            );
        }
    }
    if !s.errors.is_empty() {
        let _ = writeln!(o, "\nunreadable documents");
        for (k, n) in &s.errors {
            let _ = writeln!(o, "  {n:>8}  {k}");
        }
    }
    let _ = writeln!(o, "\ndocuments by year, kind, region");
    for g in &s.documents {
        let _ = writeln!(
            o,
            "  {:>8}  {}  {}  {}",
            g.documents,
            opt(&g.year),
            opt(&g.kind),
            opt(&g.region)
        );
    }
    let _ = writeln!(o, "\ndocuments (disclosures) by province");
    for g in &s.provinces {
        let _ = writeln!(
            o,
            "  {:>8} ({:>6})  {}",
            g.documents,
            g.disclosures,
            g.province.as_deref().unwrap_or("- (no place)")
        );
    }
    let _ = writeln!(
        o,
        "\nrequired tables: {} found of {} expected ({})",
        s.tables_found,
        s.tables_expected,
        percent(s.tables_found, s.tables_expected)
    );
    for t in &s.tables {
        let _ = writeln!(
            o,
            "  {:>8} of {:<8} {:<7} {} {}{}",
            t.found,
            t.documents,
            percent(t.found, t.documents),
            t.document_kind,
            t.table_kind,
            if t.required { "" } else { " (optional)" }
        );
    }
    let _ = writeln!(o, "\nflags by check (flags, documents)");
    for f in &s.flags {
        let _ = writeln!(
            o,
            "  {:>8} {:>8}  {:<8} {}",
            f.flags, f.documents, f.severity, f.check
        );
    }
    if !s.jobs.is_empty() {
        let _ = writeln!(o, "\nqueue");
        for (state, n) in &s.jobs {
            let _ = writeln!(o, "  {n:>8}  {state}");
        }
    }
    if let Some(c) = &s.crawl {
        let _ = writeln!(
            o,
            "\nshared crawl run {} ({}), {} document URLs found in all runs",
            c.run, c.state, c.documents
        );
        for (state, n) in &c.frontier {
            let _ = writeln!(o, "  {n:>8}  {state}");
        }
    }
    o
}
