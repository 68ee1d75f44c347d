-- Who may be issued a pass. Loaded with `doorpass issuer holders import`.
CREATE TABLE holders (
    subject        TEXT PRIMARY KEY,
    display_name   TEXT NOT NULL,
    birth_date     TEXT NOT NULL,
    kind           INTEGER NOT NULL,
    eligible_until INTEGER NOT NULL           -- Unix seconds; passes never outlive it
) WITHOUT ROWID;

-- One-time-code challenges. Codes are stored only as keyed hashes.
CREATE TABLE challenges (
    id          BLOB PRIMARY KEY,             -- 16 random bytes
    subject     TEXT NOT NULL,
    holder_key  BLOB NOT NULL,                -- Ed25519 public key the pass will be bound to
    code_hash   BLOB NOT NULL,
    expires_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,   -- wrong codes so far
    state       INTEGER NOT NULL DEFAULT 0    -- 0 open, 1 used, 2 locked
) WITHOUT ROWID;

-- Every pass issued, kept so that nothing answered 200 is ever lost.
CREATE TABLE passes (
    pass_id     BLOB PRIMARY KEY,
    subject     TEXT NOT NULL,
    holder_key  BLOB NOT NULL,
    family      BLOB NOT NULL,                -- refresh-token chain this pass belongs to
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    renew_after INTEGER NOT NULL,
    pass        BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX passes_subject ON passes(subject);

-- Refresh tokens, stored only as SHA-256 hashes. Each is single-use; reuse revokes its family.
CREATE TABLE refresh_tokens (
    token_hash  BLOB PRIMARY KEY,
    family      BLOB NOT NULL,
    subject     TEXT NOT NULL,
    holder_key  BLOB NOT NULL,
    expires_at  INTEGER NOT NULL,
    state       INTEGER NOT NULL DEFAULT 0    -- 0 active, 1 used, 2 revoked
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_family ON refresh_tokens(family);
