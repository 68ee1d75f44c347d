//! Android Keystore key attestation.

use doorpass_format::KeyAssurance;

use crate::AttestationError;
use crate::chain::{
    TrustAnchors, extension_value, p256_public_point, uncompressed_p256, verify_chain,
};
use crate::key_description::{
    ALGORITHM_EC, KEY_DESCRIPTION_OID, KeyDescription, ORIGIN_GENERATED, PURPOSE_SIGN,
    SECURITY_LEVEL_SOFTWARE, SECURITY_LEVEL_STRONG_BOX, SECURITY_LEVEL_TRUSTED_ENVIRONMENT,
};

/// What the issuer trusts and requires of Android attestations.
#[derive(Debug, Clone)]
pub struct AndroidPolicy {
    /// Trusted root certificates, DER (Google's hardware attestation roots in production).
    pub roots: Vec<Vec<u8>>,
    /// Revoked certificate serial numbers, lowercase hex without leading zeros (as Google's
    /// attestation status list names them).
    pub revoked_serials: Vec<String>,
}

/// Checks an Android Keystore attestation `chain` (DER, leaf first) for `holder_key` (a P-256
/// compressed SEC1 point, 33 bytes) and `challenge`, at `now` (Unix seconds). Returns the
/// attested security level.
///
/// In order: the chain (each certificate signed by the next, the last by a root of `policy`,
/// all valid at `now`, none revoked); only the leaf carries a KeyDescription (a certificate
/// made below a genuine attestation, by an attested key, is refused); the leaf's key is the
/// holder key; the challenge; the security level (TEE or StrongBox); and, in the hardware
/// enforced list, purpose SIGN, algorithm EC and origin GENERATED.
pub fn verify_android_key_attestation(
    chain: &[Vec<u8>],
    holder_key: &[u8],
    challenge: &[u8],
    policy: &AndroidPolicy,
    now: u64,
) -> Result<KeyAssurance, AttestationError> {
    let holder_point = uncompressed_p256(holder_key)
        .ok_or_else(|| AttestationError::Malformed("the holder key is not a P-256 point".into()))?;
    let anchors = TrustAnchors {
        roots: &policy.roots,
        revoked_serials: &policy.revoked_serials,
    };
    let certificates = verify_chain(chain, &anchors, now)?;
    let leaf = &certificates[0];
    if certificates[1..]
        .iter()
        .any(|certificate| extension_value(certificate, KEY_DESCRIPTION_OID).is_some())
    {
        return Err(AttestationError::UntrustedChain(
            "a certificate above the leaf carries a key description: the chain was extended \
             below a genuine attestation"
                .into(),
        ));
    }
    let extension = extension_value(leaf, KEY_DESCRIPTION_OID).ok_or_else(|| {
        AttestationError::Malformed("the leaf has no KeyDescription extension".into())
    })?;
    let description = KeyDescription::parse(extension)?;
    if p256_public_point(leaf).as_deref() != Some(holder_point.as_slice()) {
        return Err(AttestationError::KeyMismatch);
    }
    if description.challenge != challenge {
        return Err(AttestationError::ChallengeMismatch);
    }
    let assurance = match description.attestation_security_level {
        SECURITY_LEVEL_TRUSTED_ENVIRONMENT => KeyAssurance::AndroidTee,
        SECURITY_LEVEL_STRONG_BOX => KeyAssurance::AndroidStrongBox,
        SECURITY_LEVEL_SOFTWARE => return Err(AttestationError::SoftwareKey),
        other => {
            return Err(AttestationError::Malformed(format!(
                "unknown attestation security level {other}"
            )));
        }
    };
    let hardware = &description.hardware_enforced;
    if !hardware.purposes.contains(&PURPOSE_SIGN) {
        return Err(AttestationError::WrongKeyProperties(
            "the hardware does not enforce the purpose SIGN".into(),
        ));
    }
    if hardware.algorithm != Some(ALGORITHM_EC) {
        return Err(AttestationError::WrongKeyProperties(
            "the hardware does not enforce the algorithm EC".into(),
        ));
    }
    if hardware.origin != Some(ORIGIN_GENERATED) {
        return Err(AttestationError::WrongKeyProperties(
            "the key was not generated in the hardware (imported?)".into(),
        ));
    }
    Ok(assurance)
}
