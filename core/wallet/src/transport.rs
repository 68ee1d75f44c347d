//! How the wallet's requests reach the issuer: a small HTTP interface, so that an app can bring its own
//! HTTP stack. The default one (feature `http`) is reqwest with rustls; see
//! [`crate::reqwest_transport`].

use std::future::Future;
use std::pin::Pin;

/// Largest answer read from the issuer; a transport stops reading past it.
pub const MAX_ANSWER_LEN: usize = 1 << 20;

/// An HTTP method the issuer API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `POST` with a JSON body.
    Post,
}

/// One request to the issuer. Redirects must not be followed: one could carry a refresh token
/// elsewhere.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: HttpMethod,
    /// The full URL.
    pub url: String,
    /// The JSON body of a `POST` (it may hold a refresh token: never log it).
    pub json_body: Option<Vec<u8>>,
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("json_body", &self.json_body.as_ref().map(|b| b.len()))
            .finish()
    }
}

/// The issuer's answer, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Date` header, if any.
    pub date: Option<String>,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// The body, at most [`MAX_ANSWER_LEN`] bytes.
    pub body: Vec<u8>,
}

/// Why no answer came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No answer within the time limit.
    #[error("timed out")]
    TimedOut,
    /// No connection could be made (offline, refused, DNS).
    #[error("could not connect: {0}")]
    CouldNotConnect(String),
    /// The answer was larger than [`MAX_ANSWER_LEN`].
    #[error("answer too large")]
    TooLarge,
    /// The issuer's TLS certificate was refused.
    #[error("{failure}: {detail}")]
    Tls {
        /// Why, by what the user can do.
        failure: crate::tls::TlsFailure,
        /// The TLS library's words, for logs.
        detail: String,
    },
    /// Anything else (connection dropped mid-answer).
    #[error("{0}")]
    Failed(String),
}

/// A future returned by a transport.
pub type TransportFuture<'a> =
    Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'a>>;

/// Sends requests to the issuer. Implementations apply their own time limit, follow no redirects and
/// read at most [`MAX_ANSWER_LEN`] bytes of a body.
pub trait HttpTransport: Send + Sync {
    /// Sends `request` and reads the whole answer.
    fn send(&self, request: HttpRequest) -> TransportFuture<'_>;
}
