//! App Attest attestation objects built under a test root: the valid cases, then each refusal
//! with its exact error.

use doorpass_attestation::AttestationError;
use doorpass_attestation::apple::{AppAttestEnvironment, ApplePolicy, verify_app_attest};
use doorpass_attestation::testing::{AppAttestBuilder, TEST_NOW, TestRoot};
use doorpass_format::KeyAssurance;
use sha2::{Digest, Sha256};

const APP_ID: &str = "TEAMID1234.org.doorpass.wallet";

fn client_data_hash(challenge: &[u8]) -> [u8; 32] {
    Sha256::digest(challenge).into()
}

fn policy(root: &TestRoot, environment: AppAttestEnvironment) -> ApplePolicy {
    ApplePolicy {
        root: root.der().to_vec(),
        app_id: APP_ID.into(),
        environment,
    }
}

fn verify_production(
    root: &TestRoot,
    object: &[u8],
    key_id: &[u8],
) -> Result<KeyAssurance, AttestationError> {
    let policy = policy(root, AppAttestEnvironment::Production);
    verify_app_attest(
        object,
        key_id,
        &client_data_hash(b"challenge 1"),
        &policy,
        TEST_NOW,
    )
}

fn builder(root: &TestRoot) -> AppAttestBuilder<'_> {
    AppAttestBuilder::new(root, APP_ID, &client_data_hash(b"challenge 1"))
}

#[test]
fn a_production_attestation_is_accepted() {
    let root = TestRoot::new("test app attestation root");
    let attestation = builder(&root).build();
    assert_eq!(
        verify_production(&root, &attestation.object, &attestation.key_id),
        Ok(KeyAssurance::AppleAppAttest)
    );
}

#[test]
fn a_development_attestation_is_accepted_by_a_development_policy() {
    let root = TestRoot::new("test app attestation root");
    let attestation = builder(&root)
        .environment(AppAttestEnvironment::Development)
        .build();
    let policy = policy(&root, AppAttestEnvironment::Development);
    let result = verify_app_attest(
        &attestation.object,
        &attestation.key_id,
        &client_data_hash(b"challenge 1"),
        &policy,
        TEST_NOW,
    );
    assert_eq!(result, Ok(KeyAssurance::AppleAppAttest));
}

#[test]
fn another_app_is_refused() {
    let root = TestRoot::new("test app attestation root");
    let attestation = builder(&root)
        .app_id("OTHERTEAM1.org.doorpass.wallet")
        .build();
    assert_eq!(
        verify_production(&root, &attestation.object, &attestation.key_id),
        Err(AttestationError::WrongApp)
    );
}

#[test]
fn an_unset_app_id_refuses_every_attestation() {
    let root = TestRoot::new("test app attestation root");
    let attestation = builder(&root).build();
    let policy = ApplePolicy {
        app_id: String::new(),
        ..policy(&root, AppAttestEnvironment::Production)
    };
    let result = verify_app_attest(
        &attestation.object,
        &attestation.key_id,
        &client_data_hash(b"challenge 1"),
        &policy,
        TEST_NOW,
    );
    assert_eq!(result, Err(AttestationError::WrongApp));
}

#[test]
fn a_key_used_before_is_refused() {
    let root = TestRoot::new("test app attestation root");
    let attestation = builder(&root).counter(1).build();
    assert_eq!(
        verify_production(&root, &attestation.object, &attestation.key_id),
        Err(AttestationError::CounterNotZero)
    );
}

#[test]
fn the_wrong_environment_is_refused_both_ways() {
    let root = TestRoot::new("test app attestation root");
    let development = builder(&root)
        .environment(AppAttestEnvironment::Development)
        .build();
    assert_eq!(
        verify_production(&root, &development.object, &development.key_id),
        Err(AttestationError::WrongEnvironment)
    );
    let production = builder(&root).build();
    let result = verify_app_attest(
        &production.object,
        &production.key_id,
        &client_data_hash(b"challenge 1"),
        &policy(&root, AppAttestEnvironment::Development),
        TEST_NOW,
    );
    assert_eq!(result, Err(AttestationError::WrongEnvironment));
}

#[test]
fn another_key_id_is_refused() {
    let root = TestRoot::new("test app attestation root");
    let attestation = builder(&root).build();
    let other = builder(&root).build();
    assert_eq!(
        verify_production(&root, &attestation.object, &other.key_id),
        Err(AttestationError::KeyIdMismatch)
    );
}

#[test]
fn a_credential_id_that_is_not_the_key_id_is_refused() {
    let root = TestRoot::new("test app attestation root");
    let attestation = builder(&root).credential_id(&[7; 32]).build();
    assert_eq!(
        verify_production(&root, &attestation.object, &attestation.key_id),
        Err(AttestationError::KeyIdMismatch)
    );
}

#[test]
fn a_wrong_nonce_is_refused() {
    let root = TestRoot::new("test app attestation root");
    let attestation = builder(&root).nonce(&[0; 32]).build();
    assert_eq!(
        verify_production(&root, &attestation.object, &attestation.key_id),
        Err(AttestationError::ChallengeMismatch)
    );
}

#[test]
fn a_replay_of_an_attestation_made_for_another_challenge_is_refused() {
    let root = TestRoot::new("test app attestation root");
    let earlier = AppAttestBuilder::new(&root, APP_ID, &client_data_hash(b"challenge 0")).build();
    assert_eq!(
        verify_production(&root, &earlier.object, &earlier.key_id),
        Err(AttestationError::ChallengeMismatch)
    );
}

#[test]
fn an_untrusted_root_is_refused() {
    let root = TestRoot::new("test app attestation root");
    let other_root = TestRoot::new("another root");
    let attestation = builder(&other_root).build();
    assert!(matches!(
        verify_production(&root, &attestation.object, &attestation.key_id),
        Err(AttestationError::UntrustedChain(_))
    ));
    let production = ApplePolicy {
        root: doorpass_attestation::roots::apple_app_attestation_root(),
        ..policy(&root, AppAttestEnvironment::Production)
    };
    let result = verify_app_attest(
        &attestation.object,
        &attestation.key_id,
        &client_data_hash(b"challenge 1"),
        &production,
        TEST_NOW,
    );
    assert!(matches!(result, Err(AttestationError::UntrustedChain(_))));
}

#[test]
fn an_expired_leaf_is_refused() {
    let root = TestRoot::new("test app attestation root");
    let attestation = builder(&root).expired().build();
    assert_eq!(
        verify_production(&root, &attestation.object, &attestation.key_id),
        Err(AttestationError::CertificateNotValidNow)
    );
}

#[test]
fn an_enrolment_attestation_binds_the_challenge_and_the_holder_key() {
    use doorpass_attestation::testing::test_holder_key;
    use doorpass_format::api::attestation_client_data;
    let root = TestRoot::new("test app attestation root");
    let (challenge, holder_key) = ([5; 32], test_holder_key(3));
    let attestation =
        AppAttestBuilder::for_enrolment(&root, APP_ID, &challenge, &holder_key).build();
    let policy = policy(&root, AppAttestEnvironment::Production);
    let verify = |holder_key: &[u8]| {
        let hash: [u8; 32] = Sha256::digest(attestation_client_data(&challenge, holder_key)).into();
        verify_app_attest(
            &attestation.object,
            &attestation.key_id,
            &hash,
            &policy,
            TEST_NOW,
        )
    };
    assert_eq!(verify(&holder_key), Ok(KeyAssurance::AppleAppAttest));
    // The same attestation with another holder key (a software key swapped in) answers nothing.
    assert_eq!(
        verify(&test_holder_key(4)),
        Err(AttestationError::ChallengeMismatch)
    );
}
