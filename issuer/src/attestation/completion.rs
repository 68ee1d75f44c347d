//! What a completion's key attestation decides (docs/issuer.md, "Key attestation"): which key the
//! pass binds, with which [`KeyAssurance`], or why the completion is refused.
//!
//! Two steps, so that the expensive one only runs for a completion that will be issued a pass:
//! [`Attestation::screen`] (cheap, before the code is checked: the mode allows what came, and the
//! new key proves possession of itself), then [`Attestation::decide`] (the platform's evidence
//! checked against the enrolment's challenge).

use axum::http::StatusCode;
use doorpass_attestation::AttestationError;
use doorpass_attestation::android::verify_android_key_attestation;
use doorpass_attestation::apple::verify_app_attest;
use doorpass_format::KeyAssurance;
use doorpass_format::api::{
    AttestationEvidence, KeyAttestation, MAX_ATTESTATION_EVIDENCE_LEN, attestation_client_data,
    b64_vec, enrolment_proof_message, error_code,
};
use doorpass_format::holder_key::{HolderKeyKind, HolderPublicKey, P256_COMPRESSED_LEN};
use sha2::{Digest, Sha256};

use super::{Attestation, AttestationMode, attestation_challenge};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::proof::{check_proof, parse_proof};

/// Most certificates an Android attestation chain may have (real ones have 3 to 5).
pub const MAX_CHAIN_CERTIFICATES: usize = 10;
/// Largest certificate of an Android chain, DER (real ones are under 2 KB).
pub const MAX_CERTIFICATE_LEN: usize = 4 * 1024;
/// Largest App Attest attestation object (real ones, receipt included, are about 5.5 KB).
pub const MAX_APP_ATTEST_OBJECT_LEN: usize = 12 * 1024;
/// The platforms' names in metrics and logs (as in the API's `platform` tag).
const ANDROID: &str = "android_keystore";
const APPLE: &str = "apple_app_attest";
/// Largest App Attest key id (SHA-256 of the key: 32 bytes).
const MAX_KEY_ID_LEN: usize = 64;

/// An attestation that came with a completion, decoded, its key's possession proven, its
/// evidence not checked yet.
#[derive(Debug, Clone)]
pub struct Offered {
    /// The new key (P-256).
    pub key: HolderPublicKey,
    /// Its platform's evidence, decoded.
    evidence: Evidence,
}

#[derive(Debug, Clone)]
enum Evidence {
    Android { chain: Vec<Vec<u8>> },
    Apple { key_id: Vec<u8>, object: Vec<u8> },
}

impl Evidence {
    fn platform(&self) -> &'static str {
        match self {
            Evidence::Android { .. } => ANDROID,
            Evidence::Apple { .. } => APPLE,
        }
    }
}

/// What [`Attestation::screen`] found in a completion.
#[derive(Debug, Clone)]
pub enum Screened {
    /// No attestation (the mode allows it).
    Absent,
    /// An attestation whose key proved possession, to check with [`Attestation::decide`].
    Offered(Box<Offered>),
    /// An attestation that cannot be checked at all (its key is not P-256, its evidence is not
    /// decodable or too large): [`Attestation::decide`] treats it as a failed check.
    Unusable {
        /// Its platform, for metrics.
        platform: &'static str,
        /// Why it cannot be checked.
        refusal: AttestationRefusal,
    },
}

/// Why an attestation was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttestationRefusal {
    /// The attested key is not a compressed P-256 point (phones' secure hardware holds P-256
    /// keys; an Ed25519 key cannot have been attested).
    KeyNotP256,
    /// The evidence is not base64url, or is over its size limits.
    Undecodable(String),
    /// An App Attest attestation, and this issuer has no app id configured.
    NoAppConfigured,
    /// The platform check refused it.
    Check(AttestationError),
}

impl AttestationRefusal {
    /// A short stable name, for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            AttestationRefusal::KeyNotP256 => "key_not_p256",
            AttestationRefusal::Undecodable(_) => "undecodable",
            AttestationRefusal::NoAppConfigured => "wrong_app",
            AttestationRefusal::Check(e) => match e {
                AttestationError::Malformed(_) => "malformed",
                AttestationError::UntrustedChain(_) => "untrusted_chain",
                AttestationError::CertificateNotValidNow => "certificate_not_valid_now",
                AttestationError::Revoked { .. } => "revoked",
                AttestationError::ChallengeMismatch => "challenge_mismatch",
                AttestationError::KeyMismatch => "key_mismatch",
                AttestationError::SoftwareKey => "software_key",
                AttestationError::WrongKeyProperties(_) => "wrong_key_properties",
                AttestationError::WrongApp => "wrong_app",
                AttestationError::CounterNotZero => "counter_not_zero",
                AttestationError::WrongEnvironment => "wrong_environment",
                AttestationError::KeyIdMismatch => "key_id_mismatch",
            },
        }
    }
}

impl std::fmt::Display for AttestationRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttestationRefusal::KeyNotP256 => {
                f.write_str("the attested key must be a compressed P-256 point (33 bytes)")
            }
            AttestationRefusal::Undecodable(what) => write!(f, "the evidence is unusable: {what}"),
            AttestationRefusal::NoAppConfigured => f.write_str(
                "the attestation is for another app (this issuer accepts no App Attest app)",
            ),
            AttestationRefusal::Check(e) => e.fmt(f),
        }
    }
}

/// The key a pass is issued to, and what the issuer knows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundKey {
    /// The holder key the pass binds.
    pub key: HolderPublicKey,
    /// How it is attested.
    pub assurance: KeyAssurance,
}

impl Attestation {
    /// Checks what the mode allows and the new key's own proof, before the code is checked:
    /// - off, with an attestation: 403 `attestation_invalid` ("this issuer does not check
    ///   attestations");
    /// - require, without one: 403 `attestation_required`;
    /// - a proof by the new key that does not check: 401 `bad_proof` (400 if it is not a
    ///   signature's length), whatever the mode.
    pub fn screen(
        &self,
        attestation: Option<&KeyAttestation>,
        challenge_id: &[u8; 16],
        metrics: &Metrics,
    ) -> Result<Screened, ApiError> {
        let Some(attestation) = attestation else {
            if self.mode == AttestationMode::Require {
                metrics.record_attestation_refused("none", "missing");
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    error_code::ATTESTATION_REQUIRED,
                    "this issuer requires a holder key attested by the phone's secure hardware",
                ));
            }
            return Ok(Screened::Absent);
        };
        if self.mode == AttestationMode::Off {
            return Err(invalid("this issuer does not check attestations"));
        }
        let proof = parse_proof(&attestation.proof)?;
        let platform = match attestation.evidence {
            AttestationEvidence::AndroidKeystore { .. } => ANDROID,
            AttestationEvidence::AppleAppAttest { .. } => APPLE,
        };
        let unusable = |refusal| Screened::Unusable { platform, refusal };
        let key = match b64_vec(&attestation.holder_key, P256_COMPRESSED_LEN)
            .and_then(|bytes| HolderPublicKey::from_bytes(&bytes).ok())
        {
            Some(key) if key.kind() == HolderKeyKind::P256 => key,
            _ => return Ok(unusable(AttestationRefusal::KeyNotP256)),
        };
        let message = enrolment_proof_message(challenge_id, &key.to_bytes());
        check_proof(
            &key,
            &message,
            &proof,
            "this challenge (the attested key's own proof)",
        )?;
        Ok(match decode(&attestation.evidence) {
            Ok(evidence) => Screened::Offered(Box::new(Offered { key, evidence })),
            Err(refusal) => unusable(refusal),
        })
    }

    /// Which key the pass binds: the attested one with its assurance when its evidence checks
    /// against this enrolment's challenge (derived from `code_secret`); otherwise, in prefer
    /// mode, `start_key` unattested (one log line and a metric say why), and in require mode
    /// 403 `attestation_invalid` with the reason.
    pub fn decide(
        &self,
        screened: Screened,
        start_key: &HolderPublicKey,
        code_secret: &[u8; 32],
        challenge_id: &[u8; 16],
        now: u64,
        metrics: &Metrics,
    ) -> Result<BoundKey, ApiError> {
        let unattested = BoundKey {
            key: *start_key,
            assurance: KeyAssurance::Unattested,
        };
        let (platform, refusal) = match screened {
            Screened::Absent => return Ok(unattested),
            Screened::Unusable { platform, refusal } => (platform, refusal),
            Screened::Offered(offered) => {
                let challenge = attestation_challenge(code_secret, challenge_id);
                let platform = offered.evidence.platform();
                match self.check(&offered, &challenge, now) {
                    Ok(assurance) => {
                        metrics.record_attestation_accepted(platform);
                        return Ok(BoundKey {
                            key: offered.key,
                            assurance,
                        });
                    }
                    Err(refusal) => (platform, refusal),
                }
            }
        };
        metrics.record_attestation_refused(platform, refusal.label());
        match self.mode {
            AttestationMode::Require => Err(invalid(&refusal.to_string())),
            AttestationMode::Off | AttestationMode::Prefer => {
                // The reason only: neither the subject nor the evidence is logged.
                eprintln!(
                    "doorpass-issuer: {platform} key attestation not accepted ({}): {refusal}; \
                     a pass issued for this completion binds the start key, unattested",
                    refusal.label()
                );
                Ok(unattested)
            }
        }
    }

    /// Runs the platform's check of `offered` against `challenge`.
    fn check(
        &self,
        offered: &Offered,
        challenge: &[u8; 32],
        now: u64,
    ) -> Result<KeyAssurance, AttestationRefusal> {
        let key = offered.key.to_bytes();
        match &offered.evidence {
            Evidence::Android { chain } => {
                verify_android_key_attestation(chain, &key, challenge, &self.android, now)
                    .map_err(AttestationRefusal::Check)
            }
            Evidence::Apple { key_id, object } => {
                let policy = self
                    .apple
                    .as_ref()
                    .ok_or(AttestationRefusal::NoAppConfigured)?;
                let client_data_hash: [u8; 32] =
                    Sha256::digest(attestation_client_data(challenge, &key)).into();
                verify_app_attest(object, key_id, &client_data_hash, policy, now)
                    .map_err(AttestationRefusal::Check)
            }
        }
    }
}

/// 403 `attestation_invalid` saying why.
fn invalid(reason: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        error_code::ATTESTATION_INVALID,
        format!("key attestation refused: {reason}"),
    )
}

/// Decodes the evidence's base64url within the size limits.
fn decode(evidence: &AttestationEvidence) -> Result<Evidence, AttestationRefusal> {
    let undecodable = |what: String| AttestationRefusal::Undecodable(what);
    match evidence {
        AttestationEvidence::AndroidKeystore { chain } => {
            if chain.is_empty() || chain.len() > MAX_CHAIN_CERTIFICATES {
                return Err(undecodable(format!(
                    "the chain has {} certificates (1 to {MAX_CHAIN_CERTIFICATES})",
                    chain.len()
                )));
            }
            let chain = chain
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    b64_vec(text, MAX_CERTIFICATE_LEN).ok_or_else(|| {
                        undecodable(format!(
                            "certificate {i} is not base64url of at most \
                             {MAX_CERTIFICATE_LEN} bytes"
                        ))
                    })
                })
                .collect::<Result<Vec<Vec<u8>>, _>>()?;
            let total: usize = chain.iter().map(Vec::len).sum();
            if total > MAX_ATTESTATION_EVIDENCE_LEN {
                return Err(undecodable(format!(
                    "the chain is {total} bytes (at most {MAX_ATTESTATION_EVIDENCE_LEN})"
                )));
            }
            Ok(Evidence::Android { chain })
        }
        AttestationEvidence::AppleAppAttest { key_id, object } => {
            let key_id = b64_vec(key_id, MAX_KEY_ID_LEN).ok_or_else(|| {
                undecodable(format!(
                    "the key id is not base64url of at most {MAX_KEY_ID_LEN} bytes"
                ))
            })?;
            let object = b64_vec(object, MAX_APP_ATTEST_OBJECT_LEN).ok_or_else(|| {
                undecodable(format!(
                    "the attestation object is not base64url of at most \
                     {MAX_APP_ATTEST_OBJECT_LEN} bytes"
                ))
            })?;
            Ok(Evidence::Apple { key_id, object })
        }
    }
}
