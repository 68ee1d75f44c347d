-- The issuer's schema on PostgreSQL: the same tables as the SQLite migrations 0001-0005 end with
-- (issuer/migrations/sqlite), in PostgreSQL's types. Every key, hash and token is `bytea`; every
-- time is Unix seconds in a `bigint`. Later changes get migrations of their own here.

-- Who may be issued a pass. Loaded with `doorpass issuer holders import`.
CREATE TABLE holders (
    subject        text PRIMARY KEY,
    display_name   text NOT NULL,
    birth_date     text NOT NULL,
    kind           bigint NOT NULL,
    eligible_until bigint NOT NULL
);

-- One-time-code challenges; codes only as keyed hashes. state: 0 open, 1 used, 2 locked, 3 replaced.
CREATE TABLE challenges (
    id          bytea PRIMARY KEY,
    subject     text NOT NULL,
    holder_key  bytea NOT NULL,
    code_hash   bytea NOT NULL,
    expires_at  bigint NOT NULL,
    attempts    bigint NOT NULL DEFAULT 0,
    state       bigint NOT NULL DEFAULT 0
);
CREATE INDEX challenges_open_by_subject ON challenges(subject) WHERE state = 0;
CREATE INDEX challenges_expiry ON challenges(expires_at);

-- Wrong one-time codes per subject, across all its challenges, for the sliding-window cap.
CREATE TABLE code_failures (
    subject    text NOT NULL,
    failed_at  bigint NOT NULL
);
CREATE INDEX code_failures_subject ON code_failures(subject, failed_at);

-- Every pass issued, kept so that nothing answered 200 is ever lost.
CREATE TABLE passes (
    pass_id        bytea PRIMARY KEY,
    subject        text NOT NULL,
    holder_key     bytea NOT NULL,
    family         bytea NOT NULL,
    issued_at      bigint NOT NULL,
    expires_at     bigint NOT NULL,
    renew_after    bigint NOT NULL,
    pass           bytea NOT NULL,
    status_list    bigint,
    status_counter bigint,
    status_idx     bigint,
    revoked_at     bigint,
    revoked_reason text
);
CREATE INDEX passes_subject ON passes(subject);
CREATE UNIQUE INDEX passes_status_entry ON passes(status_list, status_counter)
    WHERE status_list IS NOT NULL;
CREATE INDEX passes_revoked ON passes(status_list) WHERE revoked_at IS NOT NULL;

-- Refresh tokens, only as SHA-256 hashes; single use, reuse revokes the family.
-- state: 0 active, 1 used, 2 revoked, 3 superseded.
CREATE TABLE refresh_tokens (
    token_hash       bytea PRIMARY KEY,
    family           bytea NOT NULL,
    subject          text NOT NULL,
    holder_key       bytea NOT NULL,
    expires_at       bigint NOT NULL,
    state            bigint NOT NULL DEFAULT 0,
    successor_hash   bytea,
    used_at          bigint,
    pass_id          bytea,
    successor_sealed bytea
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family);
CREATE INDEX refresh_tokens_subject ON refresh_tokens(subject);

-- Status lists: how far entries are handed out (in blocks nodes reserve), the version (rises with
-- each revocation) and the token last signed, which every node serves.
CREATE TABLE status_lists (
    list_id          bigint PRIMARY KEY,
    version          bigint NOT NULL DEFAULT 0,
    next_counter     bigint NOT NULL DEFAULT 0,
    token            bytea,
    token_version    bigint,
    token_issued_at  bigint,
    token_uri        text
);
