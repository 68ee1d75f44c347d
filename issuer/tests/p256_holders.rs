//! P-256 holder keys at the issuer (issue 22 part 2), over real HTTP on 127.0.0.1: enrolment with a
//! 33-byte compressed point, proofs checked by the key's kind (ES256, low S), renewal, and the
//! refusals (a point off the curve, a high-S twin, a proof by another kind of key).

mod common;

use common::error_of;

use doorpass_format::api::{self, b64};
use doorpass_format::holder_key::{HolderPublicKey, HolderSigner, generate_p256_signing_key};
use doorpass_format::keys::generate_signing_key;
use doorpass_format::{Pass, Presentation, Verifier, VerifierPolicy};
use doorpass_issuer::unix_now;
use serde_json::json;

fn pass_of(issued: &serde_json::Value) -> Pass {
    Pass::parse(&api::b64_vec(issued["pass"].as_str().unwrap(), 4096).unwrap()).unwrap()
}

#[tokio::test]
async fn a_p256_holder_enrols_renews_and_its_codes_verify_at_the_door() {
    let issuer = common::start(|_| {}).await;
    let key = generate_p256_signing_key();
    let id = issuer.start_enrolment("demo-lee", &key).await;
    let code = issuer.dev_code("demo-lee").await;
    let (status, _, issued) = issuer.complete(&id, &code, &key).await;
    assert_eq!(status, 200, "{issued}");
    let pass = pass_of(&issued);
    assert_eq!(pass.claims().holder_key, key.holder_public_key());
    let verifier = Verifier::new(issuer.served_trust_list().await, VerifierPolicy::default());
    let now = unix_now();
    let text = Presentation::rotating(pass.bytes(), &key, now).to_qr_text();
    assert!(verifier.verify_qr_text(&text, now).is_valid());

    let token = issued["refresh_token"].as_str().unwrap();
    let (renewed, _) = issuer.renew_ok(token, &key).await;
    let pass = pass_of(&renewed);
    assert_eq!(pass.claims().holder_key, key.holder_public_key());
    let text = Presentation::rotating(pass.bytes(), &key, now).to_qr_text();
    assert!(verifier.verify_qr_text(&text, now).is_valid());
    issuer.stop().await;
}

#[tokio::test]
async fn a_p256_point_off_the_curve_or_of_another_length_is_refused_at_start() {
    let issuer = common::start(|_| {}).await;
    // About half of all x name no point on P-256: take the first small one.
    let off_curve = (1..=u8::MAX)
        .map(|x| {
            let mut point = [0u8; 33];
            point[0] = 0x02;
            point[32] = x;
            point
        })
        .find(|point| HolderPublicKey::from_bytes(point).is_err())
        .unwrap();
    for bytes in [&off_curve[..], &[0x02; 31], &[0x04; 65]] {
        let answer = issuer
            .post(
                api::ENROLMENT_START_PATH,
                &json!({ "subject": "demo-lee", "holder_key": b64(bytes) }),
            )
            .await;
        assert_eq!(error_of(answer), (400, "bad_request".into()), "{bytes:?}");
    }
    issuer.stop().await;
}

#[tokio::test]
async fn a_high_s_twin_or_an_ed25519_proof_does_not_complete_a_p256_enrolment() {
    let issuer = common::start(|_| {}).await;
    let key = generate_p256_signing_key();
    let id = issuer.start_enrolment("demo-kim", &key).await;
    let code = issuer.dev_code("demo-kim").await;
    let challenge: [u8; 16] = api::b64_fixed(&id).unwrap();
    let message = api::enrolment_proof_message(&challenge, &key.holder_public_key().to_bytes());
    let low = key.sign_holder_message(&message);
    let low = p256::ecdsa::Signature::from_slice(&low).unwrap();
    let (r, s) = low.split_scalars();
    let high = p256::ecdsa::Signature::from_scalars(r, -*s).unwrap();
    assert!(high.normalize_s().is_some(), "the twin has a high S");
    let answer = issuer
        .complete_with_proof(&id, &code, &high.to_bytes())
        .await;
    assert_eq!(error_of(answer), (401, "bad_proof".into()));
    // An Ed25519 signature is 64 bytes too, but the key's kind decides the algorithm.
    let ed25519 = generate_signing_key().sign_holder_message(&message);
    let answer = issuer.complete_with_proof(&id, &code, &ed25519).await;
    assert_eq!(error_of(answer), (401, "bad_proof".into()));
    let (status, _, issued) = issuer.complete(&id, &code, &key).await;
    assert_eq!(status, 200, "{issued}");
    issuer.stop().await;
}
