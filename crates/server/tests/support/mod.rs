//! Real databases for tests: a fresh SQLite file, or a fresh database on the local PostgreSQL.

#![allow(dead_code, reason = "each test binary uses a different part")]

use keyhaven_server::store::Store;

pub mod signed;

/// Where the PostgreSQL server for tests is; `.ci/run` starts it when it is down.
pub fn postgres_base() -> String {
    std::env::var("KEYHAVEN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A store on a new SQLite file that lives as long as the returned guard.
pub async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("keyhaven.db").display()
    );
    (Store::connect(&url).await.unwrap(), dir)
}

/// A new, empty PostgreSQL database (dropped by [`PgDatabase::drop_now`]); returns its URL.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

impl PgDatabase {
    pub async fn create() -> Self {
        use sqlx::Executor;
        sqlx::any::install_default_drivers();
        let name = format!(
            "keyhaven_test_{}",
            uuid::Uuid::from_bytes(rand_bytes()).simple()
        );
        let admin = sqlx::AnyPool::connect(&format!("{}/postgres", postgres_base()))
            .await
            .expect("PostgreSQL must run on 127.0.0.1:5432 (see README: Run the tests)");
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap();
        admin.close().await;
        Self {
            url: format!("{}/{name}", postgres_base()),
            name,
        }
    }

    pub async fn drop_now(self) {
        use sqlx::Executor;
        let admin = sqlx::AnyPool::connect(&format!("{}/postgres", postgres_base()))
            .await
            .unwrap();
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .await
            .unwrap();
        admin.close().await;
    }
}

fn rand_bytes() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; 16];
    for chunk in out.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos(),
        );
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    out
}
