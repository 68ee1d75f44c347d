//! The shared DP1 test vectors (tests/vectors) give the expected verdict with this implementation.

use std::path::PathBuf;

use doorpass_format::keys::read_public_key;
use doorpass_format::{Pass, StatusListBinding, TrustList, Verifier, VerifierPolicy};

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

#[test]
fn every_case_gets_its_expected_verdict() {
    let dir = vectors_dir();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("cases.json")).unwrap()).unwrap();
    let anchor = read_public_key(&dir.join(manifest["anchor"].as_str().unwrap())).unwrap();
    let tl_bytes = std::fs::read(dir.join(manifest["trust_list"].as_str().unwrap())).unwrap();
    let trust_list = TrustList::verify(&tl_bytes, &anchor).unwrap();
    // Every door loads the status list first: it changes nothing for passes that do not name it.
    let status_list = std::fs::read(dir.join(manifest["status_list"].as_str().unwrap())).unwrap();
    let cases = manifest["cases"].as_array().unwrap();
    assert!(cases.len() >= 19, "vectors cover every refusal reason");
    let mut seen = std::collections::BTreeSet::new();
    for case in cases {
        let policy = VerifierPolicy {
            clock_tolerance_seconds: case["tolerance"].as_u64().unwrap(),
            allow_static: case["allow_static"].as_bool().unwrap(),
            ..VerifierPolicy::default()
        };
        let mut door = Verifier::new(trust_list.clone(), policy);
        let at = case["at"].as_u64().unwrap();
        door.update_status_list(&status_list, StatusListBinding::given(), at)
            .unwrap();
        let verdict = door.verify_qr_text(case["qr_text"].as_str().unwrap(), at);
        assert_eq!(
            verdict.code(),
            case["expected"].as_str().unwrap(),
            "case {}: {verdict:?}",
            case["name"]
        );
        seen.insert(verdict.code());
    }
    assert_eq!(
        seen.len(),
        13,
        "valid plus all twelve refusal reasons a default door gives appear: {seen:?}"
    );
}

#[test]
fn pass_files_parse_and_the_tampered_one_fails_its_signature() {
    let dir = vectors_dir().join("passes");
    let issuer_key =
        doorpass_format::keys::read_private_key(&vectors_dir().join("issuer.key")).unwrap();
    let valid = Pass::parse(&std::fs::read(dir.join("valid.cose")).unwrap()).unwrap();
    assert!(valid.verify_issuer_signature(&issuer_key.verifying_key()));
    let tampered = Pass::parse(&std::fs::read(dir.join("tampered.cose")).unwrap()).unwrap();
    assert!(!tampered.verify_issuer_signature(&issuer_key.verifying_key()));
    let long = Pass::parse(&std::fs::read(dir.join("valid-20-byte-name.cose")).unwrap()).unwrap();
    assert_eq!(long.claims().display_name.len(), 20);
}

/// Issue 22: the P-256 cases are there, with the verdicts the spec gives, and for the reasons it gives.
#[test]
fn p256_cases_get_their_verdicts_for_their_reasons() {
    use doorpass_format::{FormatError, HolderKeyError, HolderKeyKind, HolderPublicKey};
    let dir = vectors_dir();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("cases.json")).unwrap()).unwrap();
    let expected = [
        ("p256_valid_rotating", "valid"),
        ("p256_wrong_holder_key", "bad_holder_proof"),
        ("p256_der_signature", "malformed"),
        ("p256_high_s_signature", "bad_holder_proof"),
        ("p256_point_not_on_curve", "malformed"),
        ("p256_uncompressed_point_refused", "malformed"),
        ("p256_proof_for_an_ed25519_pass", "bad_holder_proof"),
        ("ed25519_proof_for_a_p256_pass", "bad_holder_proof"),
    ];
    let cases = manifest["cases"].as_array().unwrap();
    for (name, verdict) in expected {
        let case = cases
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("case {name} is missing"));
        assert_eq!(case["expected"], verdict, "{name}");
    }
    // The pass files: the valid one carries the manifest's compressed key; the others are refused
    // for the reason their names give, not for another one.
    let passes = dir.join("passes");
    let read = |name: &str| Pass::parse(&std::fs::read(passes.join(name)).unwrap());
    let valid = read("p256-valid.cose").unwrap();
    assert_eq!(valid.claims().holder_key.kind(), HolderKeyKind::P256);
    let hex = manifest["p256_holder_public_key"].as_str().unwrap();
    assert_eq!(
        doorpass_format::keys::hex(&valid.claims().holder_key.to_bytes()),
        hex
    );
    assert!(HolderPublicKey::from_bytes(&valid.claims().holder_key.to_bytes()).is_ok());
    assert_eq!(
        read("p256-point-not-on-curve.cose").unwrap_err(),
        FormatError::HolderKey(HolderKeyError::PointNotOnCurve)
    );
    assert_eq!(
        read("p256-uncompressed-point.cose").unwrap_err(),
        FormatError::HolderKey(HolderKeyError::UncompressedPoint)
    );
    let issuer_key =
        doorpass_format::keys::read_private_key(&vectors_dir().join("issuer.key")).unwrap();
    assert!(valid.verify_issuer_signature(&issuer_key.verifying_key()));
}
