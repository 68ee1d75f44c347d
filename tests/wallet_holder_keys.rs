//! Holder keys of either kind in the wallet (issue 22 part 2), against the real issuer on 127.0.0.1:
//! a software P-256 key and a platform signer (real ECDSA keys answering in DER, as Android's
//! Keystore does) drive enrolment → QR → door verify → renewal; an Ed25519 wallet from before keeps
//! working and moves to the platform's key at its next authentication.

use std::path::Path;
use std::sync::Arc;

use doorpass_format::holder_key::HolderKeyKind;
use doorpass_format::{Pass, Verifier, VerifierPolicy};
use doorpass_tests::{TestIssuer, now, qr_pass_bytes, trust_list_of};
use doorpass_wallet::holder_signer::NewHolderKeys;
use doorpass_wallet::secret_store::{FileSecretStore, SecretStore};
use doorpass_wallet::wallet::{RenewalOutcome, Wallet, WalletError, WalletOptions};

mod der_platform;
use der_platform::DerPlatform;

fn wallet_with(
    issuer: &TestIssuer,
    home: &Path,
    secrets: Arc<dyn SecretStore>,
    holder_keys: NewHolderKeys,
) -> Wallet {
    let options = WalletOptions {
        holder_keys,
        ..WalletOptions::default()
    };
    issuer.wallet(home, secrets, options)
}

/// The wallet's current code, checked by a door holding the issuer's trust list; returns the pass.
fn door_accepts_the_code(issuer: &TestIssuer, wallet: &Wallet) -> Pass {
    let view = wallet.current_qr(None, now(), false).unwrap();
    let verifier = Verifier::new(trust_list_of(issuer), VerifierPolicy::default());
    let verdict = verifier.verify_qr_text(&view.qr_text, now());
    assert!(verdict.is_valid(), "{verdict:?}");
    Pass::parse(&qr_pass_bytes(&view.qr_text)).unwrap()
}

/// Renews the wallet's one pass (as if renew-after had come) and checks the answer.
async fn renew_now(wallet: &Wallet) {
    let d = wallet.passes(now())[0].details.clone().unwrap();
    // Halfway from renew-after to expiry, in device time (as tests/wallet_renew.rs).
    let offset = wallet.clock_status().offset_seconds.unwrap_or(0);
    let later = (d.renew_after + (d.expires_at - d.renew_after) / 2).saturating_add_signed(-offset);
    let outcomes = wallet.renew_due(later).await;
    assert!(
        matches!(outcomes[..], [ref o] if matches!(o.outcome, RenewalOutcome::Renewed { .. })),
        "{outcomes:?}"
    );
}

fn file_secrets(home: &Path) -> Arc<dyn SecretStore> {
    Arc::new(FileSecretStore::new(home.join("secrets.json")))
}

#[tokio::test]
async fn a_software_p256_key_enrols_shows_codes_a_door_accepts_and_renews() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = wallet_with(
        &issuer,
        home.path(),
        file_secrets(home.path()),
        NewHolderKeys::SoftwareP256,
    );
    let first = issuer.enrol(&wallet, "demo-kim").await;
    let pass = door_accepts_the_code(&issuer, &wallet);
    assert_eq!(pass.claims().holder_key.kind(), HolderKeyKind::P256);
    renew_now(&wallet).await;
    let renewed = door_accepts_the_code(&issuer, &wallet);
    assert_ne!(renewed.claims().pass_id, pass.claims().pass_id);
    assert_eq!(renewed.claims().holder_key, pass.claims().holder_key);
    // Reopened (the recorded kind reads the 32 stored bytes back as a P-256 key, not Ed25519).
    drop(wallet);
    let wallet = wallet_with(
        &issuer,
        home.path(),
        file_secrets(home.path()),
        NewHolderKeys::default(),
    );
    assert_eq!(wallet.passes(now())[0].id, first.id);
    door_accepts_the_code(&issuer, &wallet);
}

#[tokio::test]
async fn a_platform_signer_answering_in_der_drives_enrolment_codes_and_renewal() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let signer = DerPlatform::unattesting();
    let wallet = wallet_with(
        &issuer,
        home.path(),
        file_secrets(home.path()),
        NewHolderKeys::Platform(signer.clone()),
    );
    issuer.enrol(&wallet, "demo-lee").await;
    let pass = door_accepts_the_code(&issuer, &wallet);
    let keys = signer.live_keys();
    assert_eq!(keys.len(), 1, "one platform key per pass");
    assert_eq!(pass.claims().holder_key, signer.public_key_of(&keys[0]));
    // The private key never went to the secret store.
    let stored = std::fs::read_to_string(home.path().join("secrets.json")).unwrap_or_default();
    assert!(!stored.contains("holder-key"), "{stored}");
    renew_now(&wallet).await;
    let renewed = door_accepts_the_code(&issuer, &wallet);
    assert_eq!(renewed.claims().holder_key, signer.public_key_of(&keys[0]));
}

#[tokio::test]
async fn an_ed25519_wallet_keeps_working_and_moves_to_the_platform_key_at_its_next_authentication()
{
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let (secrets, pass) = issuer.enrolled_in_folder(home.path(), "demo-park").await;
    // A wallet written before issue 22: its pass metadata names no key kind.
    let meta_path = home.path().join("passes").join(format!("{}.json", pass.id));
    let mut meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    meta.as_object_mut().unwrap().remove("holder_key").unwrap();
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();

    let signer = DerPlatform::unattesting();
    let wallet = wallet_with(
        &issuer,
        home.path(),
        secrets.clone(),
        NewHolderKeys::Platform(signer.clone()),
    );
    let old = door_accepts_the_code(&issuer, &wallet);
    assert_eq!(old.claims().holder_key.kind(), HolderKeyKind::Ed25519);
    // Renewal keeps the Ed25519 key (the issuer binds the renewed pass to the same key).
    renew_now(&wallet).await;
    let renewed = door_accepts_the_code(&issuer, &wallet);
    assert_eq!(renewed.claims().holder_key, old.claims().holder_key);
    // The next authentication moves the pass to the platform's key and drops the software key.
    issuer.enrol(&wallet, "demo-park").await;
    assert_eq!(wallet.passes(now()).len(), 1, "the same pass slot");
    let moved = door_accepts_the_code(&issuer, &wallet);
    assert_eq!(
        moved.claims().holder_key,
        signer.public_key_of(&signer.live_keys()[0])
    );
    let name = format!("/{}/holder-key", pass.id);
    let stored = std::fs::read_to_string(home.path().join("secrets.json")).unwrap();
    assert!(!stored.contains(&name), "{stored}");

    // Opened without the platform signer, the pass says why it shows no code.
    drop(wallet);
    let wallet = wallet_with(&issuer, home.path(), secrets, NewHolderKeys::default());
    assert!(matches!(
        wallet.current_qr(None, now(), false),
        Err(WalletError::HolderKey { .. })
    ));
}
