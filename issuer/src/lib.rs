//! The reference Doorpass issuer: an axum service over SQLite (one node) or PostgreSQL (several
//! stateless nodes) that enrols holders with one-time codes, signs DP1 passes, rotates refresh
//! tokens, serves the signed trust list and status lists, and sheds load politely (503 or 429 with
//! `Retry-After`) instead of falling over.
//!
//! Modules, from the bottom up: [`store`] (the storage interface and its two databases), [`state`]
//! (what handlers share), [`proof`] (parsing keys and proofs), [`attestation`] (key attestation
//! at enrolment), [`issuance`], [`status_lists`]; the
//! handlers [`enrolment`] and [`renewal`]; [`service`] (routes and middleware), [`admission`],
//! [`client_address`] (who a request is from, behind proxies), [`clock`] (the time decisions use), [`rate_limit`], [`metrics`], [`delivery`], [`codes`], [`holders`] (CSV import), [`keys`] (the
//! issuer folder), [`private_files`] (folder and file modes); with the cargo feature `testing`, also
//! `testing` (in-process dev issuers for tests).

pub mod admission;
pub mod attestation;
pub mod client_address;
pub mod clock;
pub mod codes;
pub mod delivery;
pub mod enrolment;
pub mod error;
pub mod holders;
pub mod issuance;
pub mod keys;
pub mod metrics;
pub mod private_files;
pub mod proof;
pub mod rate_limit;
pub mod renew_timing;
pub mod renewal;
pub mod secrets;
pub mod service;
pub mod state;
pub mod status_lists;
pub mod store;
#[cfg(feature = "testing")]
pub mod test_certs;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;
pub mod trust_publishing;

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use admission::{Admission, AdmissionLimits};
use delivery::{CodeDelivery, DevDelivery, OutboxDelivery};
use issuance::Lifetimes;
use keys::{IssuerDir, IssuerKeys, IssuerKeysError};
use rate_limit::{Rate, RateLimiter};
use service::{AppState, DevState, Faults};
use store::{
    Database, Durability, FailureCap, HolderRecord, PgOptions, StartCap, Store, StoreError,
    StoreThread,
};

pub use doorpass_format::dates::unix_now;

/// How to run the issuer.
#[derive(Debug, Clone)]
pub struct IssuerConfig {
    /// Folder made by `doorpass issuer init`.
    pub dir: PathBuf,
    /// The database: by default the SQLite file `DIR/issuer.db`; PostgreSQL for several nodes.
    pub database: Option<Database>,
    /// Commit durability (SQLite; PostgreSQL's is the server's).
    pub durability: Durability,
    /// The PostgreSQL pool (ignored on SQLite).
    pub postgres: PgOptions,
    /// Admission control.
    pub admission: AdmissionLimits,
    /// Per-client-address limit on issuance routes; `None` disables it.
    pub client_rate: Option<Rate>,
    /// Proxies whose `X-Forwarded-For` names the client for the per-address limits; none by
    /// default (the TCP peer is the client).
    pub trusted_proxies: Vec<client_address::Cidr>,
    /// Per-subject limit on enrolment starts, shared by every node on the database; `None`
    /// disables it.
    pub subject_starts: Option<StartCap>,
    /// Pass, refresh-token and code lifetimes.
    pub lifetimes: Lifetimes,
    /// Wrong one-time codes allowed per subject over a sliding window, over all its challenges.
    pub code_failure_cap: FailureCap,
    /// `Some` in dev mode: codes readable over `/dev/otp/{subject}`, demo holders, fault injection.
    pub dev: Option<Faults>,
    /// Longest a request may take, body read included; beyond it the answer is 408 (the body did not
    /// arrive) or 503 with `Retry-After`.
    pub request_timeout: Duration,
    /// After a stop signal, how long requests in flight may still take; then they are answered 503
    /// and their connections closed.
    pub shutdown_timeout: Duration,
    /// Where `/metrics` is served; not at all by default.
    pub metrics: MetricsExposure,
    /// Prefix of the status-list URIs passes carry (the list number follows); by default
    /// `http://ADDR/v1/status/` (`https://` with TLS) for the address served on. Keep it short:
    /// see docs/qr-size.md.
    pub status_base_url: Option<String>,
    /// Serve HTTPS with this certificate and key (reloaded on SIGHUP or when the files change);
    /// plain HTTP when `None` (behind a TLS-terminating proxy, or in tests).
    pub tls: Option<tls::TlsConfig>,
    /// Key attestation at enrolment: off by default.
    pub attestation: attestation::AttestationConfig,
    /// When wallets renew: off-peak renew-after and the busy hours named to wallets; off by
    /// default.
    pub renew_timing: renew_timing::RenewTiming,
    /// Where decisions read the time: the system clock, unless in-process code (a replay) gives a
    /// [`clock::SimulatedClock`]; no flag sets it.
    pub clock: clock::Clock,
}

/// Where the issuer serves `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetricsExposure {
    /// Nowhere (the default).
    #[default]
    Off,
    /// On a listener of its own at this address (e.g. `127.0.0.1:9100`), never on the public one.
    Listen(SocketAddr),
    /// On the public listener too. For in-process tests only ([`testing`] dev issuers); the command
    /// line never chooses it.
    Public,
}

/// Default of [`IssuerConfig::request_timeout`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Default of [`IssuerConfig::shutdown_timeout`].
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
/// After the shutdown deadline, how long the answers to cut-off requests may take before the
/// remaining connections are abandoned.
const CUT_OFF_GRACE: Duration = Duration::from_secs(1);

impl IssuerConfig {
    /// Production defaults for the folder `dir`.
    pub fn new(dir: PathBuf) -> Self {
        IssuerConfig {
            dir,
            database: None,
            durability: Durability::default(),
            postgres: PgOptions::default(),
            admission: AdmissionLimits::default(),
            client_rate: Some(Rate {
                per_second: 20.0,
                burst: 60.0,
            }),
            trusted_proxies: Vec::new(),
            subject_starts: Some(StartCap {
                max_starts: 5,
                window_secs: 900,
            }),
            lifetimes: Lifetimes::default(),
            code_failure_cap: enrolment::DEFAULT_FAILURE_CAP,
            dev: None,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            metrics: MetricsExposure::Off,
            status_base_url: None,
            tls: None,
            attestation: attestation::AttestationConfig::default(),
            renew_timing: renew_timing::RenewTiming::default(),
            clock: clock::Clock::System,
        }
    }

    /// The database in use.
    pub fn database(&self) -> Database {
        self.database
            .clone()
            .unwrap_or_else(|| Database::Sqlite(IssuerDir::at(&self.dir).database))
    }
}

/// Why the issuer could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The issuer folder is not usable.
    #[error(transparent)]
    Keys(#[from] IssuerKeysError),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Demo holders could not be written.
    #[error(transparent)]
    Holders(#[from] holders::ImportError),
    /// The issuer folder, the database or the issuer private key is readable or writable by group
    /// or others.
    #[error(
        "{path} is readable or writable by other users (mode {mode:03o}); it holds the issuer's keys \
         or holders' data: run `chmod {fix:o} {path}` and start again"
    )]
    OpenToOthers {
        /// The folder or file.
        path: String,
        /// Its permission bits.
        mode: u32,
        /// The mode it should have: 700 for the folder, 600 for files.
        fix: u32,
    },
    /// A setting is out of its allowed range.
    #[error("invalid setting: {0}")]
    Setting(&'static str),
    /// The TLS certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] tls::TlsSetupError),
    /// The key attestation settings cannot be used.
    #[error(transparent)]
    Attestation(#[from] attestation::AttestationSetupError),
    /// The `/metrics` listener could not be opened.
    #[error("cannot listen for /metrics on {addr}: {source}")]
    MetricsListen {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

impl From<private_files::OpenToOthers> for StartError {
    fn from(e: private_files::OpenToOthers) -> Self {
        StartError::OpenToOthers {
            path: e.path,
            mode: e.mode,
            fix: e.fix,
        }
    }
}

/// Holders seeded in dev mode: (subject, name, birth date, kind).
pub const DEMO_HOLDERS: [(&str, &str, &str, &str); 4] = [
    ("demo-kim", "Kim Minji", "1990-04-01", "vaccination"),
    ("demo-lee", "이서연 Lee Seoyun", "1985-11-23", "vaccination"),
    ("demo-park", "Park Jisoo", "2012", "recovery"),
    ("demo-choi", "Choi Daniel", "1978-06-30", "test"),
];

/// A configured issuer, ready to serve.
pub struct Issuer {
    state: Arc<AppState>,
    store_thread: StoreThread,
    stopping: tokio::sync::watch::Sender<bool>,
    shutdown_timeout: Duration,
    metrics_listener: Option<std::net::TcpListener>,
    tls: Option<Arc<tls::ReloadingCertificate>>,
}

impl Issuer {
    /// Checks that the issuer folder, its private key and a SQLite database are private to this
    /// user, loads keys, opens (and migrates) the database, binds the `/metrics` listener if
    /// configured, and in dev mode seeds the demo holders.
    pub async fn open(config: &IssuerConfig) -> Result<Issuer, StartError> {
        if config.code_failure_cap.window_secs > store::MAX_FAILURE_WINDOW_SECS
            || config.code_failure_cap.max_failures == 0
        {
            return Err(StartError::Setting(
                "the wrong-code cap needs at least one try and a window of at most 7 days",
            ));
        }
        if config.subject_starts.is_some_and(|cap| {
            cap.max_starts == 0 || cap.window_secs > store::MAX_START_WINDOW_SECS
        }) {
            return Err(StartError::Setting(
                "the per-subject start limit needs at least one start and a window of at most 1 hour",
            ));
        }
        if config.lifetimes.retry_grace > issuance::MAX_RETRY_GRACE {
            return Err(StartError::Setting(
                "the renewal retry grace is at most 1 hour",
            ));
        }
        let database = config.database();
        private_files::check_private(&config.dir, true)?;
        private_files::check_private(&IssuerDir::at(&config.dir).issuer_key, false)?;
        private_files::check_private(&IssuerDir::at(&config.dir).secrets, false)?;
        if let Database::Sqlite(file) = &database {
            private_files::check_private(file, false)?;
        }
        let keys = IssuerKeys::load(&config.dir)?;
        let attestation = attestation::Attestation::load(&config.attestation)?;
        let legacy_anchor = IssuerDir::at(&config.dir).legacy_anchor_key;
        if legacy_anchor.exists() {
            eprintln!(
                "doorpass-issuer: warning: {} is the anchor's private key, on the serving machine; \
                 move it to an offline folder (`DIR.anchor/`, see docs/security.md)",
                legacy_anchor.display()
            );
        }
        let metrics_listener = match config.metrics {
            MetricsExposure::Listen(addr) => Some(
                std::net::TcpListener::bind(addr)
                    .and_then(|l| l.set_nonblocking(true).map(|()| l))
                    .map_err(|source| StartError::MetricsListen { addr, source })?,
            ),
            MetricsExposure::Off | MetricsExposure::Public => None,
        };
        let tls = match &config.tls {
            Some(files) => Some(Arc::new(tls::ReloadingCertificate::load(files)?)),
            None => None,
        };
        let (store, store_thread) = Store::open(
            &database,
            config.durability,
            config.postgres,
            config.clock.clone(),
        )
        .await?;
        if config.dev.is_some() {
            let demo: Vec<HolderRecord> = DEMO_HOLDERS
                .iter()
                .map(|(subject, name, birth_date, kind)| HolderRecord {
                    subject: subject.to_string(),
                    display_name: name.to_string(),
                    birth_date: birth_date.to_string(),
                    kind: doorpass_format::PassKind::from_short_name(kind).map_or(1, |k| k.code()),
                    eligible_until: config.clock.now() + 5 * 365 * 86_400,
                })
                .collect();
            holders::import(&store, demo).await?;
        }
        let (delivery, dev): (Arc<dyn CodeDelivery>, Option<DevState>) = match config.dev {
            Some(faults) => {
                let dev_delivery = Arc::new(DevDelivery::default());
                (
                    dev_delivery.clone(),
                    Some(DevState {
                        delivery: dev_delivery,
                        faults,
                    }),
                )
            }
            None => (
                Arc::new(OutboxDelivery::new(IssuerDir::at(&config.dir).outbox)),
                None,
            ),
        };
        if let Some(base) = &config.status_base_url {
            doorpass_format::StatusReference {
                index: u64::from(u32::MAX),
                uri: format!("{base}{}", u64::MAX),
            }
            .validate()
            .map_err(|_| {
                StartError::Setting("the status base URL is empty, has spaces, or is too long")
            })?;
        }
        let status_allocator =
            status_lists::StatusAllocator::new(&keys, config.status_base_url.clone());
        let (stopping, stopping_rx) = tokio::sync::watch::channel(false);
        let state = AppState {
            keys,
            store,
            lifetimes: config.lifetimes,
            renew_timing: config.renew_timing.clone(),
            clock: config.clock.clone(),
            code_failure_cap: config.code_failure_cap,
            delivery,
            dev,
            admission: Admission::new(config.admission),
            status_allocator: Arc::new(status_allocator),
            status_publisher: Arc::new(status_lists::StatusPublisher::with_ttl(
                config.lifetimes.status_list,
            )),
            trusted_proxies: client_address::TrustedProxies::new(config.trusted_proxies.clone()),
            client_limiter: RateLimiter::new(config.client_rate),
            subject_starts: config.subject_starts,
            metrics: Default::default(),
            request_timeout: config.request_timeout,
            stopping: stopping_rx,
            public_metrics: config.metrics == MetricsExposure::Public,
            attestation,
        };
        Ok(Issuer {
            state: Arc::new(state),
            store_thread,
            stopping,
            shutdown_timeout: config.shutdown_timeout,
            metrics_listener,
            tls,
        })
    }

    /// Where `/metrics` is served on a listener of its own, if it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// The issuer id passes carry.
    pub fn issuer_id(&self) -> &str {
        &self.state.keys.issuer_id
    }

    /// Serves on `listener` (and `/metrics` on its own listener, if configured) until `shutdown`
    /// completes; then stops accepting connections, lets the
    /// requests in flight finish for up to the shutdown timeout, answers those still running 503,
    /// commits what was written, and returns.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        self.serve_and_signal(listener, shutdown, None).await
    }

    /// [`Issuer::serve`], telling `ready` once the status lists are published and requests are
    /// answered.
    async fn serve_and_signal(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
        ready: Option<tokio::sync::oneshot::Sender<()>>,
    ) -> std::io::Result<()> {
        let Issuer {
            state,
            store_thread,
            stopping,
            shutdown_timeout,
            metrics_listener,
            tls,
        } = self;
        state
            .status_allocator
            .default_base_url(listener.local_addr()?, tls.is_some());
        let publisher = status_lists::Publisher::start(
            state.store.clone(),
            state.keys.signing_key.clone(),
            state.status_allocator.clone(),
            state.status_publisher.clone(),
            state.clock.clone(),
        )
        .await
        .map_err(std::io::Error::other)?;
        let publisher_task = tokio::spawn(publisher.run());
        let tls_watch_task = match &tls {
            Some(certificate) => Some(tokio::spawn(certificate.clone().watch()?)),
            None => None,
        };
        if let Some(ready) = ready {
            let _ = ready.send(());
        }
        let metrics_task = match metrics_listener {
            Some(listener) => {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let app = service::metrics_router(state.clone());
                Some(tokio::spawn(axum::serve(listener, app).into_future()))
            }
            None => None,
        };
        let app = service::router(state.clone());
        let (signalled, on_signal) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            shutdown.await;
            let _ = signalled.send(());
        };
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let mut server: std::pin::Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>> =
            match &tls {
                None => Box::pin(
                    axum::serve(listener, app)
                        .with_graceful_shutdown(shutdown)
                        .into_future(),
                ),
                Some(certificate) => {
                    use axum::serve::ListenerExt;
                    let listener =
                        tls::TlsListener::new(listener, tls::server_config(certificate.clone()))?
                            .tap_io(|_| {});
                    Box::pin(
                        axum::serve(listener, app)
                            .with_graceful_shutdown(shutdown)
                            .into_future(),
                    )
                }
            };
        let deadline = async {
            match on_signal.await {
                Ok(()) => tokio::time::sleep(shutdown_timeout).await,
                Err(_) => std::future::pending().await,
            }
        };
        let result = tokio::select! {
            result = &mut server => result,
            () = deadline => {
                eprintln!(
                    "doorpass-issuer: requests still running {} s after the stop signal; answering them 503 and closing their connections",
                    shutdown_timeout.as_secs_f64()
                );
                let _ = stopping.send(true);
                // Connections that do not close by themselves are abandoned (they can no longer
                // reach the database, stopped below); the process exit drops them.
                tokio::time::timeout(CUT_OFF_GRACE, &mut server)
                    .await
                    .unwrap_or(Ok(()))
            }
        };
        if let Some(task) = metrics_task {
            task.abort();
            let _ = task.await;
        }
        if let Some(task) = tls_watch_task {
            task.abort();
            let _ = task.await;
        }
        publisher_task.abort();
        let _ = publisher_task.await;
        drop(state);
        tokio::task::spawn_blocking(move || store_thread.join())
            .await
            .ok();
        drop(stopping);
        result
    }

    /// Serves on `listen` in a background task of the current runtime (for the demo and tests);
    /// returns once it answers requests (its status lists are published first, which writes to
    /// the database).
    pub async fn spawn(self, listen: SocketAddr) -> std::io::Result<RunningIssuer> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let metrics_addr = self.metrics_addr();
        let tls = self.tls.is_some();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, serving) = tokio::sync::oneshot::channel::<()>();
        let mut task = tokio::spawn(self.serve_and_signal(
            listener,
            async move {
                let _ = stopped.await;
            },
            Some(ready),
        ));
        if serving.await.is_err() {
            // It stopped before serving: its error says why.
            return match (&mut task).await {
                Ok(Ok(())) => Err(std::io::Error::other("the issuer stopped before serving")),
                Ok(Err(e)) => Err(e),
                Err(e) => Err(std::io::Error::other(e)),
            };
        }
        Ok(RunningIssuer {
            addr,
            metrics_addr,
            tls,
            stop: Some(stop),
            task,
        })
    }
}

/// An issuer serving in a background task; see [`Issuer::spawn`].
pub struct RunningIssuer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Where `/metrics` is served on a listener of its own, if it is.
    pub metrics_addr: Option<SocketAddr>,
    /// Whether it serves HTTPS.
    pub tls: bool,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningIssuer {
    /// `http://ADDR`, or `https://ADDR` when it serves TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops gracefully: requests in flight finish and are committed, then the port closes.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}
