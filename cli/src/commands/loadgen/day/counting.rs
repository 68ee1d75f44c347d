//! What the simulated phones and door devices sent: a transport around the wallet core's own that
//! counts each request by kind before it leaves, so the issuer's counts can be checked against it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use doorpass_wallet::transport::{HttpRequest, HttpTransport, TransportFuture};

/// The kinds of request the table shows, in column order.
pub(super) const KINDS: [&str; 6] = [
    "start",
    "code",
    "complete",
    "renew",
    "trust-list",
    "status-list",
];

/// The kind (index into [`KINDS`]) of a request path, as the issuer labels its routes; `None` for
/// anything else (`/metrics`, `/healthz`).
pub(super) fn kind_of_path(path: &str) -> Option<usize> {
    match path {
        "/v1/enrolment/start" => Some(0),
        "/v1/enrolment/complete" => Some(2),
        "/v1/renew" => Some(3),
        "/v1/trust-list" => Some(4),
        p if p.starts_with("/dev/otp/") => Some(1),
        p if p.starts_with("/v1/status/") => Some(5),
        _ => None,
    }
}

/// The kind of an issuer metrics route label (`/v1/status/{list}` and the like).
pub(super) fn kind_of_route(route: &str) -> Option<usize> {
    kind_of_path(route)
}

/// Requests by kind.
#[derive(Default)]
pub(super) struct Counters([AtomicU64; KINDS.len()]);

impl Counters {
    /// The counts so far.
    pub(super) fn snapshot(&self) -> [u64; KINDS.len()] {
        std::array::from_fn(|i| self.0[i].load(Ordering::Relaxed))
    }
}

/// A transport that counts what it sends into `counters`, then sends it through `inner`.
pub(super) struct CountingTransport {
    /// The real transport (the core's reqwest one).
    pub(super) inner: Arc<dyn HttpTransport>,
    /// Where the counts go.
    pub(super) counters: Arc<Counters>,
}

impl HttpTransport for CountingTransport {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        let path = request
            .url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()))
            .unwrap_or_default();
        if let Some(kind) = kind_of_path(&path) {
            self.counters.0[kind].fetch_add(1, Ordering::Relaxed);
        }
        self.inner.send(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_the_issuer_routes() {
        assert_eq!(kind_of_path("/v1/enrolment/start"), Some(0));
        assert_eq!(kind_of_path("/dev/otp/day-3"), Some(1));
        assert_eq!(kind_of_path("/v1/status/1"), Some(5));
        assert_eq!(kind_of_route("/v1/status/{list}"), Some(5));
        assert_eq!(kind_of_path("/metrics"), None);
    }
}
