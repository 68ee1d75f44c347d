//! `Wallet.close()` as the apps call it: the app replaces a wallet handle while a renewal runs on
//! it; closing waits for the renewal, the new handle sees everything the old one wrote, and the old
//! handle refuses every later call.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use doorpass_ffi::{
    Anchor, DoorpassError, RenewalOutcome, SecretStore, SecretStoreFailure, Wallet, WalletConfig,
};
use doorpass_tests::{TestIssuer, now};

/// A secret store in memory whose next `get` can be held until the test lets it go, to catch a
/// renewal in the middle of its issuer call.
#[derive(Default)]
struct GatedStore {
    secrets: Mutex<HashMap<String, Vec<u8>>>,
    /// When set, the next `get` reports on the first channel, then waits on the second.
    gate: Mutex<Option<(mpsc::Sender<()>, mpsc::Receiver<()>)>>,
}

impl SecretStore for GatedStore {
    fn get(&self, name: String) -> Result<Option<Vec<u8>>, SecretStoreFailure> {
        let gate = self.gate.lock().unwrap().take();
        if let Some((entered, release)) = gate {
            entered.send(()).unwrap();
            // Bounded: a test that never releases fails on its own asserts, not by hanging.
            let _ = release.recv_timeout(Duration::from_secs(30));
        }
        Ok(self.secrets.lock().unwrap().get(&name).cloned())
    }
    fn set(&self, name: String, secret: Vec<u8>) -> Result<(), SecretStoreFailure> {
        self.secrets.lock().unwrap().insert(name, secret);
        Ok(())
    }
    fn delete(&self, name: String) -> Result<(), SecretStoreFailure> {
        self.secrets.lock().unwrap().remove(&name);
        Ok(())
    }
    fn describe(&self) -> String {
        "memory (test)".into()
    }
}

fn config(issuer: &TestIssuer) -> WalletConfig {
    WalletConfig {
        issuer_url: issuer.url(),
        anchor: Anchor::Key {
            bytes: issuer.anchor.as_bytes().to_vec(),
        },
        allow_plain_http: false,
        http_timeout_seconds: 0,
        replace_issuer_url: false,
        extra_root_certificates_pem: Vec::new(),
        issuer_key_pins: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_waits_for_the_renewal_and_the_next_handle_sees_what_it_wrote() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let home_str = home.path().display().to_string();
    let store = Arc::new(GatedStore::default());
    let first = Wallet::open(
        home_str.clone(),
        config(&issuer),
        Some(store.clone()),
        None,
        None,
    )
    .unwrap();
    first
        .start_enrolment("demo-kim".into(), now())
        .await
        .unwrap();
    let code = issuer.dev_code("demo-kim").await;
    let enrolled = first.complete_enrolment(code, now()).await.unwrap();

    // A renewal runs on handle 1, held inside its issuer conversation (reading its refresh token).
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    *store.gate.lock().unwrap() = Some((entered_tx, release_rx));
    let renewing = tokio::spawn({
        let first = first.clone();
        let id = enrolled.id.clone();
        async move { first.renew_now(id, now()).await }
    });
    tokio::task::spawn_blocking(move || entered.recv_timeout(Duration::from_secs(30)))
        .await
        .unwrap()
        .expect("the renewal reads its secrets");

    // The app replaces the handle: close 1 (the renewal is let go while close waits), then open 2.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let _ = release.send(());
    });
    first.close().await.unwrap();
    let second = Wallet::open(home_str, config(&issuer), Some(store.clone()), None, None).unwrap();
    releaser.join().unwrap();

    // The renewal finished on handle 1 before close returned, and handle 2 holds its pass.
    let renewed = renewing.await.unwrap().unwrap();
    let RenewalOutcome::Renewed {
        expires_at,
        renew_after,
    } = renewed
    else {
        panic!("the renewal in flight was not cut short by close: {renewed:?}");
    };
    let held = second.passes(now());
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].id, enrolled.id);
    assert_eq!(
        (held[0].expires_at, held[0].renew_after),
        (expires_at, renew_after),
        "handle 2 sees the pass handle 1 renewed"
    );
    assert_ne!(
        (enrolled.expires_at, enrolled.renew_after),
        (expires_at, renew_after)
    );
    second.current_qr(None, now(), false).unwrap();

    // Handle 1 refuses every later call; handle 2 renews at once (the lock is free and the token
    // chain is whole).
    assert!(matches!(
        first.current_qr(None, now(), false),
        Err(DoorpassError::InUse)
    ));
    assert!(matches!(
        first.renew_now(enrolled.id.clone(), now()).await,
        Err(DoorpassError::InUse)
    ));
    assert!(matches!(
        first.renew_if_due(now()).await,
        Err(DoorpassError::InUse)
    ));
    assert!(matches!(
        first.remove_pass(enrolled.id.clone()),
        Err(DoorpassError::InUse)
    ));
    first.close().await.unwrap(); // closing twice is not an error
    assert!(matches!(
        second.renew_now(enrolled.id.clone(), now()).await.unwrap(),
        RenewalOutcome::Renewed { .. }
    ));
    assert_eq!(
        second.passes(now()).len(),
        1,
        "the closed handle removed nothing"
    );
}
