//! `doorpass issuer serve` as a real process with every attestation trust flag pointing at files
//! made for a test root (`--android-attestation-roots`, `--android-attestation-revocations`,
//! `--apple-app-id`, `--apple-attestation-root`, `--apple-attestation-environment`): valid
//! attestations under that root bind passes to the attested keys, and a revoked leaf is refused.

mod common;

use common::issuer::{IssuerProcess, issuer_dir_with_holders};
use doorpass_attestation::apple::AppAttestEnvironment;
use doorpass_attestation::testing::{
    AndroidChainBuilder, AppAttestBuilder, SECURITY_LEVEL_STRONG_BOX, TestRoot,
};
use doorpass_format::api::{self, b64};
use doorpass_format::holder_key::{HolderSigner, generate_p256_signing_key};
use doorpass_format::{KeyAssurance, Pass};
use serde_json::{Value, json};

const APP_ID: &str = "ABCDE12345.org.doorpass.wallet";

/// POSTs JSON to the issuer: the status and the body as JSON.
async fn post(issuer: &IssuerProcess, path: &str, body: &Value) -> (u16, Value) {
    let answer = reqwest::Client::new()
        .post(format!("{}{path}", issuer.url))
        .json(body)
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

/// Enrols `subject`: a start key starts, a new key is attested by `evidence(challenge, new key)`
/// and completes with its own proof. The completion's status and body.
async fn enrol_attested(
    issuer: &IssuerProcess,
    subject: &str,
    evidence: impl FnOnce(&[u8], &[u8]) -> Value,
) -> (u16, Value, Vec<u8>) {
    let start_key = generate_p256_signing_key();
    let new_key = generate_p256_signing_key();
    let start_point = start_key.holder_public_key().to_bytes();
    let new_point = new_key.holder_public_key().to_bytes();
    let (status, started) = post(
        issuer,
        api::ENROLMENT_START_PATH,
        &json!({ "subject": subject, "holder_key": b64(&start_point) }),
    )
    .await;
    assert_eq!(status, 202, "{started}");
    let challenge = api::b64_vec(started["attestation_challenge"].as_str().unwrap(), 64).unwrap();
    let id = started["challenge_id"].as_str().unwrap();
    let challenge_id: [u8; 16] = api::b64_fixed(id).unwrap();
    let code: Value = reqwest::get(format!("{}/dev/otp/{subject}", issuer.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let proof =
        start_key.sign_holder_message(&api::enrolment_proof_message(&challenge_id, &start_point));
    let new_proof =
        new_key.sign_holder_message(&api::enrolment_proof_message(&challenge_id, &new_point));
    let body = json!({
        "challenge_id": id,
        "code": code["code"],
        "proof": b64(&proof),
        "attestation": {
            "holder_key": b64(&new_point),
            "proof": b64(&new_proof),
            "evidence": evidence(&challenge, &new_point),
        },
    });
    let (status, answer) = post(issuer, api::ENROLMENT_COMPLETE_PATH, &body).await;
    (status, answer, new_point.to_vec())
}

fn pass_of(issued: &Value) -> Pass {
    Pass::parse(&api::b64_vec(issued["pass"].as_str().unwrap(), 4096).unwrap()).unwrap()
}

#[tokio::test]
async fn serve_with_the_attestation_trust_flags_accepts_attestations_under_their_root() {
    let tmp = tempfile::tempdir().unwrap();
    issuer_dir_with_holders(tmp.path(), 1);
    let root = TestRoot::new("Test Attestation Root");
    let roots = tmp.path().join("attestation-roots.pem");
    std::fs::write(&roots, root.pem()).unwrap();
    let revocations = tmp.path().join("status.json");
    std::fs::write(
        &revocations,
        json!({ "entries": { "5eed": { "status": "REVOKED" } } }).to_string(),
    )
    .unwrap();
    let path = |p: &std::path::Path| p.display().to_string();
    let (roots, revocations) = (path(&roots), path(&revocations));
    let issuer = IssuerProcess::start(
        tmp.path(),
        &[
            "--attestation",
            "require",
            "--android-attestation-roots",
            &roots,
            "--android-attestation-revocations",
            &revocations,
            "--apple-app-id",
            APP_ID,
            "--apple-attestation-root",
            &roots,
            "--apple-attestation-environment",
            "development",
        ],
    );

    let (status, issued, new_key) = enrol_attested(&issuer, "demo-kim", |challenge, key| {
        let chain = AndroidChainBuilder::new(&root, key, challenge)
            .security_level(SECURITY_LEVEL_STRONG_BOX)
            .build();
        let chain: Vec<String> = chain.iter().map(|der| b64(der)).collect();
        json!({ "platform": "android_keystore", "chain": chain })
    })
    .await;
    assert_eq!(status, 200, "{issued}");
    let claims = pass_of(&issued).claims().clone();
    assert_eq!(claims.key_assurance, KeyAssurance::AndroidStrongBox);
    assert_eq!(claims.holder_key.to_bytes().to_vec(), new_key);

    let (status, refused, _) = enrol_attested(&issuer, "demo-lee", |challenge, key| {
        let chain = AndroidChainBuilder::new(&root, key, challenge)
            .serial(&[0x5e, 0xed])
            .build();
        let chain: Vec<String> = chain.iter().map(|der| b64(der)).collect();
        json!({ "platform": "android_keystore", "chain": chain })
    })
    .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["error"], "attestation_invalid", "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("revoked"),
        "{refused}"
    );

    let (status, issued, new_key) = enrol_attested(&issuer, "demo-lee", |challenge, key| {
        let attestation = AppAttestBuilder::for_enrolment(&root, APP_ID, challenge, key)
            .environment(AppAttestEnvironment::Development)
            .build();
        json!({
            "platform": "apple_app_attest",
            "key_id": b64(&attestation.key_id),
            "object": b64(&attestation.object),
        })
    })
    .await;
    assert_eq!(status, 200, "{issued}");
    let claims = pass_of(&issued).claims().clone();
    assert_eq!(claims.key_assurance, KeyAssurance::AppleAppAttest);
    assert_eq!(claims.holder_key.to_bytes().to_vec(), new_key);
}
