//! The wallet renewing against the real issuer on 127.0.0.1: renewal after renew-after,
//! re-authentication when renewal is refused, a stolen refresh token or secrets are lost, and trust
//! list updates that never roll back.

use std::sync::Arc;
use std::time::Duration;

use doorpass_format::{Pass, TrustList, keys};
use doorpass_tests::{TestIssuer, now, qr_pass_bytes, trust_list_of};
use doorpass_wallet::secret_store::{FileSecretStore, SecretStore};
use doorpass_wallet::wallet::{
    PassState, RenewalOutcome, Wallet, WalletError, WalletOptions, WalletSetup,
};

#[tokio::test]
async fn renewal_after_renew_after_replaces_the_pass() {
    let issuer = TestIssuer::start(|c| c.lifetimes.pass = Duration::from_secs(120)).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    let first = issuer.enrol(&wallet, "demo-choi").await;
    let d = first.details.clone().unwrap();
    assert!(
        d.renew_after >= d.expires_at - 40 && d.renew_after < d.expires_at,
        "last third of 120 s"
    );
    assert!(
        wallet.renew_due(now()).await.is_empty(),
        "nothing is due yet"
    );
    // The device clock moves past renew-after (no need to wait: the issuer renews whenever asked),
    // halfway to expiry: renew-after may be drawn as late as a second before it, so "renew-after
    // + 1" was sometimes the expiry itself (Expired, about one run in forty).
    let offset = wallet.clock_status().offset_seconds.unwrap_or(0);
    let due_at = d.renew_after + (d.expires_at - d.renew_after) / 2;
    let later = due_at.saturating_add_signed(-offset);
    assert_eq!(wallet.passes(later)[0].state, PassState::RenewDue);
    let outcomes = wallet.renew_due(later).await;
    assert_eq!(outcomes.len(), 1);
    assert!(
        matches!(outcomes[0].outcome, RenewalOutcome::Renewed { .. }),
        "{outcomes:?}"
    );
    let second = wallet.passes(now())[0].clone();
    assert_eq!(second.state, PassState::Active);
    assert_eq!(second.id, first.id, "same pass slot");
    assert_ne!(second.details.unwrap().pass_id, d.pass_id, "a new pass");
    let view = wallet.current_qr(None, now(), false).unwrap();
    let pass = Pass::parse(&qr_pass_bytes(&view.qr_text)).unwrap();
    assert_ne!(
        pass.claims().pass_id_hex(),
        d.pass_id,
        "the code shows the renewed pass"
    );
}

#[tokio::test]
async fn refused_refresh_leads_to_reauthentication_with_the_same_holder_key() {
    let issuer = TestIssuer::start(|c| {
        c.lifetimes.pass = Duration::from_secs(2);
        c.lifetimes.refresh_grace = Duration::ZERO;
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    let first = issuer.enrol(&wallet, "demo-park").await;
    let old_code = wallet.current_qr(None, now(), false).unwrap();
    let old_holder = Pass::parse(&qr_pass_bytes(&old_code.qr_text))
        .unwrap()
        .claims()
        .holder_key;
    tokio::time::sleep(Duration::from_millis(3100)).await; // the pass and its refresh token expire
    let outcomes = wallet.renew_due(now()).await;
    assert!(
        matches!(&outcomes[0].outcome, RenewalOutcome::ReauthRequired { reason } if reason.contains("expired")),
        "{outcomes:?}"
    );
    let summary = wallet.passes(now())[0].clone();
    assert_eq!(summary.state, PassState::ReauthRequired);
    assert!(summary.details.is_some(), "the pass in hand is kept");
    assert!(
        wallet.current_qr(None, now(), false).is_ok(),
        "and can still be shown (the door will say expired)"
    );

    let pending = wallet
        .begin_authentication("demo-park", now())
        .await
        .unwrap();
    assert!(pending.reauthentication);
    let code = issuer.dev_code("demo-park").await;
    let renewed = wallet.complete_authentication(&code, now()).await.unwrap();
    assert_eq!(renewed.id, first.id);
    assert_eq!(renewed.state, PassState::Active);
    let view = wallet.current_qr(None, now(), false).unwrap();
    assert_eq!(
        Pass::parse(&qr_pass_bytes(&view.qr_text))
            .unwrap()
            .claims()
            .holder_key,
        old_holder,
        "same holder key"
    );
}

#[tokio::test]
async fn the_trust_list_is_refreshed_to_newer_versions_and_never_rolled_back() {
    let mut issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    issuer.enrol(&wallet, "demo-kim").await;
    assert_eq!(wallet.trust_list_status(now()).unwrap().version, 1);
    // The anchor publishes version 2 (same issuer key); the issuer serves it after a restart.
    let dir = issuer.dir.path().to_path_buf();
    let anchor = keys::read_private_key(&issuer.anchor_dir.path().join("anchor.key")).unwrap();
    let v1 = std::fs::read(dir.join("trust-list.cose")).unwrap();
    let mut content = trust_list_of(&issuer).content().clone();
    content.version = 2;
    content.issued_at = now();
    std::fs::write(dir.join("trust-list.cose"), content.sign(&anchor)).unwrap();
    issuer.restart(|_| {}).await;
    let setup = WalletSetup {
        issuer_url: issuer.url(),
        anchor: issuer.anchor,
        replace_issuer: true, // restarted on another port
    };
    drop(wallet);
    let secrets: Arc<dyn SecretStore> =
        Arc::new(doorpass_wallet::secret_store::MemorySecretStore::default());
    let wallet = Wallet::open(
        home.path(),
        secrets.clone(),
        Some(setup),
        WalletOptions::default(),
    )
    .unwrap();
    assert_eq!(wallet.refresh_trust_list(now()).await.unwrap().version, 2);
    // An issuer (or an attacker) serving the old list again does not roll the wallet back.
    std::fs::write(dir.join("trust-list.cose"), &v1).unwrap();
    issuer.restart(|_| {}).await;
    let setup = WalletSetup {
        issuer_url: issuer.url(),
        anchor: issuer.anchor,
        replace_issuer: true, // restarted on another port
    };
    drop(wallet);
    let wallet = Wallet::open(home.path(), secrets, Some(setup), WalletOptions::default()).unwrap();
    assert_eq!(wallet.refresh_trust_list(now()).await.unwrap().version, 2);
    assert_eq!(
        wallet.trust_list_status(now()).unwrap().version,
        2,
        "still version 2 after reopening"
    );
    assert_eq!(
        TrustList::verify(
            &std::fs::read(home.path().join("trust-list.cose")).unwrap(),
            &issuer.anchor
        )
        .unwrap()
        .version(),
        2
    );
}

/// Puts `list` in the issuer's folder and restarts it (on a new port) so that it serves it.
async fn serve_trust_list(issuer: &mut TestIssuer, list: &[u8]) {
    std::fs::write(issuer.dir.path().join("trust-list.cose"), list).unwrap();
    issuer.restart(|_| {}).await;
}

#[tokio::test]
async fn a_damaged_trust_list_cache_never_lets_an_older_list_back_in() {
    let mut issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> =
        Arc::new(doorpass_wallet::secret_store::MemorySecretStore::default());
    let wallet = issuer.wallet(home.path(), secrets.clone(), WalletOptions::default());
    issuer.enrol(&wallet, "demo-kim").await;
    drop(wallet);
    let open = |issuer: &TestIssuer| {
        let setup = WalletSetup {
            issuer_url: issuer.url(),
            anchor: issuer.anchor,
            replace_issuer: true, // restarted on another port
        };
        Wallet::open(
            home.path(),
            secrets.clone(),
            Some(setup),
            WalletOptions::default(),
        )
        .unwrap()
    };
    // The anchor signs version 2; the wallet takes it.
    let dir = issuer.dir.path().to_path_buf();
    let anchor = keys::read_private_key(&issuer.anchor_dir.path().join("anchor.key")).unwrap();
    let v1 = std::fs::read(dir.join("trust-list.cose")).unwrap();
    let mut content = trust_list_of(&issuer).content().clone();
    content.version = 2;
    content.issued_at = now();
    let v2 = content.sign(&anchor);
    serve_trust_list(&mut issuer, &v2).await;
    let wallet = open(&issuer);
    assert_eq!(wallet.refresh_trust_list(now()).await.unwrap().version, 2);
    drop(wallet);
    for name in ["identity.json", "identity.backup.json"] {
        let identity: serde_json::Value =
            serde_json::from_slice(&std::fs::read(home.path().join(name)).unwrap()).unwrap();
        assert_eq!(identity["trust_list_floor"], 2, "{name}: {identity}");
    }

    // The cached copy is damaged, and version 1 is served again: refused, not cached.
    let cached = home.path().join("trust-list.cose");
    std::fs::write(&cached, b"\xd2\x84garbage").unwrap();
    serve_trust_list(&mut issuer, &v1).await;
    let wallet = open(&issuer);
    assert_eq!(wallet.problems().len(), 1, "{:?}", wallet.problems());
    assert!(wallet.trust_list_status(now()).is_none());
    let refused = wallet.refresh_trust_list(now()).await.unwrap_err();
    assert!(
        matches!(&refused, WalletError::InvalidFromIssuer { detail } if detail.contains("older than version 2")),
        "{refused:?}"
    );
    assert!(wallet.trust_list_status(now()).is_none(), "still no list");
    assert!(!cached.exists());
    drop(wallet);

    // Nor does a genuine version 1 put in the cache's place get in, even with the first copy of the
    // identity damaged too (the floor is read from the second).
    std::fs::write(&cached, &v1).unwrap();
    std::fs::write(home.path().join("identity.json"), b"{").unwrap();
    let wallet = open(&issuer);
    let problems = wallet.problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.file.ends_with("trust-list.cose") && p.reason.contains("older than")),
        "{problems:?}"
    );
    assert!(wallet.trust_list_status(now()).is_none());
    drop(wallet);

    // Version 2 served again is taken.
    serve_trust_list(&mut issuer, &v2).await;
    let wallet = open(&issuer);
    assert_eq!(wallet.refresh_trust_list(now()).await.unwrap().version, 2);
    assert_eq!(wallet.trust_list_status(now()).unwrap().version, 2);
}

#[tokio::test]
async fn reauthentication_makes_a_new_key_when_secure_storage_lost_it() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let store = Arc::new(doorpass_wallet::secret_store::MemorySecretStore::default());
    let wallet = issuer.wallet(home.path(), store.clone(), WalletOptions::default());
    let first = issuer.enrol(&wallet, "demo-choi").await;
    drop(wallet);
    // A fresh (empty) store: what a kernel keyring looks like after a reboot.
    let wallet = issuer.wallet(
        home.path(),
        Arc::new(doorpass_wallet::secret_store::MemorySecretStore::default()),
        WalletOptions::default(),
    );
    assert!(matches!(
        wallet.current_qr(None, now(), false),
        Err(WalletError::SecretStore { .. })
    ));
    let pending = wallet
        .begin_authentication("demo-choi", now())
        .await
        .unwrap();
    assert!(pending.reauthentication);
    let code = issuer.dev_code("demo-choi").await;
    let again = wallet.complete_authentication(&code, now()).await.unwrap();
    assert_eq!(again.id, first.id, "same pass slot");
    assert!(
        wallet.current_qr(None, now(), false).is_ok(),
        "shown again with the new key"
    );
    drop(store);
}

#[tokio::test]
async fn a_stolen_and_reused_refresh_token_ends_in_reauthentication_not_a_lost_pass() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets_file = home.path().join("secrets.json");
    let secrets: Arc<dyn SecretStore> = Arc::new(FileSecretStore::new(secrets_file.clone()));
    let wallet = issuer.wallet(home.path(), secrets, WalletOptions::default());
    let enrolled = issuer.enrol(&wallet, "demo-kim").await;
    // A copy of the first refresh token, as a thief (or a restored backup) would hold it.
    let stolen = std::fs::read(&secrets_file).unwrap();
    for _ in 0..2 {
        let renewed = wallet.renew_pass(&enrolled.id, now(), true).await.unwrap();
        assert!(
            matches!(renewed, RenewalOutcome::Renewed { .. }),
            "{renewed:?}"
        );
    }
    let shown = wallet.passes(now())[0].details.clone().unwrap().pass_id;
    drop(wallet);
    // The old token comes back: the issuer sees reuse and revokes the whole chain.
    std::fs::write(&secrets_file, &stolen).unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(FileSecretStore::new(secrets_file.clone()));
    let wallet = Wallet::open(home.path(), secrets, None, WalletOptions::default()).unwrap();
    let outcome = wallet.renew_pass(&enrolled.id, now(), true).await.unwrap();
    assert!(
        matches!(&outcome, RenewalOutcome::ReauthRequired { reason } if reason.contains("used")),
        "{outcome:?}"
    );
    let held = wallet.passes(now())[0].clone();
    assert_eq!(held.state, PassState::ReauthRequired);
    assert_eq!(
        held.details.unwrap().pass_id,
        shown,
        "the pass in hand stays"
    );
    assert!(wallet.current_qr(None, now(), false).is_ok());
    // One short code flow, same holder key, and renewal works again.
    issuer.enrol(&wallet, "demo-kim").await;
    let renewed = wallet.renew_pass(&enrolled.id, now(), true).await.unwrap();
    assert!(
        matches!(renewed, RenewalOutcome::Renewed { .. }),
        "{renewed:?}"
    );
}

#[tokio::test]
async fn enrolling_on_a_new_phone_cuts_off_the_old_one() {
    let issuer = TestIssuer::start(|_| {}).await;
    let (old_home, new_home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // The holder's old phone (say, stolen) and the new one, both for the same subject.
    let old_phone = issuer.memory_wallet(old_home.path());
    let old_pass = issuer.enrol(&old_phone, "demo-kim").await;
    let renewed = old_phone
        .renew_pass(&old_pass.id, now(), true)
        .await
        .unwrap();
    assert!(
        matches!(renewed, RenewalOutcome::Renewed { .. }),
        "{renewed:?}"
    );
    let new_phone = issuer.memory_wallet(new_home.path());
    let new_pass = issuer.enrol(&new_phone, "demo-kim").await;
    // The old phone can no longer renew: its token chain was revoked by the new enrolment.
    let outcome = old_phone
        .renew_pass(&old_pass.id, now(), true)
        .await
        .unwrap();
    assert!(
        matches!(&outcome, RenewalOutcome::ReauthRequired { reason } if reason.contains("revoked")),
        "{outcome:?}"
    );
    assert_eq!(old_phone.passes(now())[0].state, PassState::ReauthRequired);
    // The new phone renews as usual.
    let outcome = new_phone
        .renew_pass(&new_pass.id, now(), true)
        .await
        .unwrap();
    assert!(
        matches!(outcome, RenewalOutcome::Renewed { .. }),
        "{outcome:?}"
    );
}
