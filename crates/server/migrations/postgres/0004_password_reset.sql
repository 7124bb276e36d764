-- Forgot password: emailed access codes (keyed-hashed, newest only, counted tries) and the
-- reset tokens they are traded for (SHA-256 of the token, single use, short-lived).

CREATE TABLE reset_codes (
    email      TEXT PRIMARY KEY,
    code_hash  BYTEA NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts   BIGINT NOT NULL
);

CREATE TABLE reset_tokens (
    token_hash BYTEA PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX reset_tokens_account ON reset_tokens(account_id);
