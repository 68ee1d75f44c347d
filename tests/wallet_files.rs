//! The wallet's own files and secrets, with the real issuer on 127.0.0.1: damaged files set aside
//! and recovered, the pinned anchor, wipe, and secrets in the kernel keyring.

use std::sync::Arc;
use std::time::Duration;

use doorpass_format::keys;
use doorpass_format::verifier::VerifierPolicy;
use doorpass_tests::{TestIssuer, now};
use doorpass_wallet::keyring_store::KeyringSecretStore;
use doorpass_wallet::secret_store::{SecretStore, SecretStoreError};
use doorpass_wallet::wallet::{
    PassState, RenewalOutcome, Wallet, WalletError, WalletOptions, WalletSetup,
};

#[tokio::test]
async fn damaged_files_are_set_aside_reported_and_recovered() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let (secrets, pass) = issuer.enrolled_in_folder(home.path(), "demo-kim").await;
    let pass_file = home.path().join("passes").join(format!("{}.cose", pass.id));
    let bytes = std::fs::read(&pass_file).unwrap();
    std::fs::write(&pass_file, &bytes[..bytes.len() / 2]).unwrap(); // truncated
    std::fs::write(home.path().join("state.json"), b"{ not json").unwrap();
    std::fs::write(home.path().join("trust-list.cose"), b"\xd2\x84garbage").unwrap();
    let leftover = home.path().join("passes").join("leftover.cose.tmp");
    std::fs::write(&leftover, b"half-written").unwrap();
    // Left by a crash a while ago (a fresh one could be another process's write under way).
    std::fs::File::options()
        .write(true)
        .open(&leftover)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();

    let wallet = Wallet::open(home.path(), secrets, None, WalletOptions::default()).unwrap();
    let problems = wallet.problems();
    assert_eq!(problems.len(), 3, "{problems:?}");
    for p in &problems {
        assert!(
            std::path::Path::new(&p.moved_to).exists(),
            "kept for inspection: {p:?}"
        );
        assert!(!std::path::Path::new(&p.file).exists());
    }
    assert!(
        !home
            .path()
            .join("passes")
            .join("leftover.cose.tmp")
            .exists(),
        "stale temp file removed"
    );
    assert_eq!(wallet.passes(now())[0].state, PassState::Missing);
    assert_eq!(
        wallet.current_qr(None, now(), false).unwrap_err(),
        WalletError::PassMissing
    );
    // Online again: renewal fetches the trust list and a new pass with the stored refresh token.
    let outcomes = wallet.renew_due(now()).await;
    assert!(
        matches!(outcomes[0].outcome, RenewalOutcome::Renewed { .. }),
        "{outcomes:?}"
    );
    assert_eq!(wallet.passes(now())[0].state, PassState::Active);
    assert!(wallet.trust_list_status(now()).is_some());
    assert!(wallet.current_qr(None, now(), false).is_ok());
}

#[tokio::test]
async fn the_pinned_anchor_cannot_change_and_wipe_removes_everything() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let (secrets, _) = issuer.enrolled_in_folder(home.path(), "demo-kim").await;
    let other = WalletSetup {
        issuer_url: issuer.url(),
        anchor: keys::generate_signing_key().verifying_key(),
        replace_issuer: false,
    };
    assert!(matches!(
        Wallet::open(
            home.path(),
            secrets.clone(),
            Some(other),
            WalletOptions::default()
        ),
        Err(WalletError::AnchorMismatch)
    ));
    assert!(matches!(
        Wallet::open(
            &home.path().join("nowhere"),
            secrets.clone(),
            None,
            WalletOptions::default()
        ),
        Err(WalletError::NotSetUp)
    ));
    let wallet =
        Wallet::open(home.path(), secrets.clone(), None, WalletOptions::default()).unwrap();
    wallet.wipe().await.unwrap();
    assert!(
        !home.path().exists() || std::fs::read_dir(home.path()).unwrap().next().is_none(),
        "folder emptied"
    );
}

#[tokio::test]
async fn another_issuer_url_replaces_the_recorded_one_only_when_asked() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let (secrets, _) = issuer.enrolled_in_folder(home.path(), "demo-kim").await;
    let identity = home.path().join("identity.json");
    let recorded = std::fs::read(&identity).unwrap();
    let elsewhere = |replace_issuer| WalletSetup {
        issuer_url: "https://elsewhere.example".into(),
        anchor: issuer.anchor,
        replace_issuer,
    };
    let refused = Wallet::open(
        home.path(),
        secrets.clone(),
        Some(elsewhere(false)),
        WalletOptions::default(),
    )
    .err()
    .unwrap();
    assert_eq!(
        refused,
        WalletError::IssuerMismatch {
            stored: issuer.url()
        }
    );
    assert_eq!(
        std::fs::read(&identity).unwrap(),
        recorded,
        "nothing rewritten"
    );
    // The same URL, or none, opens it as before.
    assert_eq!(
        issuer
            .wallet(home.path(), secrets.clone(), WalletOptions::default())
            .issuer_url(),
        issuer.url()
    );
    // Asked for, the URL is replaced, and kept for later opens.
    let moved = Wallet::open(
        home.path(),
        secrets.clone(),
        Some(elsewhere(true)),
        WalletOptions::default(),
    )
    .unwrap();
    assert_eq!(moved.issuer_url(), "https://elsewhere.example");
    drop(moved);
    let reopened = Wallet::open(home.path(), secrets, None, WalletOptions::default()).unwrap();
    assert_eq!(reopened.issuer_url(), "https://elsewhere.example");
    assert!(
        reopened.current_qr(None, now(), false).is_ok(),
        "the pass stays"
    );
}

/// The real kernel keyring (inside `keyctl session -`, as scripts/test.sh runs the tests): secrets
/// survive a reopen of the wallet and are gone after a wipe.
#[tokio::test]
async fn keyring_store_holds_the_secrets() {
    let store = match KeyringSecretStore::connect("doorpass-e2e-test") {
        Ok(store) => Arc::new(store) as Arc<dyn SecretStore>,
        Err(SecretStoreError::Unavailable(reason)) => {
            assert!(
                std::env::var_os("DOORPASS_REQUIRE_KEYRING").is_none(),
                "keyring required: {reason}"
            );
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.wallet(home.path(), store.clone(), WalletOptions::default());
    issuer.enrol(&wallet, "demo-lee").await;
    drop(wallet);
    assert!(
        !home.path().join("secrets.json").exists(),
        "no secret touched the disk"
    );
    let wallet = Wallet::open(home.path(), store.clone(), None, WalletOptions::default()).unwrap();
    let view = wallet.current_qr(None, now(), false).unwrap();
    assert!(
        wallet
            .verify_qr(&view.qr_text, now(), VerifierPolicy::default())
            .unwrap()
            .is_valid()
    );
    wallet.wipe().await.unwrap();
}
