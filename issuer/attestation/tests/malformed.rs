//! Bad input never panics: truncations and single-byte changes of valid evidence, random bytes,
//! and hostile DER in the KeyDescription are refused with an error.

use doorpass_attestation::AttestationError;
use doorpass_attestation::android::{AndroidPolicy, verify_android_key_attestation};
use doorpass_attestation::apple::{AppAttestEnvironment, ApplePolicy, verify_app_attest};
use doorpass_attestation::testing::{
    AndroidChainBuilder, AppAttestBuilder, TEST_NOW, TestRoot, test_holder_key,
};
use proptest::prelude::*;

const CHALLENGE: &[u8] = b"challenge";
const APP_ID: &str = "TEAMID1234.org.doorpass.wallet";

fn android_policy(root: &TestRoot) -> AndroidPolicy {
    AndroidPolicy {
        roots: vec![root.der().to_vec()],
        revoked_serials: vec![],
    }
}

fn apple_policy(root: &TestRoot) -> ApplePolicy {
    ApplePolicy {
        root: root.der().to_vec(),
        app_id: APP_ID.into(),
        environment: AppAttestEnvironment::Production,
    }
}

#[test]
fn every_truncation_of_every_android_certificate_is_refused() {
    let root = TestRoot::new("test root");
    let chain = AndroidChainBuilder::new(&root, &test_holder_key(1), CHALLENGE).build();
    let policy = android_policy(&root);
    for index in 0..chain.len() {
        for length in 0..chain[index].len() {
            let mut damaged = chain.clone();
            damaged[index].truncate(length);
            let result = verify_android_key_attestation(
                &damaged,
                &test_holder_key(1),
                CHALLENGE,
                &policy,
                TEST_NOW,
            );
            assert!(result.is_err(), "certificate {index} cut at {length}");
        }
    }
}

#[test]
fn every_single_byte_change_of_the_android_leaf_is_refused() {
    let root = TestRoot::new("test root");
    let chain = AndroidChainBuilder::new(&root, &test_holder_key(1), CHALLENGE).build();
    let policy = android_policy(&root);
    for position in 0..chain[0].len() {
        let mut damaged = chain.clone();
        damaged[0][position] ^= 0x01;
        let result = verify_android_key_attestation(
            &damaged,
            &test_holder_key(1),
            CHALLENGE,
            &policy,
            TEST_NOW,
        );
        assert!(result.is_err(), "byte {position} changed");
    }
}

#[test]
fn every_truncation_of_an_app_attest_object_is_refused() {
    let root = TestRoot::new("test root");
    let attestation = AppAttestBuilder::new(&root, APP_ID, &[9; 32]).build();
    let policy = apple_policy(&root);
    for length in 0..attestation.object.len() {
        let result = verify_app_attest(
            &attestation.object[..length],
            &attestation.key_id,
            &[9; 32],
            &policy,
            TEST_NOW,
        );
        assert!(result.is_err(), "object cut at {length}");
    }
    assert!(
        verify_app_attest(
            &attestation.object,
            &attestation.key_id,
            &[9; 32],
            &policy,
            TEST_NOW
        )
        .is_ok()
    );
}

#[test]
fn an_app_attest_object_of_another_shape_is_malformed() {
    let root = TestRoot::new("test root");
    let policy = apple_policy(&root);
    let mut not_a_map = Vec::new();
    ciborium::ser::into_writer(&ciborium::Value::Array(vec![]), &mut not_a_map).unwrap();
    // 200 nested arrays: deeper than anything real, must not overflow the stack.
    let nested = [vec![0x81; 200], vec![0x00]].concat();
    for object in [not_a_map, nested, vec![0xff], Vec::new()] {
        let result = verify_app_attest(&object, &[0; 32], &[0; 32], &policy, TEST_NOW);
        assert!(matches!(result, Err(AttestationError::Malformed(_))));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_android_chains_are_refused_without_panic(
        chain in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..4),
    ) {
        let root = TestRoot::new("test root");
        let result = verify_android_key_attestation(
            &chain, &test_holder_key(1), CHALLENGE, &android_policy(&root), TEST_NOW,
        );
        prop_assert!(result.is_err());
    }

    #[test]
    fn random_app_attest_objects_are_refused_without_panic(
        object in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let root = TestRoot::new("test root");
        let result = verify_app_attest(&object, &[0; 32], &[0; 32], &apple_policy(&root), TEST_NOW);
        prop_assert!(result.is_err());
    }
}
