-- The escrow-key version an enrollment token seals to (the key itself is in the token text).
-- Once the workspace's escrow key is rotated past it, the token's submissions are refused.
-- Tokens of the first format (KHT1-, which read the roster) get 0 and are refused.
ALTER TABLE escrow_tokens ADD COLUMN escrow_version BIGINT NOT NULL DEFAULT 0;
