-- Device-key escrow (docs/protocol.md §18). Headers and secrets are sealed to the workspace
-- escrow key; the server finds records by blind index (HMAC values it cannot invert) and serves
-- a secret only through the audited reveal call.

CREATE TABLE device_keys (
    workspace_id     TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    id               TEXT NOT NULL,
    header           BLOB NOT NULL,
    secret           BLOB NOT NULL,
    -- 'account:<uuid>' or 'token:<uuid>'.
    author           TEXT NOT NULL,
    -- Blind indexes; NULL until a holder of the escrow key indexes a token submission.
    id_tag           BLOB,
    prefix_tag       BLOB,
    device_tag       BLOB,
    secret_tag       BLOB,
    -- Same for the same token, identifier and key: a resubmission is stored once.
    resubmission_tag BLOB,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    rotate_after_use INTEGER NOT NULL DEFAULT 0,
    revealed_at      INTEGER,
    replaced_by      TEXT,
    PRIMARY KEY (workspace_id, id)
);
-- Blind indexes are HMACs under a per-workspace key, so a tag alone picks the rows (queries
-- still filter on workspace_id); leaving the 36-byte workspace id out of these four indexes
-- halves them, and bulk imports insert into them at random places.
CREATE INDEX device_keys_id_tag ON device_keys(id_tag);
CREATE INDEX device_keys_prefix_tag ON device_keys(prefix_tag);
CREATE INDEX device_keys_device_tag ON device_keys(device_tag);
CREATE INDEX device_keys_secret_tag ON device_keys(secret_tag);
CREATE INDEX device_keys_replaced_by ON device_keys(workspace_id, replaced_by)
    WHERE replaced_by IS NOT NULL;
CREATE INDEX device_keys_unindexed ON device_keys(workspace_id) WHERE id_tag IS NULL;
CREATE UNIQUE INDEX device_keys_resubmission ON device_keys(workspace_id, resubmission_tag)
    WHERE resubmission_tag IS NOT NULL;

-- Enrollment tokens: write-only, stored as the SHA-256 of their auth value.
CREATE TABLE escrow_tokens (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name         TEXT,
    auth_hash    BLOB NOT NULL,
    grant_bytes  BLOB NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    submissions  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX escrow_tokens_workspace ON escrow_tokens(workspace_id);
