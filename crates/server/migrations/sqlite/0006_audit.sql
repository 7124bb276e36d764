-- The audit log: one hash chain per workspace (`workspace:<uuid>`) and per account
-- (`account:<uuid>`). Events are appended in the same transaction as the operation they record
-- (`src/store/audit.rs`); the primary key makes two appends at the same position conflict, so
-- a chain never forks. `details` is JSON and never holds a secret. `hash` is SHA-256 over the
-- canonical encoding in docs/protocol.md ("Audit chain"); `prev_hash` is the previous event's
-- hash (32 zero bytes for seq 0). No foreign keys: the log outlives what it describes.

CREATE TABLE audit_events (
    chain     TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL,
    PRIMARY KEY (chain, seq)
);

-- One row per chain: the chain's append lock. Every append first bumps its row
-- (`INSERT … ON CONFLICT DO UPDATE`), which on PostgreSQL makes a concurrent append to the same
-- chain wait for this transaction instead of failing on the primary key above. `appended`
-- counts the events appended through the store.
CREATE TABLE audit_chains (
    chain    TEXT PRIMARY KEY,
    appended INTEGER NOT NULL
);
