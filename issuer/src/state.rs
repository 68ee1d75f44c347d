//! What every handler shares: [`AppState`], below the handlers and the router, so that no handler
//! depends on another or on the router.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use doorpass_format::KeyAssurance;
use doorpass_format::holder_key::HolderPublicKey;
use tokio::sync::watch;

use crate::admission::Admission;
use crate::delivery::{CodeDelivery, DevDelivery};
use crate::issuance::{Lifetimes, Tentative};
use crate::keys::IssuerKeys;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::store::{HolderRecord, Store, StoreError};

/// Dev-mode knobs for QA.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Faults {
    /// Added to every issuance request.
    pub latency: Duration,
    /// Share of issuance requests answered 503 on purpose (0 to 1).
    pub failure_rate: f64,
}

/// Dev-mode state.
pub struct DevState {
    /// Where codes can be read back.
    pub delivery: Arc<DevDelivery>,
    /// Injected latency and failures.
    pub faults: Faults,
}

/// Everything handlers share.
pub struct AppState {
    /// Signing key, issuer id, trust list.
    pub keys: IssuerKeys,
    /// The database.
    pub store: Store,
    /// Lifetimes of passes, tokens and codes.
    pub lifetimes: Lifetimes,
    /// When wallets renew ([`crate::renew_timing`]).
    pub renew_timing: crate::renew_timing::RenewTiming,
    /// Where decisions read the time ([`crate::clock`]).
    pub clock: crate::clock::Clock,
    /// Wrong one-time codes allowed per subject over a sliding window.
    pub code_failure_cap: crate::store::FailureCap,
    /// How codes reach subjects.
    pub delivery: Arc<dyn CodeDelivery>,
    /// Present only with `--dev`.
    pub dev: Option<DevState>,
    /// Gate in front of the issuance routes.
    pub admission: Admission,
    /// Hands out status-list entries to new passes.
    pub status_allocator: Arc<crate::status_lists::StatusAllocator>,
    /// The signed status lists, kept current once serving starts.
    pub status_publisher: Arc<crate::status_lists::StatusPublisher>,
    /// Proxies whose `X-Forwarded-For` names the client ([`crate::client_address`]).
    pub trusted_proxies: crate::client_address::TrustedProxies,
    /// Per client address (IPv6 by /64, see [`crate::rate_limit::client_key`]).
    pub client_limiter: RateLimiter<IpAddr>,
    /// Per subject, for enrolment starts (each sends a message); counted in the database.
    pub subject_starts: Option<crate::store::StartCap>,
    /// Counters.
    pub metrics: Metrics,
    /// Longest a request may take, from its headers to its answer, body read included.
    pub request_timeout: Duration,
    /// Becomes `true` when a stop has passed its deadline: requests still running are answered 503
    /// at once (and their connections closed).
    pub stopping: watch::Receiver<bool>,
    /// Whether `/metrics` is on the public router (in-process tests only; see
    /// [`crate::MetricsExposure::Public`]).
    pub public_metrics: bool,
    /// Key attestation at enrolment: the mode and what is trusted.
    pub attestation: crate::attestation::Attestation,
}

impl AppState {
    /// Signs a pass for `holder`, if there still is one, with the next status-list entry
    /// ([`Tentative::sign`]); the entry is only taken when there is a holder to sign for.
    pub async fn sign_tentative(
        &self,
        holder: Option<&HolderRecord>,
        holder_key: &HolderPublicKey,
        key_assurance: KeyAssurance,
        family: [u8; 16],
        now: u64,
    ) -> Result<Tentative, StoreError> {
        let entry = match holder {
            Some(_) => Some(self.status_allocator.allocate(&self.store).await?),
            None => None,
        };
        Ok(Tentative::sign(
            &self.keys,
            (&self.lifetimes, &self.renew_timing),
            entry,
            holder,
            (holder_key, key_assurance),
            family,
            now,
        ))
    }
}
