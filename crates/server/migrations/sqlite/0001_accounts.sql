-- Accounts, signup codes, pending logins, sessions and rate-limit counters.
-- Times are Unix seconds; ids are UUID text; secrets are stored only as hashes.

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    password_file   BLOB NOT NULL,
    ksf_memory_kib  INTEGER NOT NULL,
    ksf_iterations  INTEGER NOT NULL,
    ksf_parallelism INTEGER NOT NULL,
    public_keys     BLOB NOT NULL,
    wrapped_keys    BLOB NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE TABLE signup_codes (
    email      TEXT PRIMARY KEY,
    code_hash  BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL
);

CREATE TABLE signup_tokens (
    token_hash BLOB PRIMARY KEY,
    email      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE pending_logins (
    id         TEXT PRIMARY KEY,
    email      TEXT NOT NULL,
    state      BLOB NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash   BLOB PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL
);
