-- Accounts, signup codes, pending logins, sessions and rate-limit counters.
-- Times are Unix seconds; ids are UUID text; secrets are stored only as hashes.

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    password_file   BYTEA NOT NULL,
    ksf_memory_kib  BIGINT NOT NULL,
    ksf_iterations  BIGINT NOT NULL,
    ksf_parallelism BIGINT NOT NULL,
    public_keys     BYTEA NOT NULL,
    wrapped_keys    BYTEA NOT NULL,
    created_at      BIGINT NOT NULL
);

CREATE TABLE signup_codes (
    email      TEXT PRIMARY KEY,
    code_hash  BYTEA NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts   BIGINT NOT NULL
);

CREATE TABLE signup_tokens (
    token_hash BYTEA PRIMARY KEY,
    email      TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE pending_logins (
    id         TEXT PRIMARY KEY,
    email      TEXT NOT NULL,
    state      BYTEA NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash   BYTEA PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);
