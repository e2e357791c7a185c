//! A PostgreSQL database of its own for a test, on the server named by
//! `GONGKAI_TEST_POSTGRES_URL` (set up by `.ci/run`); tests skip without it.

/// The admin URL, or `None` (with a notice) when the tests are to skip.
pub fn postgres_url() -> Option<String> {
    match std::env::var("GONGKAI_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            eprintln!("skipping: GONGKAI_TEST_POSTGRES_URL is not set (see .ci/run)");
            None
        }
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A fresh database on the test server, dropped when the guard goes.
pub struct PgDb {
    admin: String,
    name: String,
    /// Its URL.
    pub url: String,
}

impl PgDb {
    /// Creates `gongkai_<test>_<pid>_<n>`.
    pub fn new(admin: &str, test: &str) -> PgDb {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!(
            "gongkai_{test}_{}_{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut url = url::Url::parse(admin).unwrap_or_else(|e| panic!("{e}"));
        url.set_path(&format!("/{name}"));
        let sql = format!("CREATE DATABASE {name}");
        // On a thread of its own: the caller may be inside a runtime.
        let admin_url = admin.to_string();
        std::thread::spawn(move || {
            rt().block_on(async {
                use sqlx::Connection;
                sqlx::any::install_default_drivers();
                let mut c = sqlx::AnyConnection::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("{admin_url}: {e}"));
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(&mut c)
                    .await
                    .unwrap_or_else(|e| panic!("CREATE DATABASE (the role needs CREATEDB): {e}"));
                let _ = c.close().await;
            })
        })
        .join()
        .unwrap_or_else(|_| panic!("creating the test database failed"));
        PgDb {
            admin: admin.to_string(),
            name,
            url: url.to_string(),
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let admin = self.admin.clone();
        let _ = std::thread::spawn(move || {
            rt().block_on(async {
                use sqlx::Connection;
                if let Ok(mut c) = sqlx::AnyConnection::connect(&admin).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut c)
                        .await;
                    let _ = c.close().await;
                }
            })
        })
        .join();
    }
}
