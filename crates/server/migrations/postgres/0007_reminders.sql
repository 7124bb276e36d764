-- Which expiry reminders of a temporary recovery key have gone out (7 days and 1 day before),
-- so that several server nodes send each one once.
CREATE TABLE recovery_reminders (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    key_id       TEXT NOT NULL,
    days_before  BIGINT NOT NULL,
    sent_at      BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, key_id, days_before)
);
