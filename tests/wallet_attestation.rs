//! Platform holder keys addressed by id, and key attestation in enrolment (issue 22 part 3), against
//! the real issuer on 127.0.0.1: one platform key per pass, kept by re-authentication and deleted
//! once nothing uses it (cancel, removal, wipe); the challenge of the issuer's start answer (in
//! `prefer` mode) makes the wallet make a new key bound to it and record it before sending; a wrong
//! code keeps the pass in hand (and its key) working and a retry reuses the new key; the new key is
//! deleted when the pass the issuer sends binds the start key (an attestation that does not check),
//! and the pass moves to it, the former key deleted, when the issuer took a valid attestation.
//! Attested enrolments end to end (assurance at the door, renewal, `require` mode):
//! wallet_attested_keys.rs.

mod der_platform;

use std::path::Path;
use std::sync::Arc;

use der_platform::DerPlatform;
use doorpass_attestation::testing::SECURITY_LEVEL_STRONG_BOX;
use doorpass_format::api::{ATTESTATION_CHALLENGE_LEN, b64_fixed};
use doorpass_format::{KeyAssurance, Pass, Verdict, Verifier, VerifierPolicy};
use doorpass_issuer::attestation::AttestationMode;
use doorpass_tests::{TestIssuer, now, qr_pass_bytes, trust_list_of};
use doorpass_wallet::holder_signer::NewHolderKeys;
use doorpass_wallet::secret_store::{FileSecretStore, SecretStore};
use doorpass_wallet::wallet::{Wallet, WalletError, WalletOptions};

/// A dev issuer in attestation `prefer` mode trusting `signer`'s test root (written into
/// `dir`): its start answers carry a challenge of their own.
async fn prefer_issuer(signer: &DerPlatform, dir: &Path) -> TestIssuer {
    TestIssuer::start(|config| signer.configure_issuer(config, AttestationMode::Prefer, dir)).await
}

fn platform_wallet(issuer: &TestIssuer, home: &Path, signer: &Arc<DerPlatform>) -> Wallet {
    let secrets: Arc<dyn SecretStore> = Arc::new(FileSecretStore::new(home.join("secrets.json")));
    let options = WalletOptions {
        holder_keys: NewHolderKeys::Platform(signer.clone()),
        ..WalletOptions::default()
    };
    issuer.wallet(home, secrets, options)
}

/// The wallet's code for pass `id`, checked by a door holding the issuer's trust list.
fn door_accepts(issuer: &TestIssuer, wallet: &Wallet, id: &str) -> Pass {
    let view = wallet.current_qr(Some(id), now(), false).unwrap();
    let verdict = Verifier::new(trust_list_of(issuer), VerifierPolicy::default())
        .verify_qr_text(&view.qr_text, now());
    assert!(verdict.is_valid(), "{verdict:?}");
    Pass::parse(&qr_pass_bytes(&view.qr_text)).unwrap()
}

fn state(home: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(home.join("state.json")).unwrap()).unwrap()
}

/// The attestation challenge the pending enrolment recorded from the issuer's start answer.
fn recorded_challenge(home: &Path) -> Vec<u8> {
    let recorded = state(home)["pending"]["attestation_challenge"].clone();
    let text = recorded
        .as_str()
        .expect("the start answer carried a challenge");
    b64_fixed::<ATTESTATION_CHALLENGE_LEN>(text)
        .unwrap()
        .to_vec()
}

/// A code of the right length that is not `code`.
fn wrong(code: &str) -> String {
    let mut digits: Vec<u8> = code.bytes().collect();
    let last = digits.len() - 1;
    digits[last] = if digits[last] == b'0' { b'1' } else { b'0' };
    String::from_utf8(digits).unwrap()
}

#[tokio::test]
async fn platform_keys_are_one_per_pass_kept_by_reauthentication_and_deleted_once_unused() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let signer = DerPlatform::unattesting();
    let wallet = platform_wallet(&issuer, home.path(), &signer);
    let kim = issuer.enrol(&wallet, "demo-kim").await;
    let lee = issuer.enrol(&wallet, "demo-lee").await;
    assert_eq!(signer.live_keys().len(), 2, "one key per pass");
    let kim_key = door_accepts(&issuer, &wallet, &kim.id).claims().holder_key;

    // Re-authentication proves and binds the pass's own key: no key is made.
    issuer.enrol(&wallet, "demo-kim").await;
    assert_eq!(signer.made(), 2);
    assert_eq!(
        door_accepts(&issuer, &wallet, &kim.id).claims().holder_key,
        kim_key
    );
    // A re-authentication abandoned: the pass's key stays.
    wallet
        .begin_authentication("demo-kim", now())
        .await
        .unwrap();
    wallet.cancel_authentication().unwrap();
    assert_eq!(signer.live_keys().len(), 2);
    door_accepts(&issuer, &wallet, &kim.id);
    // A new enrolment abandoned: its new key goes.
    wallet
        .begin_authentication("demo-park", now())
        .await
        .unwrap();
    assert_eq!(signer.live_keys().len(), 3);
    wallet.cancel_authentication().unwrap();
    assert_eq!(signer.live_keys().len(), 2);

    // Removing a pass deletes its key; wiping deletes them all.
    wallet.remove_pass(&lee.id).unwrap();
    assert_eq!(signer.live_keys().len(), 1);
    door_accepts(&issuer, &wallet, &kim.id);
    wallet.wipe().await.unwrap();
    assert_eq!(signer.live_keys(), Vec::<String>::new());
}

#[tokio::test]
async fn a_challenge_makes_a_new_attested_key_and_a_wrong_code_keeps_the_pass_in_hand() {
    let roots = tempfile::tempdir().unwrap();
    let signer = DerPlatform::attesting();
    let issuer = prefer_issuer(&signer, roots.path()).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = platform_wallet(&issuer, home.path(), &signer);
    // The enrolment's own attested key came with a stand-in chain that does not check: the
    // issuer bound the start key and the wallet deleted the other.
    let pass = issuer.enrol(&wallet, "demo-choi").await;
    let old_key = signer.live_keys();
    assert_eq!((old_key.len(), signer.made()), (1, 2), "{old_key:?}");
    let bound = door_accepts(&issuer, &wallet, &pass.id).claims().holder_key;
    assert_eq!(bound, signer.public_key_of(&old_key[0]));

    wallet
        .begin_reauthentication(&pass.id, now())
        .await
        .unwrap();
    let challenge = recorded_challenge(home.path());
    let code = issuer.dev_code("demo-choi").await;

    // A wrong code: the new key was made with the issuer's challenge (this start's own) and
    // recorded before anything was sent; the pass in hand still shows codes with its own key.
    let err = wallet
        .complete_authentication(&wrong(&code), now())
        .await
        .unwrap_err();
    assert!(matches!(err, WalletError::WrongCode { .. }), "{err:?}");
    let challenges = signer.challenges();
    assert_eq!(challenges.len(), 2);
    assert_eq!(challenges[1], challenge);
    assert_ne!(challenges[0], challenge, "each start has its own challenge");
    let live = signer.live_keys();
    assert_eq!(
        live.len(),
        2,
        "the pass's key and the attested key: {live:?}"
    );
    let attested_id = live.iter().find(|k| !old_key.contains(k)).unwrap().clone();
    let pending = &state(home.path())["pending"];
    assert_eq!(pending["attested"]["key"]["key_id"], attested_id.as_str());
    assert_eq!(
        pending["attested"]["evidence"]["platform"],
        "android_keystore"
    );
    assert_eq!(
        door_accepts(&issuer, &wallet, &pass.id).claims().holder_key,
        bound
    );

    // A second wrong code reuses the attested key: no fourth key.
    wallet
        .complete_authentication(&wrong(&code), now())
        .await
        .unwrap_err();
    assert_eq!(signer.made(), 3);

    // The right code: the attestation did not check, so the issuer bound the start key (the
    // pass's own) and the attested key is deleted.
    wallet.complete_authentication(&code, now()).await.unwrap();
    assert_eq!(signer.live_keys(), old_key);
    let shown = door_accepts(&issuer, &wallet, &pass.id);
    assert_eq!(shown.claims().holder_key, bound);
    assert_eq!(shown.claims().key_assurance, KeyAssurance::Unattested);
    assert!(state(home.path())["pending"].is_null());
}

#[tokio::test]
async fn a_signer_without_attestation_enrols_without_one_and_keeps_no_extra_key() {
    let roots = tempfile::tempdir().unwrap();
    let signer = DerPlatform::unattesting();
    let issuer = prefer_issuer(&signer, roots.path()).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = platform_wallet(&issuer, home.path(), &signer);
    wallet
        .begin_authentication("demo-park", now())
        .await
        .unwrap();
    let challenge = recorded_challenge(home.path());
    let code = issuer.dev_code("demo-park").await;
    let err = wallet
        .complete_authentication(&wrong(&code), now())
        .await
        .unwrap_err();
    assert!(matches!(err, WalletError::WrongCode { .. }), "{err:?}");
    // The key made for the challenge came without an attestation: deleted, and not made again.
    assert_eq!(signer.challenges(), vec![challenge]);
    assert_eq!(signer.live_keys().len(), 1);
    assert_eq!(
        state(home.path())["pending"]["attestation_unavailable"],
        true
    );
    let pass = wallet.complete_authentication(&code, now()).await.unwrap();
    assert_eq!(signer.made(), 2);
    let keys = signer.live_keys();
    assert_eq!(keys.len(), 1);
    let shown = door_accepts(&issuer, &wallet, &pass.id);
    assert_eq!(shown.claims().holder_key, signer.public_key_of(&keys[0]));
    assert_eq!(shown.claims().key_assurance, KeyAssurance::Unattested);
}

#[tokio::test]
async fn a_pass_bound_to_the_attested_key_moves_the_pass_to_it_and_deletes_the_former_key() {
    let roots = tempfile::tempdir().unwrap();
    let signer = DerPlatform::android(SECURITY_LEVEL_STRONG_BOX);
    let issuer = prefer_issuer(&signer, roots.path()).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = platform_wallet(&issuer, home.path(), &signer);
    let pass = issuer.enrol(&wallet, "demo-kim").await;
    let former = signer.live_keys();
    assert_eq!(former.len(), 1, "{former:?}");
    wallet
        .begin_reauthentication(&pass.id, now())
        .await
        .unwrap();
    let code = issuer.dev_code("demo-kim").await;
    wallet
        .complete_authentication(&wrong(&code), now())
        .await
        .unwrap_err();
    let attested = signer
        .live_keys()
        .into_iter()
        .find(|k| !former.contains(k))
        .unwrap();
    assert_eq!(
        door_accepts(&issuer, &wallet, &pass.id).claims().holder_key,
        signer.public_key_of(&former[0]),
        "until the issuer answers, the pass signs with its former key"
    );

    // The issuer took the attestation: its pass binds the attested key.
    let renewed = wallet.complete_authentication(&code, now()).await.unwrap();
    assert_eq!(renewed.id, pass.id);
    assert_eq!(
        signer.live_keys(),
        vec![attested.clone()],
        "the former key is deleted"
    );
    let view = wallet.current_qr(Some(&pass.id), now(), false).unwrap();
    let verdict = Verifier::new(trust_list_of(&issuer), VerifierPolicy::default())
        .verify_qr_text(&view.qr_text, now());
    let Verdict::Valid(valid) = verdict else {
        panic!("{verdict:?}")
    };
    assert_eq!(valid.key_assurance, KeyAssurance::AndroidStrongBox);
    // Reopened, the pass still signs with the attested key (its id was recorded).
    drop(wallet);
    let wallet = platform_wallet(&issuer, home.path(), &signer);
    assert_eq!(
        door_accepts(&issuer, &wallet, &pass.id).claims().holder_key,
        signer.public_key_of(&attested)
    );
}
