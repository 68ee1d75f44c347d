//! Support for the cross-part tests: a dev issuer in-process on 127.0.0.1 and wallets pointed at it.

use std::path::Path;
use std::sync::Arc;

use doorpass_format::keys::{VerifyingKey, read_public_key};
use doorpass_issuer::service::Faults;
use doorpass_issuer::store::HolderRecord;
use doorpass_issuer::{Issuer, IssuerConfig, RunningIssuer, unix_now};
use doorpass_wallet::issuer_client::{DEFAULT_TIMEOUT, IssuerClient};
use doorpass_wallet::secret_store::{MemorySecretStore, SecretStore};
use doorpass_wallet::wallet::{PassSummary, Wallet, WalletOptions, WalletSetup};

/// A dev issuer folder plus the issuer serving it.
pub struct TestIssuer {
    /// The issuer folder (keys, trust list, database).
    pub dir: tempfile::TempDir,
    /// The pinned anchor.
    pub anchor: VerifyingKey,
    /// The running service, until stopped.
    pub running: Option<RunningIssuer>,
}

/// A dev-mode issuer config for `dir` with no rate limits.
pub fn dev_config(dir: &Path) -> IssuerConfig {
    let mut config = IssuerConfig::new(dir.to_path_buf());
    config.dev = Some(Faults::default());
    config.client_rate = None;
    config.subject_rate = None;
    config
}

impl TestIssuer {
    /// Creates an issuer folder and starts a dev issuer on it, adjusted by `tweak`.
    pub async fn start(tweak: impl FnOnce(&mut IssuerConfig)) -> TestIssuer {
        let dir = tempfile::tempdir().unwrap();
        doorpass_issuer::keys::init_dir(dir.path(), "KR-KDCA", unix_now(), false).unwrap();
        let anchor = read_public_key(&dir.path().join("anchor.pub.pem")).unwrap();
        let mut issuer = TestIssuer {
            dir,
            anchor,
            running: None,
        };
        issuer.restart(tweak).await;
        issuer
    }

    /// (Re)starts the issuer on the same folder and database with a new configuration.
    pub async fn restart(&mut self, tweak: impl FnOnce(&mut IssuerConfig)) {
        self.stop().await;
        let mut config = dev_config(self.dir.path());
        tweak(&mut config);
        let issuer = Issuer::open(&config).unwrap();
        self.running = Some(issuer.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap());
    }

    /// Stops the issuer (graceful).
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.unwrap();
        }
    }

    /// The issuer's URL (panics when stopped).
    pub fn url(&self) -> String {
        self.running.as_ref().expect("issuer running").url()
    }

    /// Registers `count` holders `prefix0…`.
    pub fn add_holders(&self, prefix: &str, count: usize) {
        let holders: Vec<HolderRecord> = (0..count)
            .map(|i| HolderRecord {
                subject: format!("{prefix}{i}"),
                display_name: format!("Holder {i}"),
                birth_date: "1990".into(),
                kind: 1,
                eligible_until: unix_now() + 365 * 86_400,
            })
            .collect();
        doorpass_issuer::holders::import(&self.dir.path().join("issuer.db"), &holders).unwrap();
    }

    /// Reads the last code sent to `subject` from the dev route.
    pub async fn dev_code(&self, subject: &str) -> String {
        IssuerClient::over_https(&self.url(), DEFAULT_TIMEOUT)
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
        };
        Wallet::open(home, secrets, Some(setup), options).unwrap()
    }

    /// A wallet with memory secrets in `home`.
    pub fn memory_wallet(&self, home: &Path) -> Wallet {
        self.wallet(
            home,
            Arc::new(MemorySecretStore::default()),
            WalletOptions::default(),
        )
    }

    /// Enrols `subject` in `wallet` end to end (begin, read the dev code, complete).
    pub async fn enrol(&self, wallet: &Wallet, subject: &str) -> PassSummary {
        wallet.begin_authentication(subject, now()).await.unwrap();
        let code = self.dev_code(subject).await;
        wallet.complete_authentication(&code, now()).await.unwrap()
    }
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
