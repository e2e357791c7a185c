//! Migrations: numbered SQL files kept in the repository
//! (`migrations/sqlite/`, `migrations/postgres/`, the same tables and
//! columns), compiled into the binary and applied in order when a store is
//! opened. `schema_migrations` records what has been applied. On PostgreSQL
//! an advisory lock makes workers that start at once migrate one at a time.

use super::{Backend, Result, Store, StoreError};

/// One migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Applied in increasing order.
    pub version: i64,
    /// What it does.
    pub name: &'static str,
    /// The SQL (several statements).
    pub sql: &'static str,
}

/// SQLite migrations.
pub const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "dataset",
        sql: include_str!("../../migrations/sqlite/0001_dataset.sql"),
    },
    Migration {
        version: 2,
        name: "blobs",
        sql: include_str!("../../migrations/sqlite/0002_blobs.sql"),
    },
    Migration {
        version: 3,
        name: "crawl_frontier",
        sql: include_str!("../../migrations/sqlite/0003_crawl_frontier.sql"),
    },
    Migration {
        version: 4,
        name: "crawl_state",
        sql: include_str!("../../migrations/sqlite/0004_crawl_state.sql"),
    },
    Migration {
        version: 5,
        name: "read",
        sql: include_str!("../../migrations/sqlite/0005_read.sql"),
    },
    Migration {
        version: 6,
        name: "extraction_claims",
        sql: include_str!("../../migrations/sqlite/0006_extraction_claims.sql"),
    },
    Migration {
        version: 7,
        name: "flag_findings",
        sql: include_str!("../../migrations/sqlite/0007_flag_findings.sql"),
    },
    Migration {
        version: 8,
        name: "disclosures",
        sql: include_str!("../../migrations/sqlite/0008_disclosures.sql"),
    },
    Migration {
        version: 9,
        name: "event_details",
        sql: include_str!("../../migrations/sqlite/0009_event_details.sql"),
    },
];

/// PostgreSQL migrations.
pub const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "dataset",
        sql: include_str!("../../migrations/postgres/0001_dataset.sql"),
    },
    Migration {
        version: 2,
        name: "blobs",
        sql: include_str!("../../migrations/postgres/0002_blobs.sql"),
    },
    Migration {
        version: 3,
        name: "crawl_frontier",
        sql: include_str!("../../migrations/postgres/0003_crawl_frontier.sql"),
    },
    Migration {
        version: 4,
        name: "crawl_state",
        sql: include_str!("../../migrations/postgres/0004_crawl_state.sql"),
    },
    Migration {
        version: 5,
        name: "read",
        sql: include_str!("../../migrations/postgres/0005_read.sql"),
    },
    Migration {
        version: 6,
        name: "extraction_claims",
        sql: include_str!("../../migrations/postgres/0006_extraction_claims.sql"),
    },
    Migration {
        version: 7,
        name: "flag_findings",
        sql: include_str!("../../migrations/postgres/0007_flag_findings.sql"),
    },
    Migration {
        version: 8,
        name: "disclosures",
        sql: include_str!("../../migrations/postgres/0008_disclosures.sql"),
    },
    Migration {
        version: 9,
        name: "event_details",
        sql: include_str!("../../migrations/postgres/0009_event_details.sql"),
    },
];

/// The migrations of a backend.
pub fn migrations(backend: Backend) -> &'static [Migration] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

/// The advisory lock key of migrations ("gongkai" in ASCII).
const LOCK_KEY: i64 = 0x0067_6f6e_676b_6169;

/// Applies the migrations the store has not seen yet.
pub async fn migrate(store: &Store) -> Result<()> {
    let backend = store.backend();
    if backend == Backend::Sqlite {
        // Processes opening a new file at once: switching it to WAL and the
        // first migration need the file to themselves, and SQLite answers
        // "busy" at once rather than waiting. Try again for a while.
        let mut tries = 0;
        loop {
            match migrate_once(store).await {
                Err(StoreError::Db(e)) if is_busy(&e) && tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                other => return other,
            }
        }
    }
    migrate_once(store).await
}

/// SQLite's SQLITE_BUSY or SQLITE_LOCKED (extended codes included).
fn is_busy(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<u32>().ok())
        .is_some_and(|n| matches!(n & 0xff, 5 | 6))
}

async fn migrate_once(store: &Store) -> Result<()> {
    let backend = store.backend();
    let mut conn = store.pool().acquire().await?;
    match backend {
        Backend::Sqlite => {
            // WAL is a property of the file; set once, kept.
            sqlx::query("PRAGMA journal_mode=WAL")
                .fetch_optional(&mut *conn)
                .await?;
        }
        Backend::Postgres => {
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(LOCK_KEY)
                .execute(&mut *conn)
                .await?;
        }
    }
    let result = apply(&mut conn, backend).await;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(LOCK_KEY)
            .execute(&mut *conn)
            .await?;
    }
    result
}

async fn apply(conn: &mut sqlx::AnyConnection, backend: Backend) -> Result<()> {
    use sqlx::{Connection, Row};
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )
    .execute(&mut *conn)
    .await?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<std::result::Result<_, _>>()?;
    let known: Vec<i64> = migrations(backend).iter().map(|m| m.version).collect();
    if let Some(v) = applied.iter().find(|v| !known.contains(v)) {
        return Err(StoreError::Other(format!(
            "the database has schema version {v}, which this gongkai ({}) does not know: use a newer gongkai",
            super::TOOL_VERSION
        )));
    }
    for m in migrations(backend) {
        if applied.contains(&m.version) {
            continue;
        }
        let mut tx = conn.begin_with(backend.begin()).await?;
        // Another process may have applied it since the list was read.
        let done: i64 = sqlx::query("SELECT COUNT(*) FROM schema_migrations WHERE version = $1")
            .bind(m.version)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if done > 0 {
            tx.rollback().await?;
            continue;
        }
        sqlx::raw_sql(m.sql).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(super::now_rfc3339())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!("store: applied migration {} ({})", m.version, m.name);
    }
    Ok(())
}
