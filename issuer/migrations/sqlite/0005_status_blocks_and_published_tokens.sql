-- Issue 13 (docs/issuer.md, "Several nodes"): entries are handed out in blocks that each node
-- reserves in the database, and the signed token of each list is kept here, so every node serves the
-- same bytes. `next_counter` is one past the highest counter reserved in the list; it starts after the
-- highest counter recorded so far.
ALTER TABLE status_lists ADD COLUMN next_counter INTEGER NOT NULL DEFAULT 0;
ALTER TABLE status_lists ADD COLUMN token BLOB;
ALTER TABLE status_lists ADD COLUMN token_version INTEGER;
ALTER TABLE status_lists ADD COLUMN token_issued_at INTEGER;
ALTER TABLE status_lists ADD COLUMN token_uri TEXT;
UPDATE status_lists SET next_counter = coalesce(
    (SELECT max(status_counter) + 1 FROM passes WHERE passes.status_list = status_lists.list_id), 0);
