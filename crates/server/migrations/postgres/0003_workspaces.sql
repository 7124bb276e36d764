-- Workspaces: the signed roster (opaque to the server), a server-side mirror of membership for
-- access control, key shares, the recovery key's verifier, and encrypted items.

CREATE TABLE workspaces (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE roster_entries (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    entry        BYTEA NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);

-- Mirrors the roster so the server can refuse non-members; clients never trust it.
CREATE TABLE memberships (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role         TEXT NOT NULL,
    needs_relink BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, account_id)
);
CREATE INDEX memberships_account ON memberships(account_id);

-- recipient: 'account:<uuid>' or 'recovery:<uuid>'; key_kind: 'workspace' or 'escrow'.
CREATE TABLE key_shares (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    recipient    TEXT NOT NULL,
    key_kind     TEXT NOT NULL,
    key_version  BIGINT NOT NULL,
    share        BYTEA NOT NULL,
    PRIMARY KEY (workspace_id, recipient, key_kind, key_version)
);

-- The current recovery key: only SHA-256(proof) is kept, never the key.
CREATE TABLE recovery_keys (
    workspace_id      TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    key_id            TEXT NOT NULL,
    kind              TEXT NOT NULL,
    expires_at        BIGINT,
    proof_hash        BYTEA NOT NULL,
    created_at        BIGINT NOT NULL,
    last_validated_at BIGINT NOT NULL
);

CREATE TABLE items (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    revision     BIGINT NOT NULL,
    sealed       BYTEA NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
