//! Key attestation at enrolment (issue 22 part 3), over real HTTP on 127.0.0.1: the challenge in
//! the start answer by mode, what each mode does without an attestation or with one that does not
//! check, the attested key's own proof, and renewals keeping a pass's key assurance.
//!
//! Valid attestations, made with the attestation crate's test builders under a test root, are in
//! tests/attestation_valid.rs.

mod common;

use common::attested::{attestation_for, complete_attested, pass_of, start};
use common::{TestIssuer, error_of};

use doorpass_format::KeyAssurance;
use doorpass_format::api::{self, ATTESTATION_CHALLENGE_LEN, b64};
use doorpass_format::holder_key::{HolderSigner, generate_p256_signing_key};
use doorpass_format::keys::generate_signing_key;
use doorpass_issuer::IssuerConfig;
use doorpass_issuer::attestation::AttestationMode;
use serde_json::{Value, json};

/// A dev issuer in attestation `mode`, its other settings as `tweak` leaves them.
async fn issuer_in(mode: AttestationMode) -> TestIssuer {
    common::start(|config: &mut IssuerConfig| config.attestation.mode = mode).await
}

/// Evidence that is well-formed base64url but no attestation: random bytes as a one-certificate
/// Android chain.
fn garbage_android_evidence() -> Value {
    let bytes: [u8; 300] = std::array::from_fn(|_| rand::random());
    json!({ "platform": "android_keystore", "chain": [b64(&bytes)] })
}

fn garbage_apple_evidence() -> Value {
    json!({ "platform": "apple_app_attest", "key_id": b64(&[7; 32]), "object": b64(b"not cbor") })
}

async fn metrics(issuer: &TestIssuer) -> String {
    issuer.get("/metrics").await.text().await.unwrap()
}

#[tokio::test]
async fn the_start_answer_has_a_32_byte_challenge_in_prefer_and_require_and_none_when_off() {
    for (mode, offered) in [
        (AttestationMode::Off, false),
        (AttestationMode::Prefer, true),
        (AttestationMode::Require, true),
    ] {
        let issuer = issuer_in(mode).await;
        let started = start(&issuer, "demo-kim", &generate_p256_signing_key()).await;
        match started.challenge {
            Some(challenge) => {
                assert!(offered, "{mode:?} offers no challenge");
                assert_eq!(challenge.len(), ATTESTATION_CHALLENGE_LEN, "{mode:?}");
            }
            None => assert!(!offered, "{mode:?} offers a challenge"),
        }
        issuer.stop().await;
    }
}

#[tokio::test]
async fn each_start_gets_its_own_challenge() {
    let issuer = issuer_in(AttestationMode::Prefer).await;
    let key = generate_p256_signing_key();
    let mut seen = std::collections::HashSet::new();
    for subject in ["demo-kim", "demo-lee", "demo-kim", "nobody-registered"] {
        let holder_key = b64(&key.holder_public_key().to_bytes());
        let (status, _, body) = issuer
            .post(
                api::ENROLMENT_START_PATH,
                &json!({ "subject": subject, "holder_key": holder_key }),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        let challenge = body["attestation_challenge"].as_str().unwrap().to_string();
        assert!(seen.insert(challenge), "a challenge came twice");
    }
    issuer.stop().await;
}

#[tokio::test]
async fn an_issuer_with_attestation_off_refuses_a_completion_that_carries_one() {
    let issuer = issuer_in(AttestationMode::Off).await;
    let start_key = generate_p256_signing_key();
    let started = start(&issuer, "demo-kim", &start_key).await;
    let attestation = attestation_for(
        &started.id,
        &generate_p256_signing_key(),
        garbage_android_evidence(),
    );
    let answer = complete_attested(&issuer, &started, &start_key, Some(attestation)).await;
    assert!(
        answer.2["message"]
            .as_str()
            .unwrap()
            .contains("does not check attestations"),
        "{}",
        answer.2
    );
    assert_eq!(error_of(answer), (403, "attestation_invalid".into()));
    // The same completion without it is served: the challenge stayed open.
    let (status, _, issued) = complete_attested(&issuer, &started, &start_key, None).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(
        pass_of(&issued).claims().key_assurance,
        KeyAssurance::Unattested
    );
    issuer.stop().await;
}

#[tokio::test]
async fn prefer_without_an_attestation_issues_an_unattested_pass_to_the_start_key() {
    let issuer = issuer_in(AttestationMode::Prefer).await;
    let start_key = generate_p256_signing_key();
    let started = start(&issuer, "demo-kim", &start_key).await;
    let (status, _, issued) = complete_attested(&issuer, &started, &start_key, None).await;
    assert_eq!(status, 200, "{issued}");
    let claims = pass_of(&issued).claims().clone();
    assert_eq!(claims.holder_key, start_key.holder_public_key());
    assert_eq!(claims.key_assurance, KeyAssurance::Unattested);
    issuer.stop().await;
}

#[tokio::test]
async fn prefer_with_an_attestation_that_does_not_check_issues_to_the_start_key_and_counts_it() {
    let issuer = issuer_in(AttestationMode::Prefer).await;
    let start_key = generate_p256_signing_key();
    let new_key = generate_p256_signing_key();
    let started = start(&issuer, "demo-kim", &start_key).await;
    let attestation = attestation_for(&started.id, &new_key, garbage_android_evidence());
    let first = complete_attested(&issuer, &started, &start_key, Some(attestation.clone())).await;
    assert_eq!(first.0, 200, "{}", first.2);
    let claims = pass_of(&first.2).claims().clone();
    assert_eq!(claims.holder_key, start_key.holder_public_key());
    assert_eq!(claims.key_assurance, KeyAssurance::Unattested);
    // A retry with the same attestation (its answer lost) gets the stored answer again.
    let retry = complete_attested(&issuer, &started, &start_key, Some(attestation)).await;
    assert_eq!(retry.0, 200, "{}", retry.2);
    assert_eq!(retry.2, first.2);
    assert_eq!(issuer.inspect(|tx| tx.pass_count()).await, 1);
    let text = metrics(&issuer).await;
    assert!(
        text.contains(
            "doorpass_attestations_checked_total{platform=\"android_keystore\",result=\"refused\"} 1"
        ),
        "{text}"
    );
    issuer.stop().await;
}

#[tokio::test]
async fn require_without_an_attestation_is_refused_403_and_nothing_is_issued() {
    let issuer = issuer_in(AttestationMode::Require).await;
    let start_key = generate_p256_signing_key();
    let started = start(&issuer, "demo-kim", &start_key).await;
    let answer = complete_attested(&issuer, &started, &start_key, None).await;
    assert_eq!(error_of(answer), (403, "attestation_required".into()));
    assert_eq!(issuer.inspect(|tx| tx.pass_count()).await, 0);
    let text = metrics(&issuer).await;
    assert!(
        text.contains(
            "doorpass_attestations_refused_total{platform=\"none\",reason=\"missing\"} 1"
        ),
        "{text}"
    );
    issuer.stop().await;
}

#[tokio::test]
async fn require_with_evidence_that_does_not_check_is_attestation_invalid_with_the_reason() {
    let issuer = issuer_in(AttestationMode::Require).await;
    let start_key = generate_p256_signing_key();
    let started = start(&issuer, "demo-kim", &start_key).await;
    // (evidence, what the message names): a garbage chain, an App Attest object with no app id
    // configured, and a chain over the size limits.
    let too_many = json!({ "platform": "android_keystore", "chain": vec![b64(&[1; 10]); 11] });
    let too_large = json!({ "platform": "android_keystore", "chain": [b64(&[1; 5000])] });
    // 10 certificates of 2,000 bytes: a 27 KB body, within the body limit (8 KiB before
    // attestation), so it reaches the check rather than a 413.
    let long_chain = json!({ "platform": "android_keystore", "chain": vec![b64(&[3; 2000]); 10] });
    for (evidence, reason) in [
        (garbage_android_evidence(), "key attestation refused: "),
        (long_chain, "key attestation refused: "),
        (garbage_apple_evidence(), "another app"),
        (too_many, "11 certificates"),
        (too_large, "at most 4096 bytes"),
    ] {
        let attestation = attestation_for(&started.id, &generate_p256_signing_key(), evidence);
        let answer = complete_attested(&issuer, &started, &start_key, Some(attestation)).await;
        let message = answer.2["message"].as_str().unwrap_or_default().to_string();
        assert!(message.contains(reason), "{reason}: {message}");
        assert_eq!(
            error_of(answer),
            (403, "attestation_invalid".into()),
            "{reason}"
        );
    }
    assert_eq!(issuer.inspect(|tx| tx.pass_count()).await, 0);
    let text = metrics(&issuer).await;
    assert!(
        text.contains(
            "doorpass_attestations_refused_total{platform=\"apple_app_attest\",reason=\"wrong_app\"} 1"
        ),
        "{text}"
    );
    issuer.stop().await;
}

#[tokio::test]
async fn a_bad_proof_by_the_attested_key_is_bad_proof_in_every_checking_mode() {
    for mode in [AttestationMode::Prefer, AttestationMode::Require] {
        let issuer = issuer_in(mode).await;
        let start_key = generate_p256_signing_key();
        let started = start(&issuer, "demo-kim", &start_key).await;
        let mut attestation = attestation_for(
            &started.id,
            &generate_p256_signing_key(),
            garbage_android_evidence(),
        );
        // A proof by another key over the right message.
        let other = attestation_for(
            &started.id,
            &generate_p256_signing_key(),
            garbage_android_evidence(),
        );
        attestation["proof"] = other["proof"].clone();
        let answer = complete_attested(&issuer, &started, &start_key, Some(attestation)).await;
        assert_eq!(error_of(answer), (401, "bad_proof".into()), "{mode:?}");
        assert_eq!(issuer.inspect(|tx| tx.pass_count()).await, 0);
        issuer.stop().await;
    }
}

#[tokio::test]
async fn an_ed25519_key_cannot_be_the_attested_key() {
    let issuer = issuer_in(AttestationMode::Require).await;
    let start_key = generate_p256_signing_key();
    let started = start(&issuer, "demo-kim", &start_key).await;
    let attestation = attestation_for(
        &started.id,
        &generate_signing_key(),
        garbage_android_evidence(),
    );
    let answer = complete_attested(&issuer, &started, &start_key, Some(attestation)).await;
    let message = answer.2["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("P-256"), "{message}");
    assert_eq!(error_of(answer), (403, "attestation_invalid".into()));
    assert_eq!(issuer.inspect(|tx| tx.pass_count()).await, 0);
    let text = metrics(&issuer).await;
    assert!(
        text.contains(
            "doorpass_attestations_refused_total{platform=\"android_keystore\",reason=\"key_not_p256\"} 1"
        ),
        "{text}"
    );
    issuer.stop().await;
}

#[tokio::test]
async fn a_renewal_keeps_the_key_assurance_of_the_pass_it_renews() {
    use doorpass_issuer::issuance::{Lifetimes, issue};
    use doorpass_issuer::keys::IssuerKeys;
    use doorpass_issuer::renew_timing::RenewTiming;
    let issuer = issuer_in(AttestationMode::Prefer).await;
    let key = generate_p256_signing_key();
    // A pass the issuer signed for an attested StrongBox key, recorded as a completion records it
    // (until the attestation crate's builders make one over HTTP).
    let keys = IssuerKeys::load(issuer.dir.path()).unwrap();
    let holder = issuer
        .inspect(|tx| tx.holder("demo-kim"))
        .await
        .expect("demo holder");
    let now = doorpass_issuer::unix_now();
    let issued = issue(
        &keys,
        (&Lifetimes::default(), &RenewTiming::default()),
        &holder,
        (&key.holder_public_key(), KeyAssurance::AndroidStrongBox),
        rand::random(),
        None,
        now,
    )
    .unwrap();
    let record = issued.record.clone();
    issuer
        .store()
        .await
        .call(move |tx| tx.insert_issued(&record))
        .await
        .unwrap();
    let mut token = b64(&issued.token);
    for _ in 0..2 {
        let (renewed, next) = issuer.renew_ok(&token, &key).await;
        let claims = pass_of(&renewed).claims().clone();
        assert_eq!(claims.key_assurance, KeyAssurance::AndroidStrongBox);
        assert_eq!(claims.holder_key, key.holder_public_key());
        token = next;
    }
    issuer.stop().await;
}

#[tokio::test]
async fn an_issuer_whose_attestation_files_cannot_be_used_does_not_start() {
    use doorpass_issuer::attestation::AttestationSetupError;
    use doorpass_issuer::{Issuer, StartError};
    let issuer = issuer_in(AttestationMode::Off).await;
    let files = tempfile::tempdir().unwrap();
    let not_pem = files.path().join("roots.pem");
    std::fs::write(&not_pem, "no certificate here\n").unwrap();
    let bad_list = files.path().join("status.json");
    std::fs::write(&bad_list, r#"{"entries": {"zz": {"status": "REVOKED"}}}"#).unwrap();
    let open = |tweak: &dyn Fn(&mut IssuerConfig)| {
        let mut config = doorpass_issuer::testing::dev_config(issuer.dir.path());
        config.database = Some(issuer.database().clone());
        config.attestation.mode = AttestationMode::Require;
        tweak(&mut config);
        async move { Issuer::open(&config).await.err() }
    };
    let roots = not_pem.clone();
    let refused = open(&move |c| c.attestation.android_roots = Some(roots.clone())).await;
    assert!(
        matches!(
            refused,
            Some(StartError::Attestation(
                AttestationSetupError::NoCertificate { .. }
            ))
        ),
        "{refused:?}"
    );
    let missing = files.path().join("missing.pem");
    let refused = open(&move |c| c.attestation.android_roots = Some(missing.clone())).await;
    assert!(
        matches!(
            refused,
            Some(StartError::Attestation(AttestationSetupError::Read { .. }))
        ),
        "{refused:?}"
    );
    let list = bad_list.clone();
    let refused = open(&move |c| c.attestation.android_revocations = Some(list.clone())).await;
    assert!(
        matches!(
            refused,
            Some(StartError::Attestation(
                AttestationSetupError::BadStatusList { .. }
            ))
        ),
        "{refused:?}"
    );
    let refused = open(&|c| c.attestation.apple_app_id = Some("no-dot".into())).await;
    assert!(
        matches!(
            refused,
            Some(StartError::Attestation(AttestationSetupError::BadAppId(_)))
        ),
        "{refused:?}"
    );
    issuer.stop().await;
}
