//! The FFI runs blocking work (the app's secret store, fsync) off its two async threads: while two
//! calls sit in a deliberately slow secret store, trust-list fetches of other wallets still reach
//! the issuer and finish before the slow store returns.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::Duration;

use doorpass_ffi::{Anchor, SecretStore, SecretStoreFailure, Wallet, WalletConfig};
use doorpass_tests::{TestIssuer, now};

/// How long a slow store call blocks at most (when the test does not let it go first): far longer
/// than the fetches take, so a fetch stuck behind it is told apart.
const SLOW_CALL: Duration = Duration::from_secs(10);

/// A secret store whose every call blocks, like a keystore that takes its time, until the test lets
/// it go (or [`SLOW_CALL`] passed). Reports each call as it starts.
struct SlowStore {
    secrets: Mutex<HashMap<String, Vec<u8>>>,
    entered: Mutex<mpsc::Sender<()>>,
    /// Whether the test let the store go, and its signal.
    let_go: Mutex<bool>,
    let_go_signal: Condvar,
    /// Set when a call came back out of the store.
    returned: AtomicBool,
}

impl SlowStore {
    fn new(entered: mpsc::Sender<()>) -> SlowStore {
        SlowStore {
            secrets: Mutex::default(),
            entered: Mutex::new(entered),
            let_go: Mutex::new(false),
            let_go_signal: Condvar::new(),
            returned: AtomicBool::new(false),
        }
    }

    fn block(&self) {
        self.entered.lock().unwrap().send(()).unwrap();
        let let_go = self.let_go.lock().unwrap();
        drop(
            self.let_go_signal
                .wait_timeout_while(let_go, SLOW_CALL, |let_go| !*let_go)
                .unwrap(),
        );
        self.returned.store(true, Ordering::SeqCst);
    }

    fn release(&self) {
        *self.let_go.lock().unwrap() = true;
        self.let_go_signal.notify_all();
    }
}

impl SecretStore for SlowStore {
    fn get(&self, name: String) -> Result<Option<Vec<u8>>, SecretStoreFailure> {
        self.block();
        Ok(self.secrets.lock().unwrap().get(&name).cloned())
    }
    fn set(&self, name: String, secret: Vec<u8>) -> Result<(), SecretStoreFailure> {
        self.block();
        self.secrets.lock().unwrap().insert(name, secret);
        Ok(())
    }
    fn delete(&self, name: String) -> Result<(), SecretStoreFailure> {
        self.block();
        self.secrets.lock().unwrap().remove(&name);
        Ok(())
    }
    fn describe(&self) -> String {
        "slow (test)".into()
    }
}

/// A secret store in memory that answers at once.
#[derive(Default)]
struct QuickStore(Mutex<HashMap<String, Vec<u8>>>);

impl SecretStore for QuickStore {
    fn get(&self, name: String) -> Result<Option<Vec<u8>>, SecretStoreFailure> {
        Ok(self.0.lock().unwrap().get(&name).cloned())
    }
    fn set(&self, name: String, secret: Vec<u8>) -> Result<(), SecretStoreFailure> {
        self.0.lock().unwrap().insert(name, secret);
        Ok(())
    }
    fn delete(&self, name: String) -> Result<(), SecretStoreFailure> {
        self.0.lock().unwrap().remove(&name);
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
async fn a_slow_secret_store_never_stalls_network_calls() {
    let issuer = TestIssuer::start(|_| {}).await;
    let folders = tempfile::tempdir().unwrap();
    let (entered_tx, entered) = mpsc::channel();
    let slow = Arc::new(SlowStore::new(entered_tx));
    let open = |name: &str, store: Arc<dyn SecretStore>| {
        let home = folders.path().join(name).display().to_string();
        Wallet::open(home, config(&issuer), Some(store), None, None).unwrap()
    };

    // Two enrolments whose holder keys go to the slow store: as many calls as the runtime has async
    // threads, both inside the store.
    let enrolling: Vec<_> = ["demo-kim", "demo-lee"]
        .into_iter()
        .map(|subject| {
            let wallet = open(subject, slow.clone());
            tokio::spawn(async move { wallet.start_enrolment(subject.into(), now()).await })
        })
        .collect();
    let entered = tokio::task::spawn_blocking(move || {
        for _ in 0..2 {
            entered
                .recv_timeout(Duration::from_secs(30))
                .expect("both enrolments reach the secret store");
        }
        entered
    })
    .await
    .unwrap();

    // Meanwhile other wallets fetch the trust list from the issuer, all at once.
    let fetches: Vec<_> = (0..4)
        .map(|i| {
            let wallet = open(&format!("quick{i}"), Arc::new(QuickStore::default()));
            tokio::spawn(async move { wallet.refresh_trust_list(now()).await })
        })
        .collect();
    for fetch in fetches {
        let status = fetch.await.unwrap().expect("the trust list is fetched");
        assert!(status.version >= 1);
    }
    assert!(
        !slow.returned.load(Ordering::SeqCst),
        "the fetches finished only after the slow store returned: they waited behind it"
    );

    // Let the store go: the enrolments end normally.
    slow.release();
    for enrolment in enrolling {
        enrolment.await.unwrap().expect("the enrolment goes on");
    }
    drop(entered);
}
