//! Support for the cross-part tests: a dev issuer in-process on 127.0.0.1 and wallets pointed at it.

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::Arc;

use doorpass_format::TrustList;
use doorpass_issuer::store::HolderRecord;
use doorpass_issuer::test_certs::{ServerCert, TestCa};
use doorpass_issuer::testing::DevIssuer;
use doorpass_issuer::{IssuerConfig, unix_now};
use doorpass_wallet::boot_clock::{BootClock, BootReading};
use doorpass_wallet::issuer_client::{DEFAULT_TIMEOUT, IssuerClient};
use doorpass_wallet::secret_store::{FileSecretStore, MemorySecretStore, SecretStore};
use doorpass_wallet::tls::TlsTrust;
use doorpass_wallet::wallet::{PassSummary, Wallet, WalletOptions, WalletSetup};

/// A dev issuer in-process on 127.0.0.1 (see [`DevIssuer`]: its folder, anchor, URL, restart and
/// stop), with helpers for wallets pointed at it; and how its helpers check its TLS certificate
/// when it serves HTTPS.
pub struct TestIssuer(DevIssuer, TlsTrust);

impl Deref for TestIssuer {
    type Target = DevIssuer;

    fn deref(&self) -> &DevIssuer {
        &self.0
    }
}

impl DerefMut for TestIssuer {
    fn deref_mut(&mut self) -> &mut DevIssuer {
        &mut self.0
    }
}

impl TestIssuer {
    /// Creates an issuer folder and starts a dev issuer on it, adjusted by `tweak`.
    pub async fn start(tweak: impl FnOnce(&mut IssuerConfig)) -> TestIssuer {
        TestIssuer(DevIssuer::start(tweak).await, TlsTrust::default())
    }

    /// The same serving HTTPS with `cert`; its helpers (codes, [`TestIssuer::memory_wallet`])
    /// trust `ca`.
    pub async fn start_tls(
        ca: &TestCa,
        cert: &ServerCert,
        tweak: impl FnOnce(&mut IssuerConfig),
    ) -> TestIssuer {
        TestIssuer(
            DevIssuer::start_tls(cert, tweak).await,
            trusting(ca, Vec::new()),
        )
    }

    /// Registers `count` holders `prefix0…`.
    pub async fn add_holders(&self, prefix: &str, count: usize) {
        let holders: Vec<HolderRecord> = (0..count)
            .map(|i| HolderRecord {
                subject: format!("{prefix}{i}"),
                display_name: format!("Holder {i}"),
                birth_date: "1990".into(),
                kind: 1,
                eligible_until: unix_now() + 365 * 86_400,
            })
            .collect();
        self.import_holders(holders).await;
    }

    /// Reads the last code sent to `subject` from the dev route.
    pub async fn dev_code(&self, subject: &str) -> String {
        IssuerClient::over_https_trusting(&self.url(), DEFAULT_TIMEOUT, &self.1)
            .unwrap()
            .dev_code(subject)
            .await
            .unwrap()
    }

    /// Opens (or creates) a wallet in `home` for this issuer.
    pub fn wallet(
        &self,
        home: &Path,
        secrets: Arc<dyn SecretStore>,
        options: WalletOptions,
    ) -> Wallet {
        let setup = WalletSetup {
            issuer_url: self.url(),
            anchor: self.anchor,
            replace_issuer: false,
        };
        Wallet::open(home, secrets, Some(setup), options).unwrap()
    }

    /// A wallet with memory secrets in `home`.
    pub fn memory_wallet(&self, home: &Path) -> Wallet {
        let options = WalletOptions {
            tls: self.1.clone(),
            ..WalletOptions::default()
        };
        self.wallet(home, Arc::new(MemorySecretStore::default()), options)
    }

    /// Enrols `subject` in `wallet` end to end (begin, read the dev code, complete).
    pub async fn enrol(&self, wallet: &Wallet, subject: &str) -> PassSummary {
        wallet.begin_authentication(subject, now()).await.unwrap();
        let code = self.dev_code(subject).await;
        wallet.complete_authentication(&code, now()).await.unwrap()
    }

    /// Enrols `subject` in a wallet in `home` whose secrets are in `home/secrets.json`, then closes
    /// the wallet: the folder and the store, ready to be reopened (or damaged) by a test.
    pub async fn enrolled_in_folder(
        &self,
        home: &Path,
        subject: &str,
    ) -> (Arc<dyn SecretStore>, PassSummary) {
        let secrets: Arc<dyn SecretStore> =
            Arc::new(FileSecretStore::new(home.join("secrets.json")));
        let wallet = self.wallet(home, secrets.clone(), WalletOptions::default());
        let pass = self.enrol(&wallet, subject).await;
        (secrets, pass)
    }
}

/// TLS settings trusting the test CA `ca` (beside the platform's roots), with `pins`.
pub fn trusting(ca: &TestCa, pins: Vec<String>) -> TlsTrust {
    TlsTrust {
        extra_roots_pem: vec![ca.cert_pem().to_string()],
        spki_pins: pins,
    }
}

/// The trust list in `issuer`'s folder, verified against its anchor.
pub fn trust_list_of(issuer: &TestIssuer) -> TrustList {
    TrustList::verify(
        &std::fs::read(issuer.dir.path().join("trust-list.cose")).unwrap(),
        &issuer.anchor,
    )
    .unwrap()
}

/// The pass inside the text of a presentation QR code.
pub fn qr_pass_bytes(text: &str) -> Vec<u8> {
    doorpass_format::Presentation::from_qr_text(text)
        .unwrap()
        .pass_bytes()
        .to_vec()
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    unix_now()
}

/// A tiny HTTP/1.1 GET on loopback for pages like `/metrics` (the tests avoid a second HTTP client).
pub async fn http_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    out
}

/// How many `/v1/renew` requests the issuer at `base_url` has answered so far, by its own `/metrics`.
pub async fn renew_requests_seen(base_url: &str) -> u64 {
    http_get(&format!("{base_url}/metrics"))
        .await
        .lines()
        .filter(|l| l.starts_with("doorpass_requests_total{route=\"/v1/renew\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// A boot clock for tests: it runs with real time from a chosen reading, and can be moved on (time
/// that passed while the test did not wait) or restarted (a reboot), like a phone's.
pub struct TestBootClock {
    state: std::sync::Mutex<TestBoot>,
}

struct TestBoot {
    since: std::time::Instant,
    base_millis: u64,
    boot_id: String,
}

impl TestBootClock {
    /// A clock reading `base_seconds` now, in the boot named `boot_id`.
    pub fn new(base_seconds: u64, boot_id: &str) -> Arc<Self> {
        Arc::new(TestBootClock {
            state: std::sync::Mutex::new(TestBoot {
                since: std::time::Instant::now(),
                base_millis: base_seconds * 1000,
                boot_id: boot_id.to_string(),
            }),
        })
    }

    /// Lets `seconds` more pass.
    pub fn advance(&self, seconds: u64) {
        self.state.lock().unwrap().base_millis += seconds * 1000;
    }

    /// A restart: from now the clock reads `base_seconds` on, in the boot named `boot_id`.
    pub fn restart(&self, base_seconds: u64, boot_id: &str) {
        *self.state.lock().unwrap() = TestBoot {
            since: std::time::Instant::now(),
            base_millis: base_seconds * 1000,
            boot_id: boot_id.to_string(),
        };
    }
}

impl BootClock for TestBootClock {
    fn read(&self) -> Option<BootReading> {
        let state = self.state.lock().unwrap();
        Some(BootReading {
            elapsed_millis: state.base_millis + state.since.elapsed().as_millis() as u64,
            boot_id: state.boot_id.clone(),
        })
    }
}
