//! The production roots bundled in the crate, and Apple's published sample attestation checked
//! against the real Apple root.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use doorpass_attestation::AttestationError;
use doorpass_attestation::apple::{AppAttestEnvironment, ApplePolicy, verify_app_attest_over};
use doorpass_attestation::roots::{
    APPLE_APP_ATTESTATION_ROOT_PEM, GOOGLE_ROOT_EC_PEM, GOOGLE_ROOT_RSA_PEM, TrustFileError,
    apple_app_attestation_root, certificates_from_pem, google_hardware_attestation_roots,
    revoked_serials_from_status_list,
};
use doorpass_format::KeyAssurance;
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate};

/// SHA-256 fingerprints of the roots' DER, as the publishers' pages are quoted by independent
/// verifiers (see docs/holder-keys.md "Key attestation").
const GOOGLE_RSA_SHA256: &str = "cedb1cb6dc896ae5ec797348bce9286753c2b38ee71ce0fbe34a9a1248800dfc";
const GOOGLE_EC_SHA256: &str = "6d9db4ce6c5c0b293166d08986e05774a8776ceb525d9e4329520de12ba4bcc0";
const APPLE_SHA256: &str = "1cb9823ba28ba6ad2d33a006941de2ae4f513ef1d4e831b9f7e0fa7b6242c932";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn assert_self_signed_root(pem: &str, fingerprint: &str, subject_part: &str) {
    let ders = certificates_from_pem(pem).unwrap();
    assert_eq!(ders.len(), 1);
    assert_eq!(hex(&Sha256::digest(&ders[0])), fingerprint);
    let (_, certificate) = X509Certificate::from_der(&ders[0]).unwrap();
    assert_eq!(certificate.subject(), certificate.issuer());
    assert!(certificate.subject().to_string().contains(subject_part));
    certificate
        .verify_signature(None)
        .expect("the root signs itself");
    assert!(certificate.is_ca());
}

#[test]
fn the_bundled_roots_parse_are_self_signed_and_have_the_published_fingerprints() {
    assert_self_signed_root(GOOGLE_ROOT_RSA_PEM, GOOGLE_RSA_SHA256, "f92009e853b6b045");
    assert_self_signed_root(GOOGLE_ROOT_EC_PEM, GOOGLE_EC_SHA256, "Key Attestation CA1");
    assert_self_signed_root(
        APPLE_APP_ATTESTATION_ROOT_PEM,
        APPLE_SHA256,
        "Apple App Attestation Root CA",
    );
    let google = google_hardware_attestation_roots();
    assert_eq!(google.len(), 2);
    assert_eq!(
        hex(&Sha256::digest(apple_app_attestation_root())),
        APPLE_SHA256
    );
}

#[test]
fn a_pem_file_of_several_roots_loads_and_a_broken_one_is_refused() {
    let both = format!("# Google roots\n{GOOGLE_ROOT_RSA_PEM}\n{GOOGLE_ROOT_EC_PEM}");
    assert_eq!(
        certificates_from_pem(&both).unwrap(),
        google_hardware_attestation_roots()
    );
    assert_eq!(
        certificates_from_pem("no PEM here"),
        Err(TrustFileError::NoCertificate)
    );
    let key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert!(matches!(
        certificates_from_pem(key),
        Err(TrustFileError::BadCertificate { index: 0, .. })
    ));
    let damaged = GOOGLE_ROOT_EC_PEM.replace("MIIC", "MIID");
    assert!(matches!(
        certificates_from_pem(&damaged),
        Err(TrustFileError::BadCertificate { .. })
    ));
}

#[test]
fn googles_status_list_gives_the_revoked_and_suspended_serials() {
    let json = r#"{"entries": {
        "2c8cdddfd5e03bfc": {"status": "REVOKED", "expires": "2020-11-13", "reason": "KEY_COMPROMISE"},
        "00c8966fcb2fbe32": {"status": "SUSPENDED", "reason": "SOFTWARE_FLAW"},
        "abc": {"status": "SOMETHING_NEW"}
    }}"#;
    let mut serials = revoked_serials_from_status_list(json).unwrap();
    serials.sort();
    assert_eq!(serials, ["2c8cdddfd5e03bfc", "c8966fcb2fbe32"]);
    assert!(revoked_serials_from_status_list("[]").is_err());
    assert!(
        revoked_serials_from_status_list(r#"{"entries": {"xyz": {"status": "REVOKED"}}}"#).is_err()
    );
}

/// Apple's sample from "Validating apps that connect to your server" (attestation object
/// validation guide): app id 0352187391.com.apple.example_app_attest, key id
/// bSrEhF8TIzIvWSPwvZ0i2+UOBre4ASH84rK15m6emNY=, made over the raw challenge bytes
/// `test_server_challenge` (the sample's "client data hash" is not a hash).
struct AppleSample {
    object: Vec<u8>,
    key_id: Vec<u8>,
    policy: ApplePolicy,
}

const SAMPLE_CLIENT_DATA: &[u8] = b"test_server_challenge";
/// 2024-04-19T00:00:00Z: inside the sample leaf's validity (2024-04-17 16:14:53 to 2024-04-20
/// 16:14:53 UTC).
const SAMPLE_TIME: u64 = 1_713_484_800;

fn apple_sample() -> AppleSample {
    let text = include_str!("data/apple_sample_attestation.b64");
    AppleSample {
        object: STANDARD.decode(text.trim()).unwrap(),
        key_id: STANDARD
            .decode("bSrEhF8TIzIvWSPwvZ0i2+UOBre4ASH84rK15m6emNY=")
            .unwrap(),
        policy: ApplePolicy {
            root: apple_app_attestation_root(),
            app_id: "0352187391.com.apple.example_app_attest".into(),
            environment: AppAttestEnvironment::Production,
        },
    }
}

#[test]
fn apples_sample_attestation_verifies_with_the_bundled_root_in_its_validity() {
    let sample = apple_sample();
    let result = verify_app_attest_over(
        &sample.object,
        &sample.key_id,
        SAMPLE_CLIENT_DATA,
        &sample.policy,
        SAMPLE_TIME,
    );
    assert_eq!(result, Ok(KeyAssurance::AppleAppAttest));
}

#[test]
fn apples_sample_attestation_is_refused_today_its_leaf_expired_in_april_2024() {
    let sample = apple_sample();
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let result = verify_app_attest_over(
        &sample.object,
        &sample.key_id,
        SAMPLE_CLIENT_DATA,
        &sample.policy,
        today,
    );
    assert_eq!(result, Err(AttestationError::CertificateNotValidNow));
}

#[test]
fn apples_sample_attestation_is_refused_for_another_challenge_app_or_environment() {
    let sample = apple_sample();
    let verify = |client_data: &[u8], policy: &ApplePolicy| {
        verify_app_attest_over(
            &sample.object,
            &sample.key_id,
            client_data,
            policy,
            SAMPLE_TIME,
        )
    };
    assert_eq!(
        verify(b"another_server_challenge", &sample.policy),
        Err(AttestationError::ChallengeMismatch)
    );
    let other_app = ApplePolicy {
        app_id: "0352187391.com.apple.other_app".into(),
        ..sample.policy.clone()
    };
    assert_eq!(
        verify(SAMPLE_CLIENT_DATA, &other_app),
        Err(AttestationError::WrongApp)
    );
    let development = ApplePolicy {
        environment: AppAttestEnvironment::Development,
        ..sample.policy.clone()
    };
    assert_eq!(
        verify(SAMPLE_CLIENT_DATA, &development),
        Err(AttestationError::WrongEnvironment)
    );
}
