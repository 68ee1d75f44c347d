-- When each challenge was started, for the per-subject limit on starts, counted in the database so
-- that every node shares it (docs/security.md). Challenges from before this migration read as
-- started at 0: they no longer count.
ALTER TABLE challenges ADD COLUMN created_at bigint NOT NULL DEFAULT 0;
CREATE INDEX challenges_started_by_subject ON challenges(subject, created_at);
