//! Key attestation at enrolment (issue 22, part 3): whether the issuer asks for it
//! ([`AttestationMode`]), what it trusts ([`AttestationConfig`], loaded into [`Attestation`] by
//! [`policy`]), the challenge each start answer carries ([`attestation_challenge`]), and what a
//! completion's attestation decides ([`completion`]). The checks themselves are the
//! `doorpass-attestation` crate's.

pub mod completion;
pub mod policy;

use std::path::PathBuf;

use doorpass_attestation::android::AndroidPolicy;
use doorpass_attestation::apple::{AppAttestEnvironment, ApplePolicy};
use doorpass_format::api::ATTESTATION_CHALLENGE_LEN;
use sha2::{Digest, Sha256};

pub use completion::{AttestationRefusal, BoundKey, Screened};
pub use policy::AttestationSetupError;

/// Whether the issuer asks for key attestations, and what it does without a good one
/// (`issuer serve --attestation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttestationMode {
    /// No challenge is offered; a completion that carries an attestation anyway is refused
    /// (`attestation_invalid`), so a misconfiguration shows.
    #[default]
    Off,
    /// A challenge is offered; a pass bound to an attested key records its assurance, and a
    /// completion without a good attestation still gets a pass, unattested, bound to the start key.
    Prefer,
    /// A challenge is offered and a good attestation is required: without one, 403
    /// `attestation_required`; with a bad one, 403 `attestation_invalid`.
    Require,
}

impl AttestationMode {
    /// The mode's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            AttestationMode::Off => "off",
            AttestationMode::Prefer => "prefer",
            AttestationMode::Require => "require",
        }
    }
}

impl std::str::FromStr for AttestationMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "off" => Ok(AttestationMode::Off),
            "prefer" => Ok(AttestationMode::Prefer),
            "require" => Ok(AttestationMode::Require),
            other => Err(format!("{other:?} is not off, prefer or require")),
        }
    }
}

/// What the issuer trusts for key attestations: files named on the command line, read when the
/// issuer opens (restart it to read them again).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttestationConfig {
    /// Off (the default), prefer or require.
    pub mode: AttestationMode,
    /// Android attestation roots (PEM, one or more certificates); `None`: the roots bundled with
    /// `doorpass-attestation` (Google's hardware attestation roots).
    pub android_roots: Option<PathBuf>,
    /// Google's attestation status list (JSON, `{"entries": {"<serial hex>": {"status": ...}}}`):
    /// certificates listed as `REVOKED` or `SUSPENDED` are refused. `None`: no revocation list.
    pub android_revocations: Option<PathBuf>,
    /// The iOS app's id, `TEAMID.bundle.id`; `None`: App Attest attestations are refused
    /// (as for another app).
    pub apple_app_id: Option<String>,
    /// Apple's App Attestation root (PEM); `None`: the root bundled with `doorpass-attestation`.
    pub apple_root: Option<PathBuf>,
    /// Which App Attest environment attestations must come from (production by default).
    pub apple_environment: AppleEnvironment,
}

/// App Attest's environments, as configured (`--apple-attestation-environment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppleEnvironment {
    /// App Store builds (the default).
    #[default]
    Production,
    /// Builds run from Xcode.
    Development,
}

impl From<AppleEnvironment> for AppAttestEnvironment {
    fn from(environment: AppleEnvironment) -> Self {
        match environment {
            AppleEnvironment::Production => AppAttestEnvironment::Production,
            AppleEnvironment::Development => AppAttestEnvironment::Development,
        }
    }
}

/// The attestation settings in force, loaded from an [`AttestationConfig`] by
/// [`Attestation::load`].
#[derive(Debug, Clone)]
pub struct Attestation {
    /// Off, prefer or require.
    pub mode: AttestationMode,
    /// Roots and revoked serials for Android attestations.
    pub android: AndroidPolicy,
    /// Root, app id and environment for App Attest; `None` without an app id.
    pub apple: Option<ApplePolicy>,
}

impl Attestation {
    /// Off: no challenge, no roots.
    pub fn off() -> Self {
        Attestation {
            mode: AttestationMode::Off,
            android: AndroidPolicy {
                roots: Vec::new(),
                revoked_serials: Vec::new(),
            },
            apple: None,
        }
    }

    /// Whether start answers carry a challenge.
    pub fn offers_challenge(&self) -> bool {
        self.mode != AttestationMode::Off
    }
}

/// The attestation challenge of the enrolment `challenge_id`: a keyed hash of it under the
/// issuer's code secret, domain-separated from the code hash and the completion seal. Every node
/// of the issuer derives the same one, so nothing is stored; each start gets its own, so an
/// attestation made for another enrolment (a replay) answers the wrong challenge.
pub fn attestation_challenge(
    secret: &[u8; 32],
    challenge_id: &[u8; 16],
) -> [u8; ATTESTATION_CHALLENGE_LEN] {
    Sha256::new()
        .chain_update(b"doorpass attestation challenge v1")
        .chain_update(secret)
        .chain_update(challenge_id)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{code_hash, completion_seal_key};

    #[test]
    fn the_challenge_is_keyed_per_enrolment_and_apart_from_the_other_hashes() {
        let challenge = attestation_challenge(&[1; 32], &[2; 16]);
        assert_eq!(challenge, attestation_challenge(&[1; 32], &[2; 16]));
        assert_ne!(challenge, attestation_challenge(&[9; 32], &[2; 16]));
        assert_ne!(challenge, attestation_challenge(&[1; 32], &[3; 16]));
        assert_ne!(challenge, code_hash(&[1; 32], &[2; 16], ""));
        assert_ne!(challenge, completion_seal_key(&[1; 32], &[2; 16], ""));
    }

    #[test]
    fn modes_parse_by_name_only() {
        for mode in [
            AttestationMode::Off,
            AttestationMode::Prefer,
            AttestationMode::Require,
        ] {
            assert_eq!(mode.name().parse::<AttestationMode>(), Ok(mode));
        }
        assert!("on".parse::<AttestationMode>().is_err());
        assert!("Require".parse::<AttestationMode>().is_err());
    }
}
