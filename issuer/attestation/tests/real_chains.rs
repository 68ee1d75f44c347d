//! Real attestation chains from Pixel phones (tests/data/android/README.md) against the bundled
//! Google roots: the new ECDSA P-384 root, the RSA-4096 root through its 2019 and 2016 issues.

use doorpass_attestation::AttestationError;
use doorpass_attestation::android::{AndroidPolicy, verify_android_key_attestation};
use doorpass_attestation::roots::{certificates_from_pem, google_hardware_attestation_roots};
use doorpass_format::KeyAssurance;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use x509_parser::prelude::{FromDer, X509Certificate};

struct RealChain {
    chain: Vec<Vec<u8>>,
    holder_key: Vec<u8>,
    challenge: &'static [u8],
}

fn real_chain(pem: &str, challenge: &'static [u8]) -> RealChain {
    let chain = certificates_from_pem(pem).unwrap();
    let (_, leaf) = X509Certificate::from_der(&chain[0]).unwrap();
    let point = &leaf.public_key().subject_public_key.data;
    let holder_key = p256::PublicKey::from_sec1_bytes(point)
        .unwrap()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec();
    RealChain {
        chain,
        holder_key,
        challenge,
    }
}

fn pixel9a_tee() -> RealChain {
    real_chain(
        include_str!("data/android/pixel9a_tee_ec_key_attestation_ca1.pem"),
        b"6417f92c-daef-4cc1-8828-5bb39338ffd5",
    )
}

fn pixel9pro_strongbox() -> RealChain {
    real_chain(
        include_str!("data/android/pixel9pro_strongbox_ec_rsa_root_2019.pem"),
        b"7ccac1ea-4845-482e-858d-f6fa9aa8c295",
    )
}

fn pixel3_tee() -> RealChain {
    real_chain(
        include_str!("data/android/pixel3_tee_ec_rsa_root_2016.pem"),
        b"challenge",
    )
}

fn google_policy() -> AndroidPolicy {
    AndroidPolicy {
        roots: google_hardware_attestation_roots(),
        revoked_serials: vec![],
    }
}

fn verify(
    real: &RealChain,
    policy: &AndroidPolicy,
    now: u64,
) -> Result<KeyAssurance, AttestationError> {
    verify_android_key_attestation(&real.chain, &real.holder_key, real.challenge, policy, now)
}

/// 2026-03-01: inside the Pixel 9a chain's shortest validity (2026-02-22 to 2026-03-08).
const PIXEL_9A_TIME: u64 = 1_772_323_200;
/// 2025-10-01: inside the Pixel 9 Pro chain's shortest validity (2025-09-25 to 2025-10-03).
const PIXEL_9_PRO_TIME: u64 = 1_759_276_800;
/// 2027-01-01: after the 2016 root issue expired (2026-05-24), before the Pixel 3's
/// intermediates do (2028-07-20).
const PIXEL_3_TIME: u64 = 1_798_761_600;

#[test]
fn a_pixel_9a_tee_key_under_the_new_ec_root_is_attested() {
    assert_eq!(
        verify(&pixel9a_tee(), &google_policy(), PIXEL_9A_TIME),
        Ok(KeyAssurance::AndroidTee)
    );
}

#[test]
fn a_pixel_9_pro_strongbox_key_under_the_2019_issue_of_the_rsa_root_is_attested() {
    assert_eq!(
        verify(&pixel9pro_strongbox(), &google_policy(), PIXEL_9_PRO_TIME),
        Ok(KeyAssurance::AndroidStrongBox)
    );
}

#[test]
fn a_pixel_3_chain_ending_in_the_expired_2016_root_issue_is_attested_by_the_bundled_issue() {
    assert_eq!(
        verify(&pixel3_tee(), &google_policy(), PIXEL_3_TIME),
        Ok(KeyAssurance::AndroidTee)
    );
}

#[test]
fn the_rkp_chains_are_refused_once_their_short_lived_certificates_expired() {
    // Remote Key Provisioning certificates live days to weeks: a stored chain does not stay valid.
    assert_eq!(
        verify(
            &pixel9a_tee(),
            &google_policy(),
            PIXEL_9A_TIME + 30 * 86_400
        ),
        Err(AttestationError::CertificateNotValidNow)
    );
    assert_eq!(
        verify(
            &pixel9pro_strongbox(),
            &google_policy(),
            PIXEL_9_PRO_TIME + 30 * 86_400
        ),
        Err(AttestationError::CertificateNotValidNow)
    );
}

#[test]
fn a_real_chain_for_another_challenge_or_key_is_refused() {
    let mut real = pixel9a_tee();
    real.challenge = b"another enrolment's challenge";
    assert_eq!(
        verify(&real, &google_policy(), PIXEL_9A_TIME),
        Err(AttestationError::ChallengeMismatch)
    );
    let mut real = pixel9a_tee();
    real.holder_key = pixel9pro_strongbox().holder_key;
    assert_eq!(
        verify(&real, &google_policy(), PIXEL_9A_TIME),
        Err(AttestationError::KeyMismatch)
    );
}

#[test]
fn a_real_chain_with_a_revoked_intermediate_is_refused() {
    let policy = AndroidPolicy {
        revoked_serials: vec!["2C85CDC15C3042F25698906669C35137".into()],
        ..google_policy()
    };
    assert_eq!(
        verify(&pixel9a_tee(), &policy, PIXEL_9A_TIME),
        Err(AttestationError::Revoked {
            serial: "2c85cdc15c3042f25698906669c35137".into()
        })
    );
}

#[test]
fn a_real_chain_is_not_trusted_without_its_root() {
    let only_rsa = AndroidPolicy {
        roots: vec![google_hardware_attestation_roots()[0].clone()],
        revoked_serials: vec![],
    };
    assert!(matches!(
        verify(&pixel9a_tee(), &only_rsa, PIXEL_9A_TIME),
        Err(AttestationError::UntrustedChain(_))
    ));
    let only_ec = AndroidPolicy {
        roots: vec![google_hardware_attestation_roots()[1].clone()],
        revoked_serials: vec![],
    };
    assert!(matches!(
        verify(&pixel9pro_strongbox(), &only_ec, PIXEL_9_PRO_TIME),
        Err(AttestationError::UntrustedChain(_))
    ));
}
