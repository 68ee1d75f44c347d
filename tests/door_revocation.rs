//! A door device and revocation, over real HTTP on 127.0.0.1: the door learns a list's URI from the
//! passes it checks, fetches it, keeps it on disk, refreshes it once its ttl has passed, and keeps
//! working on the list it has when the issuer cannot be reached; a wallet learns that its pass was
//! revoked, stops showing its code, and gets a working pass by authenticating again.

use std::time::Duration;

use doorpass_format::{RevocationCheck, Verdict, VerifierPolicy};
use doorpass_issuer::store::RevokeSelector;
use doorpass_tests::{TestIssuer, now};
use doorpass_wallet::door::DoorVerifier;
use doorpass_wallet::issuer_client::{DEFAULT_TIMEOUT, IssuerClient};
use doorpass_wallet::wallet::{PassState, WalletError};

fn revocation(verdict: Verdict) -> RevocationCheck {
    match verdict {
        Verdict::Valid(pass) => pass.revocation,
        Verdict::Refused(r) => panic!("refused: {r}"),
    }
}

#[tokio::test]
async fn a_door_fetches_the_list_a_pass_names_refreshes_it_and_refuses_the_pass_once_revoked() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    issuer.enrol(&wallet, "demo-kim").await;
    let qr = wallet.current_qr(None, now(), false).unwrap().qr_text;

    let door_dir = tempfile::tempdir().unwrap();
    let anchor = issuer.anchor;
    let open = || DoorVerifier::open(door_dir.path(), anchor, VerifierPolicy::default());
    let (door, _) = open().unwrap();
    let trust = std::fs::read(issuer.dir.path().join("trust-list.cose")).unwrap();
    door.update_trust_list(&trust, now()).unwrap();
    let client = IssuerClient::over_https(&issuer.url(), DEFAULT_TIMEOUT).unwrap();
    // Before any list: valid, not checked; the door now wants the list this pass names.
    assert_eq!(
        revocation(door.verify(&qr, now()).unwrap()),
        RevocationCheck::NotChecked {
            list_age_seconds: None
        }
    );
    let held = door.refresh_status_lists(&client, now()).await.unwrap();
    assert_eq!(held.len(), 1);
    assert!(matches!(
        revocation(door.verify(&qr, now()).unwrap()),
        RevocationCheck::NotRevoked { .. }
    ));

    issuer
        .revoke(RevokeSelector::Subject("demo-kim".into()))
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Within its ttl (300 s) the held list is not fetched again...
    door.refresh_status_lists(&client, now()).await.unwrap();
    assert!(door.verify(&qr, now()).unwrap().is_valid());
    // ...once it has passed, it is, and the pass is refused.
    door.refresh_status_lists(&client, now() + 301)
        .await
        .unwrap();
    assert_eq!(door.verify(&qr, now()).unwrap().code(), "revoked");

    // Kept on disk: a door reopened with no issuer reachable still refuses it.
    let url = issuer.url();
    let mut issuer = issuer;
    issuer.stop().await;
    drop(door);
    let (door, _) = open().unwrap();
    assert_eq!(door.verify(&qr, now()).unwrap().code(), "revoked");
    let offline = IssuerClient::over_https(&url, Duration::from_secs(2)).unwrap();
    assert!(
        door.refresh_status_lists(&offline, now() + 301)
            .await
            .is_err()
    );
    assert_eq!(door.status_lists().len(), 1);
    assert_eq!(door.verify(&qr, now()).unwrap().code(), "revoked");
}

#[tokio::test]
async fn a_wallet_learns_its_pass_was_revoked_stops_its_code_and_a_new_enrolment_restores_it() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets: std::sync::Arc<dyn doorpass_wallet::secret_store::SecretStore> =
        std::sync::Arc::new(doorpass_wallet::secret_store::MemorySecretStore::default());
    let open = || {
        issuer.wallet(
            home.path(),
            secrets.clone(),
            doorpass_wallet::wallet::WalletOptions::default(),
        )
    };
    let wallet = open();
    issuer.enrol(&wallet, "demo-lee").await;
    assert_eq!(wallet.refresh_status_lists(now()).await.unwrap(), 1);
    assert_eq!(
        wallet.refresh_status_lists(now()).await.unwrap(),
        0,
        "within its ttl"
    );
    assert_eq!(wallet.passes(now())[0].state, PassState::Active);
    assert!(wallet.current_qr(None, now(), false).is_ok());

    issuer
        .revoke(RevokeSelector::Subject("demo-lee".into()))
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(wallet.refresh_status_lists(now() + 301).await.unwrap(), 1);
    assert_eq!(wallet.passes(now())[0].state, PassState::Revoked);
    assert_eq!(
        wallet.current_qr(None, now(), false).unwrap_err(),
        WalletError::PassRevoked
    );
    // Kept on disk: reopened, the wallet still knows, with no network.
    drop(wallet);
    let wallet = open();
    assert_eq!(wallet.passes(now())[0].state, PassState::Revoked);
    assert!(
        wallet.current_qr(None, now(), true).is_err(),
        "no static code either"
    );
    // Authenticating again brings a new pass, with a new entry, which shows a code.
    issuer.enrol(&wallet, "demo-lee").await;
    assert_eq!(wallet.passes(now())[0].state, PassState::Active);
    assert!(wallet.current_qr(None, now(), false).is_ok());
    // Wiping removes the lists with everything else.
    assert!(home.path().join("status-lists").is_dir());
    wallet.wipe().await.unwrap();
    assert!(!home.path().join("status-lists").exists());
}
