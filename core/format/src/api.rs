//! The issuer's HTTP API (JSON under `/v1`), shared by the issuer service, wallets and the load generator.
//!
//! Binary values travel as unpadded base64url. Holders prove possession of their key with signatures
//! by its algorithm (Ed25519, or ES256 for a P-256 key) over domain-separated messages built here, so
//! both sides build exactly the same bytes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Path of the trust list (`application/cose`).
pub const TRUST_LIST_PATH: &str = "/v1/trust-list";
/// Path to start an enrolment.
pub const ENROLMENT_START_PATH: &str = "/v1/enrolment/start";
/// Path to complete an enrolment.
pub const ENROLMENT_COMPLETE_PATH: &str = "/v1/enrolment/complete";
/// Path to renew a pass.
pub const RENEW_PATH: &str = "/v1/renew";
/// Media type of COSE objects.
pub const COSE_MEDIA_TYPE: &str = "application/cose";
/// Domain separation for enrolment proofs.
pub const ENROL_PROOF_DOMAIN: &[u8] = b"DP1-enrol";
/// Domain separation for renewal proofs.
pub const RENEW_PROOF_DOMAIN: &[u8] = b"DP1-renew";
/// Length of a challenge id, in bytes.
pub const CHALLENGE_ID_LEN: usize = 16;
/// Length of a refresh token, in bytes.
pub const REFRESH_TOKEN_LEN: usize = 32;

/// Encodes bytes as unpadded base64url.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url into exactly `N` bytes.
pub fn b64_fixed<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() > N * 2 {
        return None;
    }
    URL_SAFE_NO_PAD.decode(text).ok()?.try_into().ok()
}

/// Decodes unpadded base64url of at most `max` bytes.
pub fn b64_vec(text: &str, max: usize) -> Option<Vec<u8>> {
    if text.len() > max.div_ceil(3) * 4 {
        return None;
    }
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// What a holder signs to complete an enrolment: `"DP1-enrol" ‖ challenge id ‖ holder public key`,
/// the key as [`crate::HolderPublicKey::to_bytes`] gives it (32 bytes for Ed25519, the 33-byte
/// compressed point for P-256). The proof, like the rotating code's, is by the key's algorithm
/// ([`crate::HolderPublicKey::verify`]: Ed25519, or ES256 as raw `r ‖ s` with low S).
pub fn enrolment_proof_message(
    challenge_id: &[u8; CHALLENGE_ID_LEN],
    holder_key: &[u8],
) -> Vec<u8> {
    [ENROL_PROOF_DOMAIN, challenge_id, holder_key].concat()
}

/// What a holder signs to renew: `"DP1-renew" ‖ SHA-256(refresh token)`. The token is single-use,
/// so each proof is too. Signed by the pass's holder key, by its algorithm (as the enrolment proof).
pub fn renewal_proof_message(refresh_token: &[u8; REFRESH_TOKEN_LEN]) -> Vec<u8> {
    [RENEW_PROOF_DOMAIN, Sha256::digest(refresh_token).as_slice()].concat()
}

/// `POST /v1/enrolment/start`: ask for a one-time code to be sent to `subject`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentStartRequest {
    /// Who the holder says they are (e.g. a phone number), as registered with the issuer.
    pub subject: String,
    /// The holder's public key, base64url: 32 bytes for an Ed25519 key (unchanged since DP1), the
    /// 33-byte compressed SEC1 point (`0x02`/`0x03` ‖ x) for a P-256 key; the length tells them
    /// apart ([`crate::HolderPublicKey::from_bytes`]).
    pub holder_key: String,
}

/// Answer to [`EnrolmentStartRequest`].
///
/// The same answer comes for subjects the issuer does not know, so the API does not reveal who is
/// registered; such a subject simply receives no code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolmentStartResponse {
    /// Challenge id, base64url (16 bytes).
    pub challenge_id: String,
    /// Seconds until the code expires.
    pub expires_in: u64,
    /// Number of digits in the code.
    pub code_length: u32,
    /// Key attestation challenge, base64url (32 bytes), when the issuer checks attestations
    /// (`issuer serve --attestation prefer|require`). A wallet with a hardware key makes a new key
    /// bound to it (Android Keystore: `setAttestationChallenge`; iOS: App Attest over
    /// [`attestation_client_data`]) and sends a [`KeyAttestation`] with its completion. Unique per
    /// challenge, so an attestation made for another enrolment is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_challenge: Option<String>,
}

/// `POST /v1/enrolment/complete`: trade the code and a proof of key possession for a pass.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentCompleteRequest {
    /// Challenge id from the start answer.
    pub challenge_id: String,
    /// The one-time code the subject received.
    pub code: String,
    /// Holder signature over [`enrolment_proof_message`], base64url (64 bytes: Ed25519, or ES256 as
    /// raw `r ‖ s` with low S).
    pub proof: String,
    /// A hardware key made for this enrolment and its attestation, answering the start answer's
    /// `attestation_challenge`. The pass then binds this key instead of the start's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<KeyAttestation>,
}

/// A holder key made in the phone's secure hardware for one enrolment, with the platform's evidence.
///
/// The start's key still proves (with `proof` above) that this completion comes from whoever
/// started; this key proves possession of itself with its own `proof`, and the evidence binds it to
/// the start answer's `attestation_challenge`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAttestation {
    /// The attested P-256 key, base64url (33-byte compressed SEC1 point).
    pub holder_key: String,
    /// ES256 signature by that key over [`enrolment_proof_message`] with this key, base64url (64
    /// bytes, raw `r ‖ s`, low S).
    pub proof: String,
    /// The platform's evidence.
    pub evidence: AttestationEvidence,
}

/// The platform's evidence that a holder key lives in its secure hardware.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "platform", rename_all = "snake_case", deny_unknown_fields)]
pub enum AttestationEvidence {
    /// Android Keystore key attestation: the key's certificate chain, leaf first, each DER
    /// base64url. The leaf's KeyDescription carries the attestation challenge.
    AndroidKeystore {
        /// Certificates, leaf first.
        chain: Vec<String>,
    },
    /// Apple App Attest: the attestation object (CBOR) of an App Attest key, whose client data
    /// hash is SHA-256 of [`attestation_client_data`].
    AppleAppAttest {
        /// The App Attest key id (SHA-256 of its public key), base64url.
        key_id: String,
        /// The attestation object, base64url.
        object: String,
    },
}

/// Domain separation for the App Attest client data.
pub const APP_ATTEST_DOMAIN: &[u8] = b"DP1-app-attest";
/// Largest key attestation evidence, raw bytes: a chain's certificates together, or an App Attest
/// object. Its base64url with the rest of a completion stays under the issuer's 32 KiB body limit,
/// so evidence a wallet sends is never cut off by a 413 before it is looked at.
pub const MAX_ATTESTATION_EVIDENCE_LEN: usize = 22 * 1024;
/// Length of an attestation challenge, in bytes.
pub const ATTESTATION_CHALLENGE_LEN: usize = 32;

/// What an iOS wallet has App Attest vouch for: `"DP1-app-attest" ‖ attestation challenge ‖ holder
/// key` (the key as [`crate::HolderPublicKey::to_bytes`] gives it). App Attest signs SHA-256 of
/// this (the client data hash), so the attestation binds both the challenge and the holder key.
pub fn attestation_client_data(challenge: &[u8], holder_key: &[u8]) -> Vec<u8> {
    [APP_ATTEST_DOMAIN, challenge, holder_key].concat()
}

/// `POST /v1/renew`: trade a refresh token and a proof of key possession for a new pass.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewRequest {
    /// The refresh token, base64url (32 bytes). It stops working once used.
    pub refresh_token: String,
    /// Holder signature over [`renewal_proof_message`], base64url (64 bytes).
    pub proof: String,
}

/// A freshly issued pass (answer to enrolment completion and renewal).
#[derive(Clone, Serialize, Deserialize)]
pub struct IssuedPass {
    /// The pass (COSE_Sign1), base64url.
    pub pass: String,
    /// The next refresh token, base64url (32 bytes).
    pub refresh_token: String,
    /// The pass id, hex.
    pub pass_id: String,
    /// When the pass expires.
    pub expires_at: u64,
    /// When the wallet should renew.
    pub renew_after: u64,
    /// When the refresh token stops working.
    pub refresh_expires_at: u64,
    /// The issuer's busy hours, when it names them: a wallet starts no renewal inside them unless
    /// its pass would otherwise expire within a day (docs/renewal-timing.md). Absent: no news (the
    /// wallet keeps what it was told last); empty: no busy hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_hours: Option<Vec<PeakWindow>>,
}

/// One daily window of an issuer's busy hours, in minutes after midnight UTC (`0..1440`); an `end`
/// below `start` runs past midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeakWindow {
    /// First minute of the window.
    pub start_minute: u16,
    /// First minute after it.
    pub end_minute: u16,
}

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Stable machine-readable code, e.g. `invalid_code`.
    pub error: String,
    /// A sentence for people.
    pub message: String,
    /// For `invalid_code`: tries left on this challenge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
}

/// Stable error codes of the API.
pub mod error_code {
    /// The request body is not the expected JSON.
    pub const BAD_REQUEST: &str = "bad_request";
    /// The request body is larger than the server accepts.
    pub const TOO_LARGE: &str = "payload_too_large";
    /// No such route.
    pub const NOT_FOUND: &str = "not_found";
    /// The route exists but not for this method.
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    /// The code is wrong; `attempts_left` says how many tries remain.
    pub const INVALID_CODE: &str = "invalid_code";
    /// Too many wrong codes: this challenge is closed; start again.
    pub const CHALLENGE_LOCKED: &str = "challenge_locked";
    /// The code is older than its lifetime; start again.
    pub const CHALLENGE_EXPIRED: &str = "challenge_expired";
    /// The challenge was already used or never existed; start again.
    pub const UNKNOWN_CHALLENGE: &str = "unknown_challenge";
    /// The proof of key possession does not check.
    pub const BAD_PROOF: &str = "bad_proof";
    /// The subject is registered but not (or no longer) eligible.
    pub const NOT_ELIGIBLE: &str = "not_eligible";
    /// The refresh token is unknown or revoked: authenticate again.
    pub const INVALID_REFRESH_TOKEN: &str = "invalid_refresh_token";
    /// The refresh token was already used: the whole chain is revoked; authenticate again.
    pub const REFRESH_TOKEN_REUSED: &str = "refresh_token_reused";
    /// The refresh token has expired: authenticate again.
    pub const REFRESH_TOKEN_EXPIRED: &str = "refresh_token_expired";
    /// Too many requests from this client or for this subject; see `Retry-After`.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// The server is shedding load; see `Retry-After`.
    pub const OVERLOADED: &str = "overloaded";
    /// The issuer requires a hardware-bound, attested holder key and none came (`--attestation
    /// require`); a wallet without secure hardware cannot enrol with this issuer.
    pub const ATTESTATION_REQUIRED: &str = "attestation_required";
    /// The key attestation does not check (its chain, challenge, key, app or security level); the
    /// message says which.
    pub const ATTESTATION_INVALID: &str = "attestation_invalid";
    /// A failure injected by `--dev --inject-failure`.
    pub const INJECTED_FAILURE: &str = "injected_failure";
    /// Something went wrong on the server; the request can be retried.
    pub const INTERNAL: &str = "internal";
    /// The request body did not arrive within the server's deadline (a slow network): retry.
    pub const REQUEST_TIMEOUT: &str = "request_timeout";
}

/// `GET /dev/otp/{subject}` (dev mode only): the last code sent to a subject.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevOtpResponse {
    /// The code.
    pub code: String,
}

/// Stands in for a secret in `Debug` output, so a logged request or answer never shows one.
const REDACTED: &str = "<redacted>";

impl std::fmt::Debug for EnrolmentCompleteRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrolmentCompleteRequest")
            .field("challenge_id", &self.challenge_id)
            .field("code", &REDACTED)
            .field("proof", &self.proof)
            .field("attestation", &self.attestation.is_some())
            .finish()
    }
}

impl std::fmt::Debug for RenewRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenewRequest")
            .field("refresh_token", &REDACTED)
            .field("proof", &self.proof)
            .finish()
    }
}

impl std::fmt::Debug for IssuedPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedPass")
            .field("pass_id", &self.pass_id)
            .field("refresh_token", &REDACTED)
            .field("expires_at", &self.expires_at)
            .field("renew_after", &self.renew_after)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .field("peak_hours", &self.peak_hours)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_code_or_token() {
        let token = "c2VjcmV0LXJlZnJlc2gtdG9rZW4tMzItYnl0ZXMhIQ";
        let renew = RenewRequest {
            refresh_token: token.into(),
            proof: "p".into(),
        };
        let complete = EnrolmentCompleteRequest {
            challenge_id: "c".into(),
            code: "482913".into(),
            proof: "p".into(),
            attestation: None,
        };
        let issued = IssuedPass {
            pass: "x".into(),
            refresh_token: token.into(),
            pass_id: "00".into(),
            expires_at: 1,
            renew_after: 1,
            refresh_expires_at: 1,
            peak_hours: None,
        };
        for shown in [
            format!("{renew:?}"),
            format!("{complete:?}"),
            format!("{issued:?}"),
        ] {
            assert!(
                !shown.contains(token) && !shown.contains("482913"),
                "{shown}"
            );
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }

    #[test]
    fn base64url_helpers_check_lengths() {
        let bytes = [7u8; 32];
        let text = b64(&bytes);
        assert!(!text.contains('=') && !text.contains('+') && !text.contains('/'));
        assert_eq!(b64_fixed::<32>(&text), Some(bytes));
        assert_eq!(b64_fixed::<16>(&text), None);
        assert_eq!(b64_fixed::<32>("not base64!"), None);
        assert_eq!(b64_vec(&b64(&[1; 10]), 10), Some(vec![1; 10]));
        assert_eq!(b64_vec(&b64(&[1; 100]), 10), None);
    }

    #[test]
    fn proof_messages_are_domain_separated() {
        let e = enrolment_proof_message(&[1; 16], &[2; 32]);
        assert!(e.starts_with(b"DP1-enrol") && e.len() == 9 + 16 + 32);
        let r = renewal_proof_message(&[3; 32]);
        assert!(r.starts_with(b"DP1-renew") && r.len() == 9 + 32);
    }

    #[test]
    fn enrolment_and_renewal_proofs_follow_the_holder_key_kind() {
        use crate::holder_key::{HolderSignatureError, HolderSigner, P256SigningKey};
        let phone = P256SigningKey::from_slice(&[8; 32]).unwrap();
        let key = phone.holder_public_key();
        let enrol = enrolment_proof_message(&[1; 16], &key.to_bytes());
        assert_eq!(enrol.len(), 9 + 16 + 33, "the compressed point");
        let renew = renewal_proof_message(&[3; 32]);
        for message in [&enrol, &renew] {
            let proof = phone.sign_holder_message(message);
            assert_eq!(key.verify(message, &proof), Ok(()));
            let ed = crate::keys::SigningKey::from_bytes(&[8; 32]);
            assert_eq!(
                ed.holder_public_key().verify(message, &proof),
                Err(HolderSignatureError::Invalid)
            );
            assert!(
                key.verify(message, &ed.sign_holder_message(message))
                    .is_err()
            );
        }
    }
}
