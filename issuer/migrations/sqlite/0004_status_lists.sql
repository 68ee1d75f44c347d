-- Issue 12 (docs/revocation.md): each pass names an entry of a status list. A list is identified by a
-- number; `status_counter` counts the passes given entries in it, and the entry (`status_idx`) is a
-- keyed permutation of that count, so entries are scattered over the list. A revoked pass has
-- `revoked_at`; the list's `version` rises with every revocation in it, which tells the serving
-- process to sign the list again. Passes issued before this migration have no entry: they cannot be
-- revoked and expire as before.
ALTER TABLE passes ADD COLUMN status_list INTEGER;
ALTER TABLE passes ADD COLUMN status_counter INTEGER;
ALTER TABLE passes ADD COLUMN status_idx INTEGER;
ALTER TABLE passes ADD COLUMN revoked_at INTEGER;
ALTER TABLE passes ADD COLUMN revoked_reason TEXT;
CREATE UNIQUE INDEX passes_status_entry ON passes(status_list, status_counter)
    WHERE status_list IS NOT NULL;
CREATE INDEX passes_revoked ON passes(status_list) WHERE revoked_at IS NOT NULL;

CREATE TABLE status_lists (
    list_id  INTEGER PRIMARY KEY,
    version  INTEGER NOT NULL DEFAULT 0
);
