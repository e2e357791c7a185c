//! The dataset store: extracted records in a relational database, one schema
//! for SQLite (embedded, the default: a file path) and PostgreSQL (a
//! `postgres://` URL, shared by workers on many machines).
//!
//! One code path serves both through sqlx's `Any` driver; the SQL is written
//! once with `$N` placeholders (SQLite accepts them too). The two dialect
//! differences are in [`Backend`]: how an exact decimal parameter is bound
//! (`NUMERIC` columns in PostgreSQL, decimal `TEXT` in SQLite) and the
//! `FOR UPDATE SKIP LOCKED` of queue claims.
//!
//! - [`schema`]: the migrations (`migrations/sqlite/`, `migrations/postgres/`)
//! - [`ingest`]: a record into documents, tables, rows, amounts, narrative
//!   facts and flags, idempotent by document hash
//! - [`queue`]: the shared work queue (`jobs`) of `enqueue` and `extract --queue`
//! - [`claims`]: which of several concurrent `extract --db` runs extracts a document
//! - [`stats`]: the numbers `gongkai stats` prints

pub mod claims;
pub mod ingest;
pub mod queue;
pub mod schema;
pub mod stats;

use std::path::Path;

use sqlx::{any::AnyPoolOptions, AnyPool};

/// The version of gongkai recorded with each document.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// Anything else (a bad URL, unreadable stored data).
    #[error("{0}")]
    Other(String),
}

/// Result of store operations.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Which database a store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file (WAL).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The placeholder `$n` for an exact decimal bound as text.
    pub(crate) fn num(self, n: usize) -> String {
        match self {
            Backend::Sqlite => format!("${n}"),
            Backend::Postgres => format!("CAST(${n} AS NUMERIC)"),
        }
    }

    /// The statement that opens a write transaction (SQLite takes the write
    /// lock at once, so two writers wait for each other instead of failing).
    pub(crate) fn begin(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }

    /// The database's clock in Unix milliseconds, as an SQL expression: leases
    /// are judged by it, never by the workers' clocks.
    pub fn now_ms(self) -> &'static str {
        match self {
            Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
            Backend::Postgres => "CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT)",
        }
    }

    /// Row locking for queue claims (SQLite has a single writer anyway).
    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// An open store, migrated to the current schema.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// The sqlx URL and backend for a `--db` argument: `postgres://…` /
/// `postgresql://…`, `sqlite:…`, or else a file path (created when missing).
pub fn url_for(db: &str) -> (String, Backend) {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        return (db.to_string(), Backend::Postgres);
    }
    if db.starts_with("sqlite:") {
        return (db.to_string(), Backend::Sqlite);
    }
    // The path is percent-decoded by sqlx: escape what would be read as URL syntax.
    let mut path = String::with_capacity(db.len());
    for c in db.chars() {
        match c {
            '%' => path.push_str("%25"),
            '?' => path.push_str("%3F"),
            '#' => path.push_str("%23"),
            c => path.push(c),
        }
    }
    (format!("sqlite://{path}?mode=rwc"), Backend::Sqlite)
}

/// The default store of a crawl output directory.
pub fn default_for_dir(dir: &Path) -> String {
    dir.join("dataset.sqlite").to_string_lossy().into_owned()
}

impl Store {
    /// Opens (creating an SQLite file when missing) and migrates.
    pub async fn open(db: &str) -> Result<Store> {
        let (url, backend) = url_for(db);
        let store = Self::connect(db, &url, backend).await?;
        schema::migrate(&store).await?;
        Ok(store)
    }

    /// Opens a store that must already exist, for commands that only read
    /// (`export`, `stats`, `documents`, `report`): an SQLite file is never
    /// created, and a database that is not a gongkai store (no
    /// `schema_migrations` with the dataset tables) is refused untouched. A
    /// store of an older schema is migrated, as [`Store::open`] does.
    pub async fn open_existing(db: &str) -> Result<Store> {
        let (mut url, backend) = url_for(db);
        if backend == Backend::Sqlite {
            if !db.starts_with("sqlite:") && !Path::new(db).is_file() {
                return Err(StoreError::Other(format!("{}: no such store", shown(db))));
            }
            url = url.replace("?mode=rwc", "?mode=rw");
        }
        let store = Self::connect(db, &url, backend).await?;
        let tables: Vec<String> = match backend {
            Backend::Sqlite => {
                sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .fetch_all(&store.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::query(
                    "SELECT table_name::text FROM information_schema.tables
                     WHERE table_schema = current_schema()",
                )
                .fetch_all(&store.pool)
                .await?
            }
        }
        .iter()
        .filter_map(|r| sqlx::Row::try_get::<String, _>(r, 0).ok())
        .collect();
        let is_store = ["schema_migrations", "documents", "amounts"]
            .iter()
            .all(|t| tables.iter().any(|have| have == t));
        if !is_store {
            store.close().await;
            return Err(StoreError::Other(format!(
                "{} is not a gongkai store ({}); left untouched",
                shown(db),
                if tables.is_empty() {
                    "an empty database".to_string()
                } else {
                    format!("it has {} other tables", tables.len())
                }
            )));
        }
        schema::migrate(&store).await?;
        Ok(store)
    }

    /// The pool, after one direct connection has shown the database answers:
    /// a refused or unreachable server fails at once with its cause instead
    /// of after the pool's wait.
    async fn connect(db: &str, url: &str, backend: Backend) -> Result<Store> {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let opening = |e: String| StoreError::Other(format!("opening {}: {e}", shown(db)));
        match tokio::time::timeout(
            std::time::Duration::from_secs(10),
            sqlx::AnyConnection::connect(url),
        )
        .await
        {
            Err(_) => return Err(opening("no answer within 10 s".into())),
            Ok(Err(e)) => return Err(opening(e.to_string())),
            Ok(Ok(c)) => {
                let _ = c.close().await;
            }
        }
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(std::time::Duration::from_secs(60))
            .connect(url)
            .await
            .map_err(|e| opening(e.to_string()))?;
        Ok(Store { pool, backend })
    }

    /// The connection pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// SQLite or PostgreSQL.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Opens a write transaction (on SQLite it takes the write lock at once,
    /// so concurrent writers wait for each other instead of failing).
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(self.pool.begin_with(self.backend.begin()).await?)
    }

    /// Closes every connection (SQLite checkpoints its WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Renews leases every third of `lease` by calling `renew`, on `runtime`,
/// until the returned guard is dropped: a worker holds its claims (queue jobs,
/// crawl URLs) for as long as it lives, however long one piece of work takes.
pub fn heartbeat<F, Fut>(
    runtime: &tokio::runtime::Handle,
    lease: std::time::Duration,
    worker: String,
    renew: F,
) -> Heartbeat
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<u64>> + Send,
{
    Heartbeat(runtime.spawn(async move {
        let mut tick = tokio::time::interval(lease / 3);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = renew().await {
                tracing::warn!("{worker}: renewing leases: {e}");
            }
        }
    }))
}

/// Stops a [`heartbeat`] when dropped.
#[derive(Debug)]
pub struct Heartbeat(tokio::task::JoinHandle<()>);

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A `--db` value fit for messages: a URL's password is hidden.
pub fn shown(db: &str) -> String {
    match url::Url::parse(db) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => db.to_string(),
    }
}

/// Rows of `table` (one with a `state` column: `jobs`, `frontier`) by state.
pub(crate) async fn count_by_state(store: &Store, table: &str) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT state, COUNT(*) FROM {table} GROUP BY state ORDER BY state"
    )))
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Ok((sqlx::Row::try_get(r, 0)?, sqlx::Row::try_get(r, 1)?)))
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?)
}

/// A duration in milliseconds, for binding against the database's clock
/// ([`Backend::now_ms`]); absurdly long ones are capped far from overflow.
pub(crate) fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

/// Now, RFC 3339 in UTC.
pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `($1, $2, …), (…)` for `rows` rows of `cols` columns starting at `$start`;
/// columns whose flag in `numeric` is set are bound as exact decimals.
pub(crate) fn values_clause(
    backend: Backend,
    rows: usize,
    numeric: &[bool],
    start: usize,
) -> String {
    let mut s = String::new();
    let mut n = start;
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for (i, num) in numeric.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            if *num {
                s.push_str(&backend.num(n));
            } else {
                s.push('$');
                s.push_str(&n.to_string());
            }
            n += 1;
        }
        s.push(')');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_arguments() {
        assert_eq!(
            url_for("out/dataset.sqlite"),
            (
                "sqlite://out/dataset.sqlite?mode=rwc".into(),
                Backend::Sqlite
            )
        );
        assert_eq!(
            url_for("/tmp/a?b#c%d.sqlite").0,
            "sqlite:///tmp/a%3Fb%23c%25d.sqlite?mode=rwc"
        );
        assert_eq!(url_for("postgres://u@127.0.0.1/db").1, Backend::Postgres);
        assert_eq!(
            shown("postgres://u:secret@127.0.0.1/db"),
            "postgres://u:***@127.0.0.1/db"
        );
        assert_eq!(
            values_clause(Backend::Postgres, 2, &[false, true], 3),
            "($3, CAST($4 AS NUMERIC)), ($5, CAST($6 AS NUMERIC))"
        );
        assert_eq!(values_clause(Backend::Sqlite, 1, &[true], 1), "($1)");
    }
}
