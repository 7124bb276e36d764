-- A token submission for an escrowed identifier with another key is kept as a conflict: stored
-- as history of the escrowed record (so it is never the current key) until an owner, admin or
-- helpdesk member accepts it (it becomes current) or rejects it (it is deleted).
ALTER TABLE device_keys ADD COLUMN conflict INTEGER NOT NULL DEFAULT 0;
