//! Android Keystore attestations built under a test root: the valid cases, then each refusal with
//! its exact error.

use doorpass_attestation::AttestationError;
use doorpass_attestation::android::{AndroidPolicy, verify_android_key_attestation};
use doorpass_attestation::testing::{
    ALGORITHM_RSA, AndroidChainBuilder, ORIGIN_IMPORTED, PURPOSE_ENCRYPT, PURPOSE_VERIFY,
    SECURITY_LEVEL_SOFTWARE, SECURITY_LEVEL_STRONG_BOX, TEST_NOW, TestRoot, test_holder_key,
};
use doorpass_format::KeyAssurance;

const CHALLENGE: &[u8] = b"issuer challenge for enrolment 1";

fn policy(root: &TestRoot) -> AndroidPolicy {
    AndroidPolicy {
        roots: vec![root.der().to_vec()],
        revoked_serials: vec![],
    }
}

fn verify(root: &TestRoot, chain: &[Vec<u8>]) -> Result<KeyAssurance, AttestationError> {
    verify_android_key_attestation(
        chain,
        &test_holder_key(1),
        CHALLENGE,
        &policy(root),
        TEST_NOW,
    )
}

fn builder(root: &TestRoot) -> AndroidChainBuilder<'_> {
    AndroidChainBuilder::new(root, &test_holder_key(1), CHALLENGE)
}

#[test]
fn a_tee_key_is_attested() {
    let root = TestRoot::new("test root");
    assert_eq!(
        verify(&root, &builder(&root).build()),
        Ok(KeyAssurance::AndroidTee)
    );
}

#[test]
fn a_strongbox_key_is_attested() {
    let root = TestRoot::new("test root");
    let chain = builder(&root)
        .security_level(SECURITY_LEVEL_STRONG_BOX)
        .build();
    assert_eq!(verify(&root, &chain), Ok(KeyAssurance::AndroidStrongBox));
}

#[test]
fn a_chain_without_its_root_is_attested_when_the_intermediate_is_signed_by_a_root() {
    let root = TestRoot::new("test root");
    let chain = builder(&root).without_root().build();
    assert_eq!(chain.len(), 2);
    assert_eq!(verify(&root, &chain), Ok(KeyAssurance::AndroidTee));
}

#[test]
fn a_chain_ending_in_an_expired_issue_of_a_trusted_roots_key_is_attested() {
    let root = TestRoot::new("test root");
    let mut chain = builder(&root).build();
    *chain.last_mut().unwrap() = root.expired_reissue();
    assert_eq!(verify(&root, &chain), Ok(KeyAssurance::AndroidTee));
    // The copy's key counts, not its name: another key under the same name is not a root.
    let impostor = TestRoot::new("test root");
    *chain.last_mut().unwrap() = impostor.expired_reissue();
    assert!(matches!(
        verify(&root, &chain),
        Err(AttestationError::UntrustedChain(_))
    ));
}

#[test]
fn an_uncompressed_holder_key_is_the_same_key() {
    let root = TestRoot::new("test root");
    let compressed = test_holder_key(1);
    let point = p256_uncompressed(&compressed);
    let chain = AndroidChainBuilder::new(&root, &point, CHALLENGE).build();
    assert_eq!(verify(&root, &chain), Ok(KeyAssurance::AndroidTee));
}

#[test]
fn another_challenge_is_refused() {
    let root = TestRoot::new("test root");
    let chain = builder(&root).challenge(b"another challenge").build();
    assert_eq!(
        verify(&root, &chain),
        Err(AttestationError::ChallengeMismatch)
    );
}

#[test]
fn a_replay_of_an_attestation_made_for_another_enrolment_is_refused() {
    let root = TestRoot::new("test root");
    // A genuine attestation for enrolment 1, presented again at enrolment 2.
    let earlier = builder(&root).build();
    let result = verify_android_key_attestation(
        &earlier,
        &test_holder_key(1),
        b"issuer challenge for enrolment 2",
        &policy(&root),
        TEST_NOW,
    );
    assert_eq!(result, Err(AttestationError::ChallengeMismatch));
}

#[test]
fn an_attestation_of_another_key_is_refused() {
    let root = TestRoot::new("test root");
    let chain = builder(&root).holder_key(&test_holder_key(2)).build();
    assert_eq!(verify(&root, &chain), Err(AttestationError::KeyMismatch));
}

#[test]
fn a_software_key_is_refused() {
    let root = TestRoot::new("test root");
    let chain = builder(&root)
        .security_level(SECURITY_LEVEL_SOFTWARE)
        .build();
    assert_eq!(verify(&root, &chain), Err(AttestationError::SoftwareKey));
}

#[test]
fn an_unknown_security_level_is_refused() {
    let root = TestRoot::new("test root");
    let chain = builder(&root).security_level(7).build();
    assert!(matches!(
        verify(&root, &chain),
        Err(AttestationError::Malformed(_))
    ));
}

#[test]
fn a_key_that_may_not_sign_is_refused() {
    let root = TestRoot::new("test root");
    let chain = builder(&root)
        .purposes(&[PURPOSE_ENCRYPT, PURPOSE_VERIFY])
        .build();
    assert!(matches!(
        verify(&root, &chain),
        Err(AttestationError::WrongKeyProperties(_))
    ));
}

#[test]
fn an_imported_key_is_refused() {
    let root = TestRoot::new("test root");
    let chain = builder(&root).origin(ORIGIN_IMPORTED).build();
    assert!(matches!(
        verify(&root, &chain),
        Err(AttestationError::WrongKeyProperties(why)) if why.contains("imported")
    ));
}

#[test]
fn a_key_of_another_algorithm_is_refused() {
    let root = TestRoot::new("test root");
    let chain = builder(&root).algorithm(ALGORITHM_RSA).build();
    assert!(matches!(
        verify(&root, &chain),
        Err(AttestationError::WrongKeyProperties(_))
    ));
}

#[test]
fn a_certificate_not_signed_by_the_next_is_refused() {
    let root = TestRoot::new("test root");
    let chain = builder(&root).unrelated_intermediate().build();
    assert!(matches!(
        verify(&root, &chain),
        Err(AttestationError::UntrustedChain(why)) if why.contains("certificate 0")
    ));
}

#[test]
fn a_chain_to_a_root_that_is_not_trusted_is_refused() {
    let root = TestRoot::new("test root");
    let other_root = TestRoot::new("a root the issuer does not trust");
    let chain = AndroidChainBuilder::new(&other_root, &test_holder_key(1), CHALLENGE).build();
    assert!(matches!(
        verify(&root, &chain),
        Err(AttestationError::UntrustedChain(why)) if why.contains("configured root")
    ));
    let chain = AndroidChainBuilder::new(&other_root, &test_holder_key(1), CHALLENGE)
        .without_root()
        .build();
    assert!(matches!(
        verify(&root, &chain),
        Err(AttestationError::UntrustedChain(_))
    ));
}

#[test]
fn the_production_roots_do_not_trust_a_test_chain() {
    let root = TestRoot::new("test root");
    let policy = AndroidPolicy {
        roots: doorpass_attestation::roots::google_hardware_attestation_roots(),
        revoked_serials: vec![],
    };
    let result = verify_android_key_attestation(
        &builder(&root).build(),
        &test_holder_key(1),
        CHALLENGE,
        &policy,
        TEST_NOW,
    );
    assert!(matches!(result, Err(AttestationError::UntrustedChain(_))));
}

#[test]
fn a_chain_extended_below_a_genuine_attestation_is_refused() {
    let root = TestRoot::new("test root");
    let chain = builder(&root).extended_below_attestation().build();
    assert!(matches!(
        verify(&root, &chain),
        Err(AttestationError::UntrustedChain(why)) if why.contains("key description")
    ));
}

#[test]
fn an_expired_certificate_is_refused() {
    let root = TestRoot::new("test root");
    let chain = builder(&root).expired().build();
    assert_eq!(
        verify(&root, &chain),
        Err(AttestationError::CertificateNotValidNow)
    );
}

#[test]
fn a_leaf_dated_ahead_by_the_phones_clock_is_accepted() {
    // Keystore dates the leaf with the phone's clock; a phone far ahead must not be refused.
    let root = TestRoot::new("test root");
    let chain = builder(&root).dated_ahead().build();
    assert_eq!(verify(&root, &chain), Ok(KeyAssurance::AndroidTee));
}

#[test]
fn a_time_before_the_certificates_is_refused() {
    let root = TestRoot::new("test root");
    let result = verify_android_key_attestation(
        &builder(&root).build(),
        &test_holder_key(1),
        CHALLENGE,
        &policy(&root),
        1_000_000_000, // 2001
    );
    assert_eq!(result, Err(AttestationError::CertificateNotValidNow));
}

#[test]
fn a_revoked_serial_is_refused_however_it_is_written() {
    let root = TestRoot::new("test root");
    let chain = builder(&root)
        .serial(&[0x00, 0x0a, 0xbc, 0xde, 0xf1])
        .build();
    for listed in ["abcdef1", "0ABCDEF1", "000abcdef1"] {
        let policy = AndroidPolicy {
            roots: vec![root.der().to_vec()],
            revoked_serials: vec!["123".into(), listed.into()],
        };
        let result = verify_android_key_attestation(
            &chain,
            &test_holder_key(1),
            CHALLENGE,
            &policy,
            TEST_NOW,
        );
        assert_eq!(
            result,
            Err(AttestationError::Revoked {
                serial: "abcdef1".into()
            }),
            "listed as {listed}"
        );
    }
    assert_eq!(verify(&root, &chain), Ok(KeyAssurance::AndroidTee));
}

#[test]
fn a_leaf_without_key_description_is_refused() {
    let root = TestRoot::new("test root");
    let chain = builder(&root).without_key_description().build();
    assert!(matches!(
        verify(&root, &chain),
        Err(AttestationError::Malformed(_))
    ));
}

#[test]
fn an_empty_chain_and_a_holder_key_off_the_curve_are_refused() {
    let root = TestRoot::new("test root");
    assert!(matches!(
        verify(&root, &[]),
        Err(AttestationError::Malformed(_))
    ));
    // x = 2^256 - 1 is not below the field prime; 10 bytes is no point at all.
    let x_too_large = [&[0x02][..], &[0xff; 32]].concat();
    for holder_key in [x_too_large, vec![0x04; 10]] {
        let result = verify_android_key_attestation(
            &builder(&root).build(),
            &holder_key,
            CHALLENGE,
            &policy(&root),
            TEST_NOW,
        );
        assert!(matches!(result, Err(AttestationError::Malformed(_))));
    }
}

fn p256_uncompressed(compressed: &[u8]) -> Vec<u8> {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    p256::PublicKey::from_sec1_bytes(compressed)
        .unwrap()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec()
}
