//! Enrolments with a key attestation over HTTP (tests/attestation.rs, tests/attestation_valid.rs):
//! a start that keeps the answer's attestation challenge, the `attestation` member of a
//! completion, and the completion itself.

use doorpass_format::Pass;
use doorpass_format::api::{self, b64};
use doorpass_format::holder_key::HolderSigner;
use serde_json::{Value, json};

use super::TestIssuer;

/// An enrolment started by a start key: its challenge id, the start answer's attestation
/// challenge (if any), and the code.
pub struct Started {
    pub id: String,
    pub challenge: Option<Vec<u8>>,
    pub code: String,
}

/// Starts an enrolment of `subject` with `start_key` (202 expected).
pub async fn start(issuer: &TestIssuer, subject: &str, start_key: &impl HolderSigner) -> Started {
    let holder_key = b64(&start_key.holder_public_key().to_bytes());
    let (status, _, body) = issuer
        .post(
            api::ENROLMENT_START_PATH,
            &json!({ "subject": subject, "holder_key": holder_key }),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let challenge = body
        .get("attestation_challenge")
        .map(|c| api::b64_vec(c.as_str().unwrap(), 64).unwrap());
    Started {
        id: body["challenge_id"].as_str().unwrap().to_string(),
        challenge,
        code: issuer.dev_code(subject).await,
    }
}

/// The `attestation` member of a completion: `new_key`, its own proof for challenge `id`, and
/// `evidence`.
pub fn attestation_for(id: &str, new_key: &impl HolderSigner, evidence: Value) -> Value {
    let challenge_id: [u8; 16] = api::b64_fixed(id).unwrap();
    let key = new_key.holder_public_key().to_bytes();
    let proof = new_key.sign_holder_message(&api::enrolment_proof_message(&challenge_id, &key));
    json!({ "holder_key": b64(&key), "proof": b64(&proof), "evidence": evidence })
}

/// Completes `started` with the start key's proof and `attestation` (absent when `None`).
pub async fn complete_attested(
    issuer: &TestIssuer,
    started: &Started,
    start_key: &impl HolderSigner,
    attestation: Option<Value>,
) -> (u16, Option<u64>, Value) {
    let challenge_id: [u8; 16] = api::b64_fixed(&started.id).unwrap();
    let proof = start_key.sign_holder_message(&api::enrolment_proof_message(
        &challenge_id,
        &start_key.holder_public_key().to_bytes(),
    ));
    let mut body =
        json!({ "challenge_id": started.id, "code": started.code, "proof": b64(&proof) });
    if let Some(attestation) = attestation {
        body["attestation"] = attestation;
    }
    issuer.post(api::ENROLMENT_COMPLETE_PATH, &body).await
}

/// The pass of an issued-pass answer.
pub fn pass_of(issued: &Value) -> Pass {
    Pass::parse(&api::b64_vec(issued["pass"].as_str().unwrap(), 4096).unwrap()).unwrap()
}
