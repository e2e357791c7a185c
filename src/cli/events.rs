//! `gongkai events --out DIR [--since TIME] [--run N] [--changes-only]`: the
//! events a crawl recorded, read back from its state (JSON Lines, as `crawl`
//! printed them), so that a cron job that lost its stdout (`crawl | head`,
//! a full disk) reads what happened since its last run.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use sqlx::Row as _;

/// Arguments of `gongkai events`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The crawl's output directory (its state is DIR/state.sqlite).
    #[arg(
        short,
        long,
        value_name = "DIR",
        required_unless_present = "db",
        conflicts_with = "db"
    )]
    out: Option<PathBuf>,
    /// A shared crawl's database instead (an SQLite file or a postgres:// URL).
    #[arg(long, value_name = "PATH|URL")]
    db: Option<String>,
    /// Only events at or after this time: a date (2026-12-08) or an RFC 3339
    /// time in UTC (2026-12-08T06:00:00Z).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only events of this crawl run.
    #[arg(long, value_name = "N")]
    run: Option<i64>,
    /// Only new, changed and failed documents.
    #[arg(long)]
    changes_only: bool,
}

/// `since` as the store writes times (RFC 3339, UTC), for comparing as text.
fn since_text(s: &str) -> Result<String> {
    let s = s.trim();
    let date = s.get(..10).unwrap_or("");
    let ok_date = date.len() == 10
        && date.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !ok_date {
        bail!("--since {s:?}: give a date (2026-12-08) or an RFC 3339 time in UTC");
    }
    if s.len() == 10 {
        return Ok(format!("{s}T00:00:00"));
    }
    if !s.ends_with('Z') && !s.ends_with("+00:00") {
        bail!("--since {s:?}: give the time in UTC (ending in Z)");
    }
    Ok(s.trim_end_matches('Z')
        .trim_end_matches("+00:00")
        .to_string())
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let since = args.since.as_deref().map(since_text).transpose()?;
    let db = match (&args.out, &args.db) {
        (Some(dir), _) => dir
            .join(gongkai::crawl::state::STATE_FILE)
            .to_string_lossy()
            .into_owned(),
        (None, Some(db)) => db.clone(),
        (None, None) => bail!("give --out DIR or --db"),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = super::export::open_existing(&db).await?;
        let mut sql = String::from(
            "SELECT event, url, sha256, path, reason, anchor, known_url, at, run, worker
             FROM crawl_events WHERE 1 = 1",
        );
        let mut n = 0;
        if since.is_some() {
            n += 1;
            sql.push_str(&format!(" AND at >= ${n}"));
        }
        if args.run.is_some() {
            n += 1;
            sql.push_str(&format!(" AND run = ${n}"));
        }
        if args.changes_only {
            sql.push_str(" AND event IN ('new', 'changed', 'failed')");
        }
        sql.push_str(" ORDER BY id");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(s) = &since {
            q = q.bind(s.clone());
        }
        if let Some(r) = args.run {
            q = q.bind(r);
        }
        let rows = q.fetch_all(store.pool()).await?;
        store.close().await;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for r in rows {
            let mut o = serde_json::Map::new();
            for (i, key) in [
                "event",
                "url",
                "sha256",
                "path",
                "reason",
                "anchor",
                "known_url",
                "at",
            ]
            .iter()
            .enumerate()
            {
                if let Some(v) = r.try_get::<Option<String>, _>(i)? {
                    o.insert((*key).to_string(), serde_json::Value::from(v));
                }
            }
            o.insert(
                "run".into(),
                serde_json::Value::from(r.try_get::<i64, _>(8)?),
            );
            if let Some(w) = r.try_get::<Option<String>, _>(9)? {
                o.insert("worker".into(), serde_json::Value::from(w));
            }
            writeln!(out, "{}", serde_json::Value::Object(o))?;
        }
        out.flush()?;
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_dates_and_utc_times() {
        assert_eq!(
            since_text("2026-12-08").ok().as_deref(),
            Some("2026-12-08T00:00:00")
        );
        assert_eq!(
            since_text("2026-12-08T06:00:00Z").ok().as_deref(),
            Some("2026-12-08T06:00:00")
        );
        assert!(since_text("yesterday").is_err());
        assert!(since_text("2026-12-08T06:00:00+08:00").is_err());
    }
}
