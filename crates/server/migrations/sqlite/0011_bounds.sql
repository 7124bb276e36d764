-- Backoff for attempts a stranger can make (sign-in starts, emailed codes), per key: an
-- account seen from one client address, one client address, or one account. Each attempt
-- counts until a success clears the key; after a free allowance each further attempt waits
-- twice as long as the one before, up to a cap, and a key untouched for long enough is
-- forgotten. No hard lock: the wait never exceeds the cap.
CREATE TABLE throttles (
    key           TEXT PRIMARY KEY,
    attempts      INTEGER NOT NULL,
    last_at       INTEGER NOT NULL,
    blocked_until INTEGER NOT NULL
);
CREATE INDEX throttles_last_at ON throttles(last_at);

-- Client addresses an account signed in from: attempts from them skip the per-account
-- backoff, so strangers elsewhere cannot hold the owner out.
CREATE TABLE known_addresses (
    email   TEXT NOT NULL,
    address TEXT NOT NULL,
    last_at INTEGER NOT NULL,
    PRIMARY KEY (email, address)
);
CREATE INDEX known_addresses_last_at ON known_addresses(last_at);

-- The sweeper (crate::sweeper) deletes expired rows by these.
CREATE INDEX pending_logins_expires_at ON pending_logins(expires_at);
CREATE INDEX sessions_last_seen_at ON sessions(last_seen_at);
CREATE INDEX invitations_created_at ON invitations(created_at);

-- Items per workspace, kept with every add and delete, so the item quota is one guarded
-- UPDATE rather than a count of a large table.
ALTER TABLE workspaces ADD COLUMN item_count INTEGER NOT NULL DEFAULT 0;
UPDATE workspaces SET item_count = (SELECT COUNT(*) FROM items WHERE items.workspace_id = workspaces.id);
