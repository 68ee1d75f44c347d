-- Issue 20. Each status list records which ordering key started it (`key_id`, from secrets.key): a
-- list is only continued by that key, so a changed key starts a new list instead of landing new passes
-- on entries already handed out. Lists from before have none; see secrets.rs for who may claim them.
ALTER TABLE status_lists ADD COLUMN key_id BLOB;
-- A completed challenge remembers its answer for a retry whose answer was lost: when it was used, the
-- hash of the refresh token it gave out (which leads to the pass), and that token sealed under a key
-- only the presented code (with the server secret) gives.
ALTER TABLE challenges ADD COLUMN used_at INTEGER;
ALTER TABLE challenges ADD COLUMN issued_token_hash BLOB;
ALTER TABLE challenges ADD COLUMN token_sealed BLOB;
