-- What a key attestation showed of each refresh-token chain's holder key at enrolment
-- (doorpass_format::KeyAssurance: 0 unattested, 1 Android TEE, 2 StrongBox, 3 App Attest), so that
-- renewals carry it into the next pass. Tokens from before attestation existed are unattested.
ALTER TABLE refresh_tokens ADD COLUMN key_assurance bigint NOT NULL DEFAULT 0;
