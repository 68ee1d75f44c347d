//! Key attestation at enrolment with VALID attestations (issue 22 part 3), end to end over real
//! HTTP on 127.0.0.1: Android Keystore chains and App Attest objects made by the attestation
//! crate's test builders under a test root, which a dev issuer trusts through
//! `config.attestation` (PEM files in a temporary folder). A good attestation binds the pass to
//! the NEW key with its assurance, which a door requiring hardware keys accepts and renewals
//! keep; each wrong one is `attestation_invalid` with its reason in require mode and an
//! unattested pass to the start key in prefer mode.

mod common;

use common::attested::{Started, attestation_for, complete_attested, pass_of, start};
use common::{TestIssuer, error_of};

use doorpass_attestation::apple::AppAttestEnvironment;
use doorpass_attestation::testing::{
    AndroidChainBuilder, AppAttestBuilder, ORIGIN_IMPORTED, SECURITY_LEVEL_SOFTWARE,
    SECURITY_LEVEL_STRONG_BOX, SECURITY_LEVEL_TRUSTED_ENVIRONMENT, TestRoot,
};
use doorpass_format::api::b64;
use doorpass_format::holder_key::{HolderSigner, P256SigningKey, generate_p256_signing_key};
use doorpass_format::{KeyAssurance, Presentation, Refusal, Verdict, Verifier, VerifierPolicy};
use doorpass_issuer::attestation::{AppleEnvironment, AttestationConfig, AttestationMode};
use doorpass_issuer::testing::DevIssuer;
use doorpass_issuer::unix_now;
use serde_json::{Value, json};

/// The iOS app the test issuers accept App Attest attestations from.
const APP_ID: &str = "ABCDE12345.org.doorpass.wallet";
/// The serial of a leaf the test status list revokes, and how the list writes it (uppercase,
/// a leading zero).
const REVOKED_SERIAL: [u8; 4] = [0x0d, 0x00, 0xba, 0x55];
const REVOKED_SERIAL_LISTED: &str = "0D00BA55";

/// A dev issuer trusting `root` for Android and App Attest (app [`APP_ID`], development
/// environment), with a status list revoking [`REVOKED_SERIAL`]; the folder holding its trust
/// files lives as long as it.
struct AttestingIssuer {
    issuer: TestIssuer,
    /// Its attestation settings, for other nodes and restarts.
    config: AttestationConfig,
    _files: tempfile::TempDir,
}

impl std::ops::Deref for AttestingIssuer {
    type Target = TestIssuer;

    fn deref(&self) -> &TestIssuer {
        &self.issuer
    }
}

impl AttestingIssuer {
    async fn start(mode: AttestationMode, root: &TestRoot) -> AttestingIssuer {
        let files = tempfile::tempdir().unwrap();
        let roots = files.path().join("android-roots.pem");
        std::fs::write(&roots, root.pem()).unwrap();
        let apple_root = files.path().join("apple-root.pem");
        std::fs::write(&apple_root, root.pem()).unwrap();
        let revocations = files.path().join("status.json");
        let list = json!({ "entries": {
            REVOKED_SERIAL_LISTED: { "status": "REVOKED", "reason": "KEY_COMPROMISE" },
            "7": { "status": "VALID" },
        }});
        std::fs::write(&revocations, list.to_string()).unwrap();
        let config = AttestationConfig {
            mode,
            android_roots: Some(roots),
            android_revocations: Some(revocations),
            apple_app_id: Some(APP_ID.into()),
            apple_root: Some(apple_root),
            apple_environment: AppleEnvironment::Development,
        };
        let settings = config.clone();
        let issuer = common::start(|issuer| issuer.attestation = settings).await;
        AttestingIssuer {
            issuer,
            config,
            _files: files,
        }
    }

    async fn stop(self) {
        self.issuer.stop().await;
    }

    /// A door trusting this issuer, requiring hardware-bound keys.
    async fn strict_door(&self) -> Verifier {
        let policy = VerifierPolicy {
            require_hardware_key: true,
            ..VerifierPolicy::default()
        };
        Verifier::new(self.served_trust_list().await, policy)
    }

    async fn metrics(&self) -> String {
        self.get("/metrics").await.text().await.unwrap()
    }
}

fn key_bytes(key: &P256SigningKey) -> Vec<u8> {
    key.holder_public_key().to_bytes().to_vec()
}

fn android_evidence(chain: Vec<Vec<u8>>) -> Value {
    let chain: Vec<String> = chain.iter().map(|der| b64(der)).collect();
    json!({ "platform": "android_keystore", "chain": chain })
}

fn apple_evidence(builder: AppAttestBuilder) -> Value {
    let attestation = builder.build();
    json!({
        "platform": "apple_app_attest",
        "key_id": b64(&attestation.key_id),
        "object": b64(&attestation.object),
    })
}

fn challenge_of(started: &Started) -> &[u8] {
    started
        .challenge
        .as_deref()
        .expect("an attestation challenge")
}

/// Enrols `subject` with a start key and a new key attested by `evidence` (made for the start
/// answer's challenge and the new key): the pass must be bound to the new key with `assurance`,
/// a door requiring hardware keys accepts its codes (and not the start key's), and renewals
/// proved with the new key keep the assurance.
async fn enrol_attested_and_check(
    issuer: &AttestingIssuer,
    subject: &str,
    evidence: impl FnOnce(&[u8], &[u8]) -> Value,
    assurance: KeyAssurance,
) {
    let start_key = generate_p256_signing_key();
    let new_key = generate_p256_signing_key();
    let started = start(issuer, subject, &start_key).await;
    let evidence = evidence(challenge_of(&started), &key_bytes(&new_key));
    let attestation = attestation_for(&started.id, &new_key, evidence);
    let (status, _, issued) =
        complete_attested(issuer, &started, &start_key, Some(attestation)).await;
    assert_eq!(status, 200, "{assurance:?}: {issued}");
    let claims = pass_of(&issued).claims().clone();
    assert_eq!(
        claims.holder_key,
        new_key.holder_public_key(),
        "{assurance:?}"
    );
    assert_eq!(claims.key_assurance, assurance);

    let door = issuer.strict_door().await;
    let now = unix_now();
    let pass = pass_of(&issued);
    let code = Presentation::rotating(pass.bytes(), &new_key, now).to_qr_text();
    match door.verify_qr_text(&code, now) {
        Verdict::Valid(verified) => assert_eq!(verified.key_assurance, assurance),
        other => panic!("{assurance:?}: {other:?}"),
    }
    // The start key no longer holds the pass.
    let by_start_key = Presentation::rotating(pass.bytes(), &start_key, now).to_qr_text();
    assert!(!door.verify_qr_text(&by_start_key, now).is_valid());

    let token = issued["refresh_token"].as_str().unwrap();
    let refused = issuer.renew(token, &start_key).await;
    assert_eq!(
        error_of(refused),
        (401, "bad_proof".into()),
        "{assurance:?}"
    );
    let mut token = token.to_string();
    for _ in 0..2 {
        let (renewed, next) = issuer.renew_ok(&token, &new_key).await;
        let pass = pass_of(&renewed);
        assert_eq!(pass.claims().key_assurance, assurance);
        assert_eq!(pass.claims().holder_key, new_key.holder_public_key());
        // The renewed pass is valid from when it was issued: a `now` read before the renewal may
        // fall a second before that (NotYetValid), so the door is asked at the pass's own start.
        let now = pass.claims().not_before;
        let code = Presentation::rotating(pass.bytes(), &new_key, now).to_qr_text();
        assert!(door.verify_qr_text(&code, now).is_valid(), "{assurance:?}");
        token = next;
    }
}

#[tokio::test]
async fn android_tee_and_strongbox_chains_bind_the_new_key_with_their_assurance_in_both_modes() {
    let root = TestRoot::new("Test Android Attestation Root");
    for mode in [AttestationMode::Prefer, AttestationMode::Require] {
        let issuer = AttestingIssuer::start(mode, &root).await;
        for (subject, level, assurance) in [
            (
                "demo-kim",
                SECURITY_LEVEL_TRUSTED_ENVIRONMENT,
                KeyAssurance::AndroidTee,
            ),
            (
                "demo-lee",
                SECURITY_LEVEL_STRONG_BOX,
                KeyAssurance::AndroidStrongBox,
            ),
        ] {
            let chain = |challenge: &[u8], new_key: &[u8]| {
                android_evidence(
                    AndroidChainBuilder::new(&root, new_key, challenge)
                        .security_level(level)
                        .build(),
                )
            };
            enrol_attested_and_check(&issuer, subject, chain, assurance).await;
        }
        let text = issuer.metrics().await;
        assert!(
            text.contains(
                "doorpass_attestations_checked_total{platform=\"android_keystore\",result=\"accepted\"} 2"
            ),
            "{mode:?}: {text}"
        );
        issuer.stop().await;
    }
}

#[tokio::test]
async fn an_app_attest_object_for_the_configured_app_and_environment_binds_the_new_key() {
    let root = TestRoot::new("Test App Attestation Root");
    for mode in [AttestationMode::Prefer, AttestationMode::Require] {
        let issuer = AttestingIssuer::start(mode, &root).await;
        let object = |challenge: &[u8], new_key: &[u8]| {
            apple_evidence(
                AppAttestBuilder::for_enrolment(&root, APP_ID, challenge, new_key)
                    .environment(AppAttestEnvironment::Development),
            )
        };
        enrol_attested_and_check(&issuer, "demo-kim", object, KeyAssurance::AppleAppAttest).await;
        issuer.stop().await;
    }
}

/// A wrong attestation: its name, the evidence for (this start's challenge, another start's
/// challenge, the new key), and what the refusal's message says.
type WrongCase<'a> = (
    &'static str,
    Box<dyn Fn(&[u8], &[u8], &[u8]) -> Value + 'a>,
    &'static str,
);

fn wrong_cases<'a>(root: &'a TestRoot, other_root: &'a TestRoot) -> Vec<WrongCase<'a>> {
    let dev_object = move |challenge: &[u8], key: &[u8]| {
        AppAttestBuilder::for_enrolment(root, APP_ID, challenge, key)
            .environment(AppAttestEnvironment::Development)
    };
    vec![
        (
            "a chain made for another start's challenge (a replay)",
            Box::new(move |_, other_challenge, key| {
                android_evidence(AndroidChainBuilder::new(root, key, other_challenge).build())
            }),
            "answers another challenge",
        ),
        (
            "a chain for another key",
            Box::new(move |challenge, _, _| {
                let other_key = key_bytes(&generate_p256_signing_key());
                android_evidence(AndroidChainBuilder::new(root, &other_key, challenge).build())
            }),
            "for another key",
        ),
        (
            "a software key",
            Box::new(move |challenge, _, key| {
                android_evidence(
                    AndroidChainBuilder::new(root, key, challenge)
                        .security_level(SECURITY_LEVEL_SOFTWARE)
                        .build(),
                )
            }),
            "not in secure hardware",
        ),
        (
            "a chain to an untrusted root",
            Box::new(move |challenge, _, key| {
                android_evidence(AndroidChainBuilder::new(other_root, key, challenge).build())
            }),
            "chain is not trusted",
        ),
        (
            "a revoked leaf",
            Box::new(move |challenge, _, key| {
                android_evidence(
                    AndroidChainBuilder::new(root, key, challenge)
                        .serial(&REVOKED_SERIAL)
                        .build(),
                )
            }),
            "revoked (serial d00ba55)",
        ),
        (
            "an App Attest object for another app",
            Box::new(move |challenge, _, key| {
                apple_evidence(dev_object(challenge, key).app_id("ZZZZZ99999.org.other.app"))
            }),
            "for another app",
        ),
        (
            "an App Attest key used before",
            Box::new(move |challenge, _, key| {
                apple_evidence(dev_object(challenge, key).counter(1))
            }),
            "counter not 0",
        ),
        (
            "an App Attest object from the production environment",
            Box::new(move |challenge, _, key| {
                apple_evidence(
                    dev_object(challenge, key).environment(AppAttestEnvironment::Production),
                )
            }),
            "wrong App Attest environment",
        ),
        (
            "a key imported into the hardware",
            Box::new(move |challenge, _, key| {
                android_evidence(
                    AndroidChainBuilder::new(root, key, challenge)
                        .origin(ORIGIN_IMPORTED)
                        .build(),
                )
            }),
            "imported",
        ),
        (
            "an expired leaf",
            Box::new(move |challenge, _, key| {
                android_evidence(
                    AndroidChainBuilder::new(root, key, challenge)
                        .expired()
                        .build(),
                )
            }),
            "expired or not yet valid",
        ),
        (
            "a leaf for the key signed by another attested key (a chain extended below)",
            Box::new(move |challenge, _, key| {
                android_evidence(
                    AndroidChainBuilder::new(root, key, challenge)
                        .extended_below_attestation()
                        .build(),
                )
            }),
            "not trusted",
        ),
        (
            "an App Attest object sent with another attestation's key id",
            Box::new(move |challenge, _, key| {
                let mut evidence = apple_evidence(dev_object(challenge, key));
                evidence["key_id"] = apple_evidence(dev_object(challenge, key))["key_id"].clone();
                evidence
            }),
            "key id does not match",
        ),
        (
            "an App Attest object for another start's challenge (a replay)",
            Box::new(move |_, other_challenge, key| {
                apple_evidence(dev_object(other_challenge, key))
            }),
            "answers another challenge",
        ),
    ]
}

#[tokio::test]
async fn require_refuses_each_wrong_attestation_403_attestation_invalid_with_the_reason() {
    let root = TestRoot::new("Test Attestation Root");
    let other_root = TestRoot::new("Another Attestation Root");
    let issuer = AttestingIssuer::start(AttestationMode::Require, &root).await;
    let start_key = generate_p256_signing_key();
    for (case, evidence, reason) in wrong_cases(&root, &other_root) {
        let other = start(&issuer, "demo-lee", &start_key).await;
        let started = start(&issuer, "demo-kim", &start_key).await;
        let new_key = generate_p256_signing_key();
        let evidence = evidence(
            challenge_of(&started),
            challenge_of(&other),
            &key_bytes(&new_key),
        );
        let attestation = attestation_for(&started.id, &new_key, evidence);
        let answer = complete_attested(&issuer, &started, &start_key, Some(attestation)).await;
        let message = answer.2["message"].as_str().unwrap_or_default().to_string();
        assert!(message.contains(reason), "{case}: {message}");
        assert_eq!(
            error_of(answer),
            (403, "attestation_invalid".into()),
            "{case}"
        );
    }
    assert_eq!(issuer.inspect(|tx| tx.pass_count()).await, 0);
    let text = issuer.metrics().await;
    for (platform, reason, count) in [
        ("android_keystore", "challenge_mismatch", 1),
        ("android_keystore", "key_mismatch", 1),
        ("android_keystore", "software_key", 1),
        ("android_keystore", "untrusted_chain", 2),
        ("android_keystore", "revoked", 1),
        ("android_keystore", "wrong_key_properties", 1),
        ("android_keystore", "certificate_not_valid_now", 1),
        ("apple_app_attest", "wrong_app", 1),
        ("apple_app_attest", "counter_not_zero", 1),
        ("apple_app_attest", "wrong_environment", 1),
        ("apple_app_attest", "key_id_mismatch", 1),
        ("apple_app_attest", "challenge_mismatch", 1),
    ] {
        let line = format!(
            "doorpass_attestations_refused_total{{platform=\"{platform}\",reason=\"{reason}\"}} {count}"
        );
        assert!(text.contains(&line), "{line}: {text}");
    }
    issuer.stop().await;
}

#[tokio::test]
async fn prefer_issues_an_unattested_pass_to_the_start_key_for_each_wrong_attestation() {
    let root = TestRoot::new("Test Attestation Root");
    let other_root = TestRoot::new("Another Attestation Root");
    let issuer = AttestingIssuer::start(AttestationMode::Prefer, &root).await;
    let door = issuer.strict_door().await;
    for (case, evidence, _) in wrong_cases(&root, &other_root) {
        let start_key = generate_p256_signing_key();
        let other = start(&issuer, "demo-lee", &start_key).await;
        let started = start(&issuer, "demo-kim", &start_key).await;
        let new_key = generate_p256_signing_key();
        let evidence = evidence(
            challenge_of(&started),
            challenge_of(&other),
            &key_bytes(&new_key),
        );
        let attestation = attestation_for(&started.id, &new_key, evidence);
        let (status, _, issued) =
            complete_attested(&issuer, &started, &start_key, Some(attestation)).await;
        assert_eq!(status, 200, "{case}: {issued}");
        let pass = pass_of(&issued);
        assert_eq!(
            pass.claims().holder_key,
            start_key.holder_public_key(),
            "{case}"
        );
        assert_eq!(
            pass.claims().key_assurance,
            KeyAssurance::Unattested,
            "{case}"
        );
        // A door requiring hardware keys refuses it.
        let now = unix_now();
        let code = Presentation::rotating(pass.bytes(), &start_key, now).to_qr_text();
        assert!(
            matches!(
                door.verify_qr_text(&code, now),
                Verdict::Refused(Refusal::KeyNotHardwareBound)
            ),
            "{case}"
        );
    }
    issuer.stop().await;
}

#[tokio::test]
async fn a_retried_completion_with_the_same_valid_attestation_gets_the_same_stored_answer() {
    let root = TestRoot::new("Test Android Attestation Root");
    for mode in [AttestationMode::Prefer, AttestationMode::Require] {
        let issuer = AttestingIssuer::start(mode, &root).await;
        let start_key = generate_p256_signing_key();
        let new_key = generate_p256_signing_key();
        let started = start(&issuer, "demo-kim", &start_key).await;
        let chain = AndroidChainBuilder::new(&root, &key_bytes(&new_key), challenge_of(&started))
            .security_level(SECURITY_LEVEL_STRONG_BOX)
            .build();
        let attestation = attestation_for(&started.id, &new_key, android_evidence(chain));
        let first =
            complete_attested(&issuer, &started, &start_key, Some(attestation.clone())).await;
        assert_eq!(first.0, 200, "{mode:?}: {}", first.2);
        let retry = complete_attested(&issuer, &started, &start_key, Some(attestation)).await;
        assert_eq!(retry.0, 200, "{mode:?}: {}", retry.2);
        assert_eq!(retry.2, first.2, "{mode:?}");
        assert_eq!(
            pass_of(&retry.2).claims().key_assurance,
            KeyAssurance::AndroidStrongBox
        );
        assert_eq!(issuer.inspect(|tx| tx.pass_count()).await, 1, "{mode:?}");
        issuer.stop().await;
    }
}

/// A start answered by one node is completed at another, and another start's completion after a
/// restart: the challenge is derived, not stored, so every node and every restart checks the same
/// one.
#[tokio::test]
async fn a_challenge_is_answered_at_another_node_and_after_a_restart() {
    let root = TestRoot::new("Test Android Attestation Root");
    let mut issuer = AttestingIssuer::start(AttestationMode::Require, &root).await;
    let chain_for = |started: &Started, key: &P256SigningKey| {
        android_evidence(
            AndroidChainBuilder::new(&root, &key_bytes(key), challenge_of(started)).build(),
        )
    };
    let settings = issuer.config.clone();
    let node = DevIssuer::add_node(&issuer.issuer, |c| c.attestation = settings).await;
    let other_node = issuer.issuer.on(&node);
    for (subject, completing) in [("demo-kim", &other_node), ("demo-lee", &issuer.issuer)] {
        let (start_key, new_key) = (generate_p256_signing_key(), generate_p256_signing_key());
        let started = start(&other_node, subject, &start_key).await;
        let attestation = attestation_for(&started.id, &new_key, chain_for(&started, &new_key));
        let (status, _, issued) =
            complete_attested(completing, &started, &start_key, Some(attestation)).await;
        assert_eq!(status, 200, "{subject}: {issued}");
        let claims = pass_of(&issued).claims().clone();
        assert_eq!(claims.key_assurance, KeyAssurance::AndroidTee, "{subject}");
        assert_eq!(claims.holder_key, new_key.holder_public_key(), "{subject}");
    }
    drop(other_node);
    node.stop().await.unwrap();

    let (start_key, new_key) = (generate_p256_signing_key(), generate_p256_signing_key());
    let started = start(&issuer, "demo-kim", &start_key).await;
    let settings = issuer.config.clone();
    issuer.issuer.restart(|c| c.attestation = settings).await;
    let attestation = attestation_for(&started.id, &new_key, chain_for(&started, &new_key));
    let (status, _, issued) =
        complete_attested(&issuer, &started, &start_key, Some(attestation)).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(
        pass_of(&issued).claims().key_assurance,
        KeyAssurance::AndroidTee
    );
    issuer.stop().await;
}

/// A wrong code with a valid attestation is counted as a wrong code (the attestation is not
/// checked, nor used up); the right code then gets the attested pass.
#[tokio::test]
async fn a_wrong_code_with_a_valid_attestation_is_a_wrong_code_and_the_right_one_is_then_attested()
{
    let root = TestRoot::new("Test Android Attestation Root");
    let issuer = AttestingIssuer::start(AttestationMode::Require, &root).await;
    let (start_key, new_key) = (generate_p256_signing_key(), generate_p256_signing_key());
    let started = start(&issuer, "demo-kim", &start_key).await;
    let chain = AndroidChainBuilder::new(&root, &key_bytes(&new_key), challenge_of(&started))
        .security_level(SECURITY_LEVEL_STRONG_BOX)
        .build();
    let attestation = attestation_for(&started.id, &new_key, android_evidence(chain));
    let wrong_code = if started.code == "000000" {
        "000001"
    } else {
        "000000"
    };
    let wrong = Started {
        id: started.id.clone(),
        challenge: None,
        code: wrong_code.into(),
    };
    let answer = complete_attested(&issuer, &wrong, &start_key, Some(attestation.clone())).await;
    assert_eq!(error_of(answer), (401, "invalid_code".into()));
    let (status, _, issued) =
        complete_attested(&issuer, &started, &start_key, Some(attestation)).await;
    assert_eq!(status, 200, "{issued}");
    let claims = pass_of(&issued).claims().clone();
    assert_eq!(claims.key_assurance, KeyAssurance::AndroidStrongBox);
    assert_eq!(claims.holder_key, new_key.holder_public_key());
    let text = issuer.metrics().await;
    assert!(
        text.contains(
            "doorpass_attestations_checked_total{platform=\"android_keystore\",result=\"accepted\"} 1"
        ),
        "{text}"
    );
    issuer.stop().await;
}
