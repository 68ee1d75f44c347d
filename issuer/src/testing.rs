//! An in-process dev issuer for tests (cargo feature `testing`): a fresh issuer folder in a temporary
//! directory, a dev-mode configuration without rate limits, and the service on 127.0.0.1 at a free
//! port, which can be stopped and restarted on the same folder and database, and joined by more
//! nodes on that database ([`DevIssuer::add_node`]).
//!
//! The database is the folder's SQLite file, unless [`TEST_DATABASE`] is `postgres`: then each dev
//! issuer gets a fresh database of its own on the server [`TEST_POSTGRES`] names
//! (`scripts/with-postgres.sh` starts a private server and sets it), so the same tests run against
//! both databases.
//!
//! The issuer's own HTTP tests and the cross-part wallet tests both build on [`DevIssuer`]. It is
//! test support: anything that goes wrong panics.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use doorpass_format::keys::{VerifyingKey, read_public_key};

use crate::keys::{AnchorDir, IssuerDir, init_dir};
use crate::service::Faults;
use crate::store::{Database, PgOptions, Store, StoreError, Tx};
use crate::{Issuer, IssuerConfig, MetricsExposure, RunningIssuer, unix_now};

/// The environment variable naming a PostgreSQL server for tests
/// (`postgres://USER@HOST:PORT/DB`, a user that may create databases).
pub const TEST_POSTGRES: &str = "DOORPASS_TEST_POSTGRES";
/// The environment variable that puts dev issuers on that server when it is `postgres`.
pub const TEST_DATABASE: &str = "DOORPASS_TEST_DATABASE";

/// The PostgreSQL server for tests, if [`TEST_POSTGRES`] names one.
pub fn test_postgres_server() -> Option<String> {
    std::env::var(TEST_POSTGRES).ok().filter(|s| !s.is_empty())
}

/// Whether dev issuers run on PostgreSQL ([`TEST_DATABASE`] is `postgres`). Panics when it is but
/// no server is named: a run that asked for PostgreSQL must not quietly use SQLite.
pub fn tests_on_postgres() -> bool {
    let asked = std::env::var(TEST_DATABASE).is_ok_and(|v| v == "postgres");
    assert!(
        !asked || test_postgres_server().is_some(),
        "{TEST_DATABASE}=postgres needs {TEST_POSTGRES} (run through scripts/with-postgres.sh)"
    );
    asked
}

/// The database for a new test issuer in `dir`: a fresh PostgreSQL database when
/// [`tests_on_postgres`], else the folder's SQLite file.
pub async fn test_database(dir: &Path) -> Database {
    match test_postgres_server().filter(|_| tests_on_postgres()) {
        Some(server) => Database::Postgres(fresh_postgres_database(&server).await),
        None => Database::Sqlite(IssuerDir::at(dir).database),
    }
}

/// Creates a database with a random name on the server `server` names and returns its URL.
pub async fn fresh_postgres_database(server: &str) -> String {
    let (client, connection) = tokio_postgres::connect(server, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("{TEST_POSTGRES}: cannot connect: {e}"));
    let driver = tokio::spawn(connection);
    let name = format!("doorpass_test_{:016x}", rand::random::<u64>());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    drop(client);
    let _ = driver.await;
    let (base, _) = server
        .rsplit_once('/')
        .filter(|(base, _)| base.contains("://") && !base.ends_with('/'))
        .unwrap_or((server, ""));
    format!("{base}/{name}")
}

/// The issuer id test folders are made with (the one the demo holders belong to).
pub const ISSUER_ID: &str = "KR-KDCA";

/// A dev-mode configuration for the issuer folder `dir`, with no rate limits (nor a per-address
/// share of owed completions) and `/metrics` on the
/// public listener (so tests read it at [`DevIssuer::url`]).
pub fn dev_config(dir: &Path) -> IssuerConfig {
    let mut config = IssuerConfig::new(dir.to_path_buf());
    config.metrics = MetricsExposure::Public;
    config.dev = Some(Faults::default());
    config.client_rate = None;
    config.subject_starts = None;
    config.admission.max_owed_per_client = None;
    config
}

/// A dev issuer folder in a temporary directory, and the issuer serving it while it runs.
pub struct DevIssuer {
    /// The tests' own handle to the database, opened on first use (dropped before the folders).
    store: tokio::sync::OnceCell<Store>,
    /// The issuer folder (keys, trust list, database); deleted when this is dropped.
    pub dir: tempfile::TempDir,
    /// The anchor's folder (its private key), apart from the issuer folder; deleted when this is
    /// dropped.
    pub anchor_dir: tempfile::TempDir,
    /// The trust anchor's public key, the one a wallet pins.
    pub anchor: VerifyingKey,
    /// The database (see [`test_database`]).
    database: Database,
    /// The running service, until stopped.
    running: Option<RunningIssuer>,
    /// The TLS certificate and key files of [`DevIssuer::start_tls`].
    tls_files: Option<tempfile::TempDir>,
}

impl DevIssuer {
    /// Creates an issuer folder and starts a dev issuer on it, its configuration adjusted by `tweak`.
    pub async fn start(tweak: impl FnOnce(&mut IssuerConfig)) -> DevIssuer {
        let dir = tempfile::tempdir().unwrap();
        let anchor_dir = tempfile::tempdir().unwrap();
        let offline = AnchorDir::at(anchor_dir.path());
        init_dir(dir.path(), &offline, ISSUER_ID, unix_now(), false).unwrap();
        let anchor = read_public_key(&IssuerDir::at(dir.path()).anchor_pub).unwrap();
        let database = test_database(dir.path()).await;
        let mut issuer = DevIssuer {
            store: tokio::sync::OnceCell::new(),
            dir,
            anchor_dir,
            anchor,
            database,
            running: None,
            tls_files: None,
        };
        issuer.restart(tweak).await;
        issuer
    }

    /// Creates an issuer folder and starts a dev issuer on it serving HTTPS with `cert` (see
    /// [`crate::test_certs`]), its files in the issuer folder.
    pub async fn start_tls(
        cert: &crate::test_certs::ServerCert,
        tweak: impl FnOnce(&mut IssuerConfig),
    ) -> DevIssuer {
        let dir = tempfile::tempdir().unwrap();
        let tls = cert.write_to(dir.path());
        let mut issuer = DevIssuer::start(|config| {
            config.tls = Some(tls);
            tweak(config);
        })
        .await;
        issuer.tls_files = Some(dir);
        issuer
    }

    /// (Re)starts the issuer on the same folder and database with a new configuration, on a new
    /// port.
    pub async fn restart(&mut self, tweak: impl FnOnce(&mut IssuerConfig)) {
        self.stop().await;
        self.running = Some(self.add_node(tweak).await);
    }

    /// Starts another node on the same folder and database, on a port of its own (stop it with
    /// [`RunningIssuer::stop`]).
    pub async fn add_node(&self, tweak: impl FnOnce(&mut IssuerConfig)) -> RunningIssuer {
        let mut config = dev_config(self.dir.path());
        config.database = Some(self.database.clone());
        tweak(&mut config);
        let issuer = Issuer::open(&config).await.unwrap();
        issuer.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap()
    }

    /// The database the issuer uses.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Whether that is PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        matches!(self.database, Database::Postgres(_))
    }

    /// A handle to the issuer's database, beside the running issuer (opened once).
    pub async fn store(&self) -> Store {
        let open = || async {
            let small = PgOptions {
                pool_size: 2,
                ..PgOptions::default()
            };
            Store::open(
                &self.database,
                Default::default(),
                small,
                Default::default(),
            )
            .await
            .unwrap()
            .0
        };
        self.store.get_or_init(open).await.clone()
    }

    /// Registers holders (inserting or replacing them).
    pub async fn import_holders(&self, holders: Vec<crate::store::HolderRecord>) {
        crate::holders::import(&self.store().await, holders)
            .await
            .unwrap();
    }

    /// Revokes the passes `selector` names, as `doorpass issuer revoke` does; returns how many.
    pub async fn revoke(&self, selector: crate::store::RevokeSelector) -> usize {
        let revoked = crate::status_lists::revoke(&self.store().await, selector, None, unix_now())
            .await
            .unwrap();
        revoked.listed + revoked.unlisted
    }

    /// Reads the issuer's database with `f`.
    pub async fn inspect<T, F>(&self, f: F) -> T
    where
        T: Send + 'static,
        F: Fn(&mut dyn Tx) -> Result<T, StoreError> + Send + Sync + 'static,
    {
        self.store().await.read(f).await.unwrap()
    }

    /// Stops the issuer gracefully (requests in flight finish) and waits until it has; nothing
    /// when it is already stopped.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.unwrap();
        }
    }

    /// Where the issuer listens (panics when stopped).
    pub fn addr(&self) -> SocketAddr {
        self.running().addr
    }

    /// Where `/metrics` is served on a listener of its own, if configured (panics when stopped).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.running().metrics_addr
    }

    /// The issuer's base URL, `http://ADDR`, or `https://127.0.0.1:PORT` when it serves TLS
    /// (panics when stopped).
    pub fn url(&self) -> String {
        self.running().url()
    }

    /// The same by name: `https://localhost:PORT` (`http://` without TLS).
    pub fn localhost_url(&self) -> String {
        let running = self.running();
        let scheme = if running.tls { "https" } else { "http" };
        format!("{scheme}://localhost:{}", running.addr.port())
    }

    /// The issuer's SQLite database file (panics on PostgreSQL).
    pub fn db(&self) -> PathBuf {
        match &self.database {
            Database::Sqlite(file) => file.clone(),
            Database::Postgres(_) => panic!("this test issuer is on PostgreSQL"),
        }
    }

    fn running(&self) -> &RunningIssuer {
        self.running.as_ref().expect("issuer running")
    }
}
