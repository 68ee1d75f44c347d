-- Issue 20; the same change as issuer/migrations/sqlite/0006 (see there). Each status list records
-- which ordering key started it; a completed challenge remembers its answer for a retry.
ALTER TABLE status_lists ADD COLUMN key_id bytea;
ALTER TABLE challenges ADD COLUMN used_at bigint;
ALTER TABLE challenges ADD COLUMN issued_token_hash bytea;
ALTER TABLE challenges ADD COLUMN token_sealed bytea;
