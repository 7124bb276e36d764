-- The latest validation statement of the current recovery key, signed by the key's recovery
-- authority on the validating client (core ValidationStatement). The server stores and serves
-- it and cannot forge one: clients take the last validation from it. A new key starts without.
ALTER TABLE recovery_keys ADD COLUMN validation_statement BLOB;
