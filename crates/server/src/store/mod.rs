//! Persistence: one `Store` over SQLite (the embedded default) or PostgreSQL.
//!
//! Queries are written once, in SQL both databases accept (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT`), and run through sqlx's `Any` driver; only the migrations are per backend
//! (`migrations/sqlite`, `migrations/postgres`), because column types differ. The same store
//! test story runs against both (`tests/store.rs`). Everything that several server processes
//! must agree on (sessions, codes, single use, rate limits) lives here, in the database, and
//! every "use once" is a single atomic statement (`DELETE … RETURNING` or a guarded `UPDATE`).

mod audit;
mod devices;
mod members;
mod outbox;
mod workspaces;

pub use audit::{
    AuditEvent, EventKind, SERVER_ACTOR, account_actor, account_chain, event_hash, workspace_chain,
};
pub use devices::{
    DeviceFilter, DeviceKeyListed, DeviceSettingsRow, MAX_LOOKUP_TAGS, NewDeviceKeyRow,
    RevealPurpose, TagKind, TagsRow, TokenRow,
};
pub use members::{Append, ChangeOutcome, INVITATION_SECS, InvitationRow, MemberRow};
pub use outbox::QueuedMail;
pub use reminders::DueReminder;
pub use workspaces::{ItemRow, MembershipRow, NewWorkspace, PutOutcome, RecoveryRow, ShareRow};
mod bounds;
mod password;
mod throttle;
pub use bounds::{Lifetimes, Swept};
pub use throttle::Backoff;
mod reminders;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

pub use password::{NewCredentials, PasswordReset};

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One file under the data directory.
    Sqlite,
    /// A PostgreSQL server; any number of Keyhaven nodes may share it.
    Postgres,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names no supported backend.
    #[error("unsupported database URL (use sqlite://PATH or postgres://…)")]
    UnsupportedUrl,
    /// A unique constraint refused the write (e.g. the email is taken).
    #[error("already exists")]
    Conflict,
    /// Another transaction appended to the same audit chain first (twice, counting the
    /// retry); nothing of the operation was stored.
    #[error("another event took this audit chain's next position; nothing was stored")]
    ChainConflict,
    /// Migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Anything else the database reported. Logged, never shown to clients.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Database(err),
        }
    }
}

/// `SELECT <every account column> FROM accounts <condition>`, as a static string (sqlx only
/// runs static SQL, so nothing user-supplied can reach the query text).
macro_rules! select_account {
    ($condition:literal) => {
        concat!(
            "SELECT id, email, password_file, ksf_memory_kib, ksf_iterations, ksf_parallelism, ",
            "public_keys, wrapped_keys, created_at FROM accounts ",
            $condition
        )
    };
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The database behind the server.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// What [`Store::inspect_sqlite`] found in a database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteSummary {
    /// `PRAGMA integrity_check` said `ok`.
    pub intact: bool,
    /// Migrations applied.
    pub migrations: i64,
    /// Accounts.
    pub accounts: i64,
    /// Workspaces.
    pub workspaces: i64,
    /// Items (secrets).
    pub items: i64,
    /// Device key records (current and history).
    pub device_keys: i64,
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// UUID.
    pub id: String,
    /// Normalized (trimmed, lower-case) email.
    pub email: String,
    /// OPAQUE password file.
    pub password_file: Vec<u8>,
    /// Argon2id memory cost, KiB.
    pub ksf_memory_kib: i64,
    /// Argon2id passes.
    pub ksf_iterations: i64,
    /// Argon2id lanes.
    pub ksf_parallelism: i64,
    /// X25519 || Ed25519 public keys (64 bytes).
    pub public_keys: Vec<u8>,
    /// Private keys wrapped under the OPAQUE export key (opaque to the server).
    pub wrapped_keys: Vec<u8>,
    /// Unix seconds.
    pub created_at: i64,
}

/// The outcome of checking an emailed code. Clients get one answer for both refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right code, within its lifetime; the code is consumed.
    Accepted,
    /// A try was spent and the code did not match (or a concurrent submission consumed it).
    Rejected,
    /// No live code with tries left (expired, used, voided after its tries, or none): nothing
    /// was compared.
    NoTriesLeft,
}

/// The emailed-code tables, each `(email, code_hash, expires_at, attempts)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeTable {
    Signup,
    Reset,
}

/// A session's last activity is written at most this often (seconds).
pub const SESSION_TOUCH_INTERVAL_SECS: i64 = 60;

impl Store {
    /// Begins a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so a concurrent writer waits out the busy timeout instead of failing with
    /// "database is locked" when this transaction, having read first, tries to write after
    /// another one committed (a deferred transaction cannot wait then: its snapshot is stale).
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Connects, applies this backend's migrations, and returns the store.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let options = AnyPoolOptions::new().max_connections(match backend {
            // SQLite allows one writer; a small pool avoids piling up on its lock.
            Backend::Sqlite => 4,
            Backend::Postgres => 16,
        });
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL lets readers run during a write; the busy timeout makes concurrent
                    // writers wait for the lock instead of failing at once.
                    sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 10000")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(&mut *conn)
                        .await?;
                    // 16 MiB of page cache per connection (the default is 2 MiB): bulk
                    // escrow imports insert into four blind-index B-trees at random places.
                    // With 4 connections that is at most 64 MiB; at 64 MiB each, a server
                    // that had listed 100,000 secrets held 247 MiB (issue 10's figures).
                    sqlx::query("PRAGMA cache_size = -16384")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.connect(url).await?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await?;
        Ok(Self { pool, backend })
    }

    /// The pool, for the store's other modules (one module per area).
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Whether every migration this build knows has been applied (and none it does not know):
    /// what `/readyz` reports beside the database answering.
    pub async fn migrations_current(&self) -> Result<bool, StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let rows = sqlx::query("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_all(&self.pool)
            .await?;
        let mut applied = rows
            .iter()
            .map(|row| row.try_get::<i64, _>(0))
            .collect::<Result<Vec<_>, _>>()?;
        applied.sort_unstable();
        let mut known: Vec<i64> = migrator.iter().map(|m| m.version).collect();
        known.sort_unstable();
        Ok(applied == known)
    }

    /// Writes a consistent copy of the SQLite database at `url` into `out` (which must not
    /// exist) with `VACUUM INTO`, while servers keep using it: the copy is one read
    /// transaction's snapshot, compacted. Opens the file read-only, applies no migration.
    pub async fn backup_sqlite(url: &str, out: &std::path::Path) -> Result<(), StoreError> {
        use sqlx::ConnectOptions as _;
        use std::str::FromStr as _;
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
            .read_only(true)
            .create_if_missing(false)
            .busy_timeout(std::time::Duration::from_secs(30));
        let mut conn = options.connect().await?;
        let out = out.to_str().ok_or(StoreError::UnsupportedUrl)?;
        sqlx::query("VACUUM INTO ?1")
            .bind(out)
            .execute(&mut conn)
            .await?;
        sqlx::Connection::close(conn).await?;
        Ok(())
    }

    /// Checks that the SQLite file at `path` is whole (`PRAGMA integrity_check`) and is a
    /// Keyhaven database: the number of migrations applied, and of accounts, workspaces, items
    /// and device records in it.
    pub async fn inspect_sqlite(path: &std::path::Path) -> Result<SqliteSummary, StoreError> {
        use sqlx::ConnectOptions as _;
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false);
        let mut conn = options.connect().await?;
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await?;
        let counts: (i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM _sqlx_migrations), (SELECT COUNT(*) FROM accounts), \
             (SELECT COUNT(*) FROM workspaces), (SELECT COUNT(*) FROM items), \
             (SELECT COUNT(*) FROM device_keys)",
        )
        .fetch_one(&mut conn)
        .await?;
        let summary = SqliteSummary {
            intact: check == "ok",
            migrations: counts.0,
            accounts: counts.1,
            workspaces: counts.2,
            items: counts.3,
            device_keys: counts.4,
        };
        sqlx::Connection::close(conn).await?;
        Ok(summary)
    }

    /// Whether this connection to PostgreSQL is encrypted (`pg_stat_ssl`); always `false`
    /// for SQLite, which has no connection.
    pub async fn connection_is_encrypted(&self) -> Result<bool, StoreError> {
        if self.backend == Backend::Sqlite {
            return Ok(false);
        }
        let encrypted: bool =
            sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                .fetch_one(&self.pool)
                .await?;
        Ok(encrypted)
    }

    /// Closes the pool (graceful shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The server secret called `name`, generated by `generate` if no node has made it yet.
    /// Insert-if-absent then read, so concurrent first starts agree on one value.
    pub async fn server_secret(
        &self,
        name: &str,
        generate: impl FnOnce() -> Vec<u8>,
    ) -> Result<Vec<u8>, StoreError> {
        sqlx::query("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(generate())
            .execute(&self.pool)
            .await?;
        let row = sqlx::query("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    // --- rate limits --------------------------------------------------------------------

    /// Counts one hit on `key` in a fixed window of `window` seconds and says whether it is
    /// within `max`. One atomic statement, so every node sharing the database sees the same
    /// count.
    pub async fn rate_limit_hit(
        &self,
        key: &str,
        now: i64,
        window: i64,
        max: i64,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET
                 hits = CASE WHEN rate_limits.window_start + $3 <= $2 THEN 1
                             ELSE rate_limits.hits + 1 END,
                 window_start = CASE WHEN rate_limits.window_start + $3 <= $2 THEN $2
                                     ELSE rate_limits.window_start END
             RETURNING hits",
        )
        .bind(key)
        .bind(now)
        .bind(window)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>(0)? <= max)
    }

    /// Whether `key` already used up `max` hits in its current window (read only).
    pub async fn rate_limit_exhausted(
        &self,
        key: &str,
        now: i64,
        window: i64,
        max: i64,
    ) -> Result<bool, StoreError> {
        let row =
            sqlx::query("SELECT hits FROM rate_limits WHERE key = $1 AND window_start + $3 > $2")
                .bind(key)
                .bind(now)
                .bind(window)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some(row) => row.try_get::<i64, _>(0)? >= max,
            None => false,
        })
    }

    // --- signup ---------------------------------------------------------------------------

    /// Stores a new signup code for `email`, replacing any earlier one (only the newest code
    /// is valid).
    pub async fn put_signup_code(
        &self,
        email: &str,
        code_hash: &[u8],
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO signup_codes (email, code_hash, expires_at, attempts) VALUES ($1, $2, $3, 0)
             ON CONFLICT (email) DO UPDATE SET code_hash = $2, expires_at = $3, attempts = 0",
        )
        .bind(email)
        .bind(code_hash)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Checks a signup code: consumes it when right; counts a wrong try and voids the code
    /// after `max_attempts` tries ([`Store::check_code`]).
    pub async fn check_signup_code(
        &self,
        email: &str,
        code_hash: &[u8],
        now: i64,
        max_attempts: i64,
    ) -> Result<CodeCheck, StoreError> {
        self.check_code(CodeTable::Signup, email, code_hash, now, max_attempts)
            .await
    }

    /// Checks an emailed code. Taking a try and testing for one left are one atomic `UPDATE`
    /// (a row lock on PostgreSQL, the write lock on SQLite), so however many guesses arrive at
    /// once, at most `max_attempts` are compared per code. A right code is then consumed by one
    /// guarded `DELETE`: of concurrent right submissions exactly one gets the row back, and a
    /// code replaced meanwhile (only the newest is valid) is not consumed.
    pub(crate) async fn check_code(
        &self,
        table: CodeTable,
        email: &str,
        code_hash: &[u8],
        now: i64,
        max_attempts: i64,
    ) -> Result<CodeCheck, StoreError> {
        let (claim, consume) = match table {
            CodeTable::Signup => (
                "UPDATE signup_codes SET attempts = attempts + 1
                 WHERE email = $1 AND expires_at > $2 AND attempts < $3
                 RETURNING code_hash",
                "DELETE FROM signup_codes WHERE email = $1 AND code_hash = $2 RETURNING email",
            ),
            CodeTable::Reset => (
                "UPDATE reset_codes SET attempts = attempts + 1
                 WHERE email = $1 AND expires_at > $2 AND attempts < $3
                 RETURNING code_hash",
                "DELETE FROM reset_codes WHERE email = $1 AND code_hash = $2 RETURNING email",
            ),
        };
        let Some(row) = sqlx::query(claim)
            .bind(email)
            .bind(now)
            .bind(max_attempts)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(CodeCheck::NoTriesLeft);
        };
        let stored: Vec<u8> = row.try_get(0)?;
        if !keyhaven_crypto::ct_eq(&stored, code_hash) {
            return Ok(CodeCheck::Rejected);
        }
        let consumed = sqlx::query(consume)
            .bind(email)
            .bind(code_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(if consumed.is_some() {
            CodeCheck::Accepted
        } else {
            CodeCheck::Rejected
        })
    }

    /// Records a signup token (hash) that lets `email` register within its lifetime.
    pub async fn put_signup_token(
        &self,
        token_hash: &[u8],
        email: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO signup_tokens (token_hash, email, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(email)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The email a live signup token was issued for.
    pub async fn signup_token_email(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT email FROM signup_tokens WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?)
    }

    /// Consumes a live signup token (single use) and creates the account in one transaction,
    /// with its `account-created` audit event. Returns `Ok(false)` if the token was already
    /// used or expired.
    pub async fn create_account(
        &self,
        token_hash: &[u8],
        now: i64,
        account: &AccountRecord,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let taken = sqlx::query(
            "DELETE FROM signup_tokens WHERE token_hash = $1 AND expires_at > $2 AND email = $3
             RETURNING email",
        )
        .bind(token_hash)
        .bind(now)
        .bind(&account.email)
        .fetch_optional(&mut *tx)
        .await?;
        if taken.is_none() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO accounts (id, email, password_file, ksf_memory_kib, ksf_iterations,
                                   ksf_parallelism, public_keys, wrapped_keys, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&account.id)
        .bind(&account.email)
        .bind(&account.password_file)
        .bind(account.ksf_memory_kib)
        .bind(account.ksf_iterations)
        .bind(account.ksf_parallelism)
        .bind(&account.public_keys)
        .bind(&account.wrapped_keys)
        .bind(account.created_at)
        .execute(&mut *tx)
        .await?;
        // A new chain: no other transaction can append to it yet, so no retry is needed.
        audit::append(
            &mut tx,
            &account_chain(&account.id),
            &account_actor(&account.id),
            EventKind::AccountCreated,
            &serde_json::json!({}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The account registered under `email`, if any.
    pub async fn account_by_email(&self, email: &str) -> Result<Option<AccountRecord>, StoreError> {
        let row = sqlx::query(select_account!("WHERE email = $1"))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| account_from_row(&r)).transpose()
    }

    /// The account with `id`, if any.
    pub async fn account_by_id(&self, id: &str) -> Result<Option<AccountRecord>, StoreError> {
        let row = sqlx::query(select_account!("WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| account_from_row(&r)).transpose()
    }

    // --- login and sessions ---------------------------------------------------------------

    /// Keeps the server's OPAQUE state between login start and finish. Stored in the database
    /// so the finish may reach another node.
    pub async fn put_pending_login(
        &self,
        id: &str,
        email: &str,
        state: &[u8],
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO pending_logins (id, email, state, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(email)
        .bind(state)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes a pending login (single use): `(email, state)` if it exists and is live.
    pub async fn take_pending_login(
        &self,
        id: &str,
        now: i64,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM pending_logins WHERE id = $1 AND expires_at > $2 RETURNING email, state",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    /// Records a session (by the hash of its token) and its `login` event, in one transaction.
    pub async fn put_session(
        &self,
        token_hash: &[u8],
        account_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        audit::retrying(|| async {
            let mut tx = self.pool.begin().await?;
            sqlx::query(
                "INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at)
                 VALUES ($1, $2, $3, $3)",
            )
            .bind(token_hash)
            .bind(account_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit::append(
                &mut tx,
                &account_chain(account_id),
                &account_actor(account_id),
                EventKind::Login,
                &serde_json::json!({}),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// The account of a live session, refreshing its idle timer; `None` if unknown, idle
    /// longer than `idle` seconds or older than `absolute` seconds.
    pub async fn touch_session(
        &self,
        token_hash: &[u8],
        now: i64,
        idle: i64,
        absolute: i64,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT account_id, last_seen_at FROM sessions
             WHERE token_hash = $1 AND last_seen_at + $3 > $2 AND created_at + $4 > $2",
        )
        .bind(token_hash)
        .bind(now)
        .bind(idle)
        .bind(absolute)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let account: String = row.try_get(0)?;
        let last_seen: i64 = row.try_get(1)?;
        // Activity is recorded at most once per interval, so reads stay reads: with SQLite's
        // one writer, a write per request made every read queue behind sign-ins. The idle
        // timeout keeps its meaning to within the interval. The guard makes concurrent
        // requests write once.
        if now - last_seen >= SESSION_TOUCH_INTERVAL_SECS {
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at = $3",
            )
            .bind(token_hash)
            .bind(now)
            .bind(last_seen)
            .execute(&self.pool)
            .await?;
        }
        Ok(Some(account))
    }

    /// When a session signed in (for actions that need a recent sign-in).
    pub async fn session_created_at(&self, token_hash: &[u8]) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT created_at FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?)
    }

    /// Ends one session and records the `logout` event of its account, in one transaction.
    /// Ending a session that does not exist (any more) does nothing.
    pub async fn delete_session(&self, token_hash: &[u8], now: i64) -> Result<(), StoreError> {
        audit::retrying(|| async {
            let mut tx = self.pool.begin().await?;
            let ended =
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1 RETURNING account_id")
                    .bind(token_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(ended) = ended else {
                return Ok(());
            };
            let account_id: String = ended.try_get(0)?;
            audit::append(
                &mut tx,
                &account_chain(&account_id),
                &account_actor(&account_id),
                EventKind::Logout,
                &serde_json::json!({}),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Ends every session of an account (password reset).
    pub async fn delete_sessions_of(&self, account_id: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

fn account_from_row(row: &AnyRow) -> Result<AccountRecord, StoreError> {
    Ok(AccountRecord {
        id: row.try_get(0)?,
        email: row.try_get(1)?,
        password_file: row.try_get(2)?,
        ksf_memory_kib: row.try_get(3)?,
        ksf_iterations: row.try_get(4)?,
        ksf_parallelism: row.try_get(5)?,
        public_keys: row.try_get(6)?,
        wrapped_keys: row.try_get(7)?,
        created_at: row.try_get(8)?,
    })
}
