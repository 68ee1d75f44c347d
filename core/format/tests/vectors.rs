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
