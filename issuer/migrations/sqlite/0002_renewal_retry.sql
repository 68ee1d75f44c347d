-- Retry grace for renewals whose answer was lost (docs/issuer.md, "Refresh tokens").
-- When a token is exchanged, it records the hash of the token it was exchanged for and when (which is
-- also when that successor was issued). Tokens used before this migration have neither, so presenting
-- them again is treated as reuse, as before.
ALTER TABLE refresh_tokens ADD COLUMN successor_hash BLOB;
ALTER TABLE refresh_tokens ADD COLUMN used_at INTEGER;
-- refresh_tokens.state gains 3 = superseded: the answer that carried this token was presumed lost and
-- a retry with its predecessor replaced it. Presenting a superseded token is reuse.
