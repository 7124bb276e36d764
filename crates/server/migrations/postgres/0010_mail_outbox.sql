-- Mail waiting for delivery (a transactional outbox): a message is written in the same
-- transaction as the change it reports, and a sender on any node delivers it afterwards with
-- retries. A row is claimed by one node for a lease before it is sent and deleted once the
-- relay accepted it, so bodies (access codes, the temporary recovery key) stay only until
-- delivered.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_by      TEXT,
    claimed_until   BIGINT,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at);
