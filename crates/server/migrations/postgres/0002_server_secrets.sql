-- Long-term server secrets (the OPAQUE server setup, the key that hashes emailed codes),
-- created once by whichever node starts first and shared by every node.
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
