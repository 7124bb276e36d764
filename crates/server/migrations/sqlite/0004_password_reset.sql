-- Forgot password: emailed access codes (keyed-hashed, newest only, counted tries) and the
-- reset tokens they are traded for (SHA-256 of the token, single use, short-lived).

CREATE TABLE reset_codes (
    email      TEXT PRIMARY KEY,
    code_hash  BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL
);

CREATE TABLE reset_tokens (
    token_hash BLOB PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
CREATE INDEX reset_tokens_account ON reset_tokens(account_id);
