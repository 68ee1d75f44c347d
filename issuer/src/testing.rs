//! An in-process dev issuer for tests (cargo feature `testing`): a fresh issuer folder in a temporary
//! directory, a dev-mode configuration without rate limits, and the service on 127.0.0.1 at a free
//! port, which can be stopped and restarted on the same folder and database.
//!
//! The issuer's own HTTP tests and the cross-part wallet tests both build on [`DevIssuer`]. It is
//! test support: anything that goes wrong panics.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use doorpass_format::keys::{VerifyingKey, read_public_key};

use crate::keys::{AnchorDir, IssuerDir, init_dir};
use crate::service::Faults;
use crate::{Issuer, IssuerConfig, MetricsExposure, RunningIssuer, unix_now};

/// The issuer id test folders are made with (the one the demo holders belong to).
pub const ISSUER_ID: &str = "KR-KDCA";

/// A dev-mode configuration for the issuer folder `dir`, with no rate limits and `/metrics` on the
/// public listener (so tests read it at [`DevIssuer::url`]).
pub fn dev_config(dir: &Path) -> IssuerConfig {
    let mut config = IssuerConfig::new(dir.to_path_buf());
    config.metrics = MetricsExposure::Public;
    config.dev = Some(Faults::default());
    config.client_rate = None;
    config.subject_rate = None;
    config
}

/// A dev issuer folder in a temporary directory, and the issuer serving it while it runs.
pub struct DevIssuer {
    /// The issuer folder (keys, trust list, database); deleted when this is dropped.
    pub dir: tempfile::TempDir,
    /// The anchor's folder (its private key), apart from the issuer folder; deleted when this is
    /// dropped.
    pub anchor_dir: tempfile::TempDir,
    /// The trust anchor's public key, the one a wallet pins.
    pub anchor: VerifyingKey,
    /// The running service, until stopped.
    running: Option<RunningIssuer>,
}

impl DevIssuer {
    /// Creates an issuer folder and starts a dev issuer on it, its configuration adjusted by `tweak`.
    pub async fn start(tweak: impl FnOnce(&mut IssuerConfig)) -> DevIssuer {
        let dir = tempfile::tempdir().unwrap();
        let anchor_dir = tempfile::tempdir().unwrap();
        let offline = AnchorDir::at(anchor_dir.path());
        init_dir(dir.path(), &offline, ISSUER_ID, unix_now(), false).unwrap();
        let anchor = read_public_key(&IssuerDir::at(dir.path()).anchor_pub).unwrap();
        let mut issuer = DevIssuer {
            dir,
            anchor_dir,
            anchor,
            running: None,
        };
        issuer.restart(tweak).await;
        issuer
    }

    /// (Re)starts the issuer on the same folder and database with a new configuration, on a new
    /// port.
    pub async fn restart(&mut self, tweak: impl FnOnce(&mut IssuerConfig)) {
        self.stop().await;
        let mut config = dev_config(self.dir.path());
        tweak(&mut config);
        let issuer = Issuer::open(&config).unwrap();
        self.running = Some(issuer.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap());
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

    /// The issuer's base URL, `http://ADDR` (panics when stopped).
    pub fn url(&self) -> String {
        self.running().url()
    }

    /// The issuer's database file.
    pub fn db(&self) -> PathBuf {
        IssuerDir::at(self.dir.path()).database
    }

    fn running(&self) -> &RunningIssuer {
        self.running.as_ref().expect("issuer running")
    }
}
