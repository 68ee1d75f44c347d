//! The reference Doorpass issuer: an axum service over SQLite that enrols holders with one-time codes,
//! signs DP1 passes, rotates refresh tokens, serves the signed trust list, and sheds load politely
//! (503 or 429 with `Retry-After`) instead of falling over.
//!
//! Modules: [`store`] (SQLite, group commit), [`enrolment`], [`renewal`], [`issuance`], [`service`]
//! (routes and middleware), [`admission`], [`rate_limit`], [`metrics`], [`delivery`], [`codes`],
//! [`holders`] (CSV import), [`keys`] (the issuer folder).

pub mod admission;
pub mod codes;
pub mod delivery;
pub mod enrolment;
pub mod error;
pub mod holders;
pub mod issuance;
pub mod keys;
pub mod metrics;
pub mod rate_limit;
pub mod renewal;
pub mod service;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use admission::{Admission, AdmissionLimits};
use delivery::{CodeDelivery, DevDelivery, OutboxDelivery};
use issuance::Lifetimes;
use keys::{IssuerDir, IssuerKeys, IssuerKeysError};
use rate_limit::{Rate, RateLimiter};
use service::{AppState, DevState, Faults};
use store::{Durability, HolderRecord, Store, StoreError, StoreThread};

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// How to run the issuer.
#[derive(Debug, Clone)]
pub struct IssuerConfig {
    /// Folder made by `doorpass issuer init`.
    pub dir: PathBuf,
    /// Database file; default `DIR/issuer.db`.
    pub db: Option<PathBuf>,
    /// Commit durability.
    pub durability: Durability,
    /// Admission control.
    pub admission: AdmissionLimits,
    /// Per-client-address limit on issuance routes; `None` disables it.
    pub client_rate: Option<Rate>,
    /// Per-subject limit on enrolment starts; `None` disables it.
    pub subject_rate: Option<Rate>,
    /// Pass, refresh-token and code lifetimes.
    pub lifetimes: Lifetimes,
    /// `Some` in dev mode: codes readable over `/dev/otp/{subject}`, demo holders, fault injection.
    pub dev: Option<Faults>,
}

impl IssuerConfig {
    /// Production defaults for the folder `dir`.
    pub fn new(dir: PathBuf) -> Self {
        IssuerConfig {
            dir,
            db: None,
            durability: Durability::default(),
            admission: AdmissionLimits::default(),
            client_rate: Some(Rate {
                per_second: 20.0,
                burst: 60.0,
            }),
            subject_rate: Some(Rate {
                per_second: 5.0 / 900.0,
                burst: 5.0,
            }),
            lifetimes: Lifetimes::default(),
            dev: None,
        }
    }

    /// The database path in use.
    pub fn database(&self) -> PathBuf {
        self.db
            .clone()
            .unwrap_or_else(|| IssuerDir::at(&self.dir).database)
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
}

impl Issuer {
    /// Loads keys, opens (and migrates) the database, and in dev mode seeds the demo holders.
    pub fn open(config: &IssuerConfig) -> Result<Issuer, StartError> {
        let keys = IssuerKeys::load(&config.dir)?;
        let db = config.database();
        if config.dev.is_some() {
            let demo: Vec<HolderRecord> = DEMO_HOLDERS
                .iter()
                .map(|(subject, name, birth_date, kind)| HolderRecord {
                    subject: subject.to_string(),
                    display_name: name.to_string(),
                    birth_date: birth_date.to_string(),
                    kind: doorpass_core::PassKind::from_short_name(kind).map_or(1, |k| k.code()),
                    eligible_until: unix_now() + 5 * 365 * 86_400,
                })
                .collect();
            holders::import(&db, &demo)?;
        }
        let (store, store_thread) = Store::open(&db, config.durability)?;
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
        let state = AppState {
            keys,
            store,
            lifetimes: config.lifetimes,
            delivery,
            dev,
            admission: Admission::new(config.admission),
            client_limiter: RateLimiter::new(config.client_rate),
            subject_limiter: RateLimiter::new(config.subject_rate),
            metrics: Default::default(),
        };
        Ok(Issuer {
            state: Arc::new(state),
            store_thread,
        })
    }

    /// The issuer id passes carry.
    pub fn issuer_id(&self) -> &str {
        &self.state.keys.issuer_id
    }

    /// Serves on `listener` until `shutdown` completes; then finishes the requests in flight, commits
    /// what they wrote, and returns.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = service::router(self.state.clone());
        let result = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        drop(self.state);
        let thread = self.store_thread;
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .ok();
        result
    }

    /// Serves on `listen` in a background task of the current runtime (for the demo and tests).
    pub async fn spawn(self, listen: SocketAddr) -> std::io::Result<RunningIssuer> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(self.serve(listener, async move {
            let _ = stopped.await;
        }));
        Ok(RunningIssuer {
            addr,
            stop: Some(stop),
            task,
        })
    }
}

/// An issuer serving in a background task; see [`Issuer::spawn`].
pub struct RunningIssuer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningIssuer {
    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
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
