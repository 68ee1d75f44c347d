//! Issue 22: a P-256 holder proof made by this crate checks with an independent implementation,
//! Python's `cryptography` (scripts/holder_proof_check.py, in the environment scripts/pycose-venv.sh
//! makes), which also refuses a proof by another key.

use std::path::{Path, PathBuf};
use std::process::Command;

use doorpass_format::Presentation;
use doorpass_format::holder_key::{HolderSigner, generate_p256_signing_key};
use doorpass_format::keys::generate_signing_key;
use doorpass_format::pass::{Pass, PassClaims, PassKind};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> String {
    let venv = Command::new("bash")
        .arg(root().join("scripts/pycose-venv.sh"))
        .output()
        .unwrap();
    assert!(
        venv.status.success(),
        "{}",
        String::from_utf8_lossy(&venv.stderr)
    );
    String::from_utf8(venv.stdout).unwrap().trim().to_string()
}

/// What the script says about `code`, expecting `expected` ("valid" or "invalid").
fn check(python: &str, code: &Presentation, expected: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("code.cbor");
    std::fs::write(&path, code.to_cbor()).unwrap();
    let out = Command::new(python)
        .arg(root().join("scripts/holder_proof_check.py"))
        .arg(&path)
        .arg(expected)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    said
}

#[test]
fn python_cryptography_verifies_an_es256_holder_proof_and_refuses_another_key() {
    let now = 1_800_000_000;
    let phone = generate_p256_signing_key();
    let claims = PassClaims {
        key_assurance: doorpass_format::KeyAssurance::Unattested,
        issuer_id: "KR-KDCA".into(),
        issued_at: now,
        not_before: now,
        expires_at: now + 30 * 86_400,
        pass_id: [3; 16],
        holder_key: phone.holder_public_key(),
        display_name: "이서연 Lee Seoyun".into(),
        birth_date: "1990-04-01".into(),
        kind: PassKind::Vaccination,
        renew_after: now + 25 * 86_400,
        status: None,
    };
    let pass = Pass::issue(&claims, &generate_signing_key()).unwrap();
    let python = python();
    // Several codes: both signs of y, and S values the signer had to normalise, turn up among them.
    for step in 0..8 {
        let code = Presentation::rotating(pass.bytes(), &phone, now + 30 * step);
        let said = check(&python, &code, "valid");
        assert!(said.starts_with("cryptography: valid"), "{said}");
    }
    let wrong = Presentation::rotating(pass.bytes(), &generate_p256_signing_key(), now);
    let said = check(&python, &wrong, "invalid");
    assert!(said.contains("does not verify"), "{said}");
    // The high-S twin of a good proof: the independent check refuses it as this crate does.
    let Presentation::Rotating { pass, step, proof } =
        Presentation::rotating(pass.bytes(), &phone, now)
    else {
        panic!("rotating")
    };
    let low = p256::ecdsa::Signature::from_slice(&proof).unwrap();
    let (r, s) = low.split_scalars();
    let high = p256::ecdsa::Signature::from_scalars(r.to_bytes(), (-*s.as_ref()).to_bytes())
        .unwrap()
        .to_bytes()
        .into();
    let twin = Presentation::Rotating {
        pass,
        step,
        proof: high,
    };
    let said = check(&python, &twin, "invalid");
    assert!(said.contains("high S"), "{said}");
}
