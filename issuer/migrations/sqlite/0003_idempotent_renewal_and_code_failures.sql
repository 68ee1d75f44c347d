-- Issue 11 (docs/security.md).
--
-- A retried renewal gets the answer it lost, not a new pass: a used token remembers the pass issued
-- with its successor (refresh_tokens.pass_id, set on the successor's row) and the successor token
-- itself, sealed with a key derived from the used token (which the database never holds). Only
-- whoever presents the used token can open it. Tokens used before this migration have no sealed
-- successor: presenting them again is reuse.
ALTER TABLE refresh_tokens ADD COLUMN pass_id BLOB;
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed BLOB;
CREATE INDEX refresh_tokens_subject ON refresh_tokens(subject);

-- Wrong one-time codes per subject, across all its challenges, for the sliding-window cap.
CREATE TABLE code_failures (
    subject    TEXT NOT NULL,
    failed_at  INTEGER NOT NULL               -- Unix seconds
);
CREATE INDEX code_failures_subject ON code_failures(subject, failed_at);

-- challenges.state gains 3 = replaced: a newer challenge for the same subject was started. Starting
-- one closes the subject's open ones, found through this index.
CREATE INDEX challenges_open_by_subject ON challenges(subject) WHERE state = 0;
