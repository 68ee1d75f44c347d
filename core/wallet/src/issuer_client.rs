//! The wallet's client for the issuer API: builds requests, reads answers, and turns failures into
//! errors a caller can act on (wait and retry, re-authenticate, or give up). Bytes travel through an
//! [`HttpTransport`].

use std::sync::Arc;
use std::time::Duration;

use doorpass_format::api::{
    self, ApiErrorBody, DevOtpResponse, EnrolmentCompleteRequest, EnrolmentStartRequest,
    EnrolmentStartResponse, IssuedPass, RenewRequest, b64,
};
use doorpass_format::holder_key::{HOLDER_SIGNATURE_LEN, HolderPublicKey, HolderSigner};
use doorpass_format::keys::VerifyingKey;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::transport::{HttpMethod, HttpRequest, HttpResponse, HttpTransport, TransportError};

/// Default time limit for one call, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a call to the issuer did not give what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssuerError {
    /// The issuer could not be reached (no network, refused connection, timeout).
    #[error("the issuer could not be reached: {0}")]
    Unreachable(String),
    /// The issuer is busy (503) or rate-limiting (429); retry after the given time if any.
    #[error("the issuer is busy (HTTP {status}); retry later")]
    Busy {
        /// 503 or 429.
        status: u16,
        /// The issuer's `Retry-After`, if it gave one.
        retry_after: Option<Duration>,
    },
    /// The issuer refused the request for a reason in `code` (see [`api::error_code`]).
    #[error("the issuer refused (HTTP {status}, {code}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// Stable error code.
        code: String,
        /// The issuer's sentence.
        message: String,
        /// For wrong codes: tries left.
        attempts_left: Option<u32>,
    },
    /// The answer was not what the API promises.
    #[error("unexpected answer from the issuer: {0}")]
    Protocol(String),
    /// The issuer's TLS certificate was refused; nothing was sent.
    #[error("{failure}: {detail}")]
    Untrusted {
        /// Why, by what the user can do.
        failure: crate::tls::TlsFailure,
        /// The TLS library's words, for logs.
        detail: String,
    },
}

impl IssuerError {
    /// The HTTP status, if the issuer answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            IssuerError::Busy { status, .. } | IssuerError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the issuer refused with this error code.
    pub fn is_code(&self, code: &str) -> bool {
        matches!(self, IssuerError::Refused { code: c, .. } if c == code)
    }
}

/// A successful answer with the issuer's clock reading, from its `Date` header.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    /// The value.
    pub value: T,
    /// The issuer's time when it answered (seconds since the Unix epoch), if it said.
    pub server_time: Option<u64>,
    /// The HTTP status.
    pub status: u16,
}

/// A client for one issuer.
#[derive(Clone)]
pub struct IssuerClient {
    base: String,
    transport: Arc<dyn HttpTransport>,
}

impl std::fmt::Debug for IssuerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl IssuerClient {
    /// A client for the issuer at `base_url` (e.g. `https://issuer.example`) over `transport`.
    pub fn new(base_url: &str, transport: Arc<dyn HttpTransport>) -> Result<Self, IssuerError> {
        let base = base_url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(IssuerError::Protocol(format!(
                "issuer URL must start with http:// or https://: {base}"
            )));
        }
        Ok(IssuerClient { base, transport })
    }

    /// A client over the default transport (reqwest), with `timeout` per call, trusting the
    /// platform's roots.
    #[cfg(feature = "http")]
    pub fn over_https(base_url: &str, timeout: Duration) -> Result<Self, IssuerError> {
        Self::over_https_trusting(base_url, timeout, &crate::tls::TlsTrust::default())
    }

    /// A client over the default transport (reqwest), with `timeout` per call, checking the
    /// issuer's certificate as `trust` says (extra roots of a test build, pins).
    #[cfg(feature = "http")]
    pub fn over_https_trusting(
        base_url: &str,
        timeout: Duration,
        trust: &crate::tls::TlsTrust,
    ) -> Result<Self, IssuerError> {
        let transport = crate::reqwest_transport::ReqwestTransport::trusting(timeout, trust)
            .map_err(|e| IssuerError::Protocol(e.to_string()))?;
        Self::new(base_url, Arc::new(transport))
    }

    /// Whether `url` may be spoken to in plain HTTP without asking: only when its host is this
    /// machine (loopback), where nothing crosses a network. Anything else needs https, or the caller's
    /// explicit consent (a QA build pointed at a test issuer on the LAN).
    pub fn is_loopback_url(url: &str) -> bool {
        let Ok(url) = url::Url::parse(url) else {
            return false;
        };
        if !matches!(url.scheme(), "http" | "https")
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return false;
        }
        // `host_str` is the parsed host: a domain, a normalised IPv4 address, or `[IPv6]`.
        let Some(host) = url.host_str() else {
            return false;
        };
        match host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
        {
            Ok(ip) => ip.is_loopback(),
            Err(_) => host.eq_ignore_ascii_case("localhost"),
        }
    }

    /// The issuer's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET /v1/trust-list`: the signed trust list bytes (check them with the pinned anchor).
    pub async fn trust_list(&self) -> Result<Answer<Vec<u8>>, IssuerError> {
        let response = self
            .send(HttpMethod::Get, self.url(api::TRUST_LIST_PATH), None)
            .await?;
        Ok(Answer {
            server_time: server_time(&response),
            status: response.status,
            value: response.body,
        })
    }

    /// Starts an enrolment: the issuer sends a one-time code to `subject`.
    pub async fn start_enrolment(
        &self,
        subject: &str,
        holder_key: &VerifyingKey,
    ) -> Result<Answer<EnrolmentStartResponse>, IssuerError> {
        self.start_enrolment_with_key(subject, &HolderPublicKey::Ed25519(*holder_key))
            .await
    }

    /// Asks the issuer to send a one-time code to `subject`, for a holder key of either kind (its
    /// `to_bytes`: 32 bytes Ed25519, 33 bytes compressed P-256).
    pub async fn start_enrolment_with_key(
        &self,
        subject: &str,
        holder_key: &HolderPublicKey,
    ) -> Result<Answer<EnrolmentStartResponse>, IssuerError> {
        let body = EnrolmentStartRequest {
            subject: subject.to_string(),
            holder_key: b64(&holder_key.to_bytes()),
        };
        self.post_json(api::ENROLMENT_START_PATH, &body).await
    }

    /// Completes an enrolment with the code the subject received, proving possession of `holder`.
    pub async fn complete_enrolment(
        &self,
        challenge_id: &str,
        code: &str,
        holder: &impl HolderSigner,
    ) -> Result<Answer<IssuedPass>, IssuerError> {
        let id: [u8; api::CHALLENGE_ID_LEN] = api::b64_fixed(challenge_id).ok_or_else(|| {
            IssuerError::Protocol("the challenge id is not 16 bytes of base64url".into())
        })?;
        let proof = holder.sign_holder_message(&api::enrolment_proof_message(
            &id,
            &holder.holder_public_key().to_bytes(),
        ));
        self.complete_enrolment_with_proof(challenge_id, code, &proof)
            .await
    }

    /// Completes an enrolment with a proof already made (by a key that signs elsewhere, such as the
    /// platform's): a holder signature over [`api::enrolment_proof_message`].
    pub async fn complete_enrolment_with_proof(
        &self,
        challenge_id: &str,
        code: &str,
        proof: &[u8; HOLDER_SIGNATURE_LEN],
    ) -> Result<Answer<IssuedPass>, IssuerError> {
        self.complete_enrolment_attested(challenge_id, code, proof, None)
            .await
    }

    /// Completes an enrolment with a proof already made, and the new key's attestation when the
    /// start answer asked for one (issue 22 part 3).
    pub async fn complete_enrolment_attested(
        &self,
        challenge_id: &str,
        code: &str,
        proof: &[u8; HOLDER_SIGNATURE_LEN],
        attestation: Option<api::KeyAttestation>,
    ) -> Result<Answer<IssuedPass>, IssuerError> {
        let body = EnrolmentCompleteRequest {
            challenge_id: challenge_id.to_string(),
            code: code.trim().to_string(),
            proof: b64(proof),
            attestation,
        };
        self.post_json(api::ENROLMENT_COMPLETE_PATH, &body).await
    }

    /// Renews with a refresh token, proving possession of `holder`.
    pub async fn renew(
        &self,
        refresh_token: &[u8; api::REFRESH_TOKEN_LEN],
        holder: &impl HolderSigner,
    ) -> Result<Answer<IssuedPass>, IssuerError> {
        let proof = holder.sign_holder_message(&api::renewal_proof_message(refresh_token));
        self.renew_with_proof(refresh_token, &proof).await
    }

    /// Renews with a proof already made: a holder signature over [`api::renewal_proof_message`].
    pub async fn renew_with_proof(
        &self,
        refresh_token: &[u8; api::REFRESH_TOKEN_LEN],
        proof: &[u8; HOLDER_SIGNATURE_LEN],
    ) -> Result<Answer<IssuedPass>, IssuerError> {
        let body = RenewRequest {
            refresh_token: b64(refresh_token),
            proof: b64(proof),
        };
        self.post_json(api::RENEW_PATH, &body).await
    }

    /// Fetches the status list token at `uri` (an absolute URL named by a pass). The same rules as
    /// for the issuer apply: https, or plain http only to this machine.
    pub async fn status_list(&self, uri: &str) -> Result<Answer<Vec<u8>>, IssuerError> {
        if !(uri.starts_with("https://") || Self::is_loopback_url(uri)) {
            return Err(IssuerError::Protocol(format!(
                "a status list must be fetched over https: {uri}"
            )));
        }
        let response = self.send(HttpMethod::Get, uri.to_string(), None).await?;
        Ok(Answer {
            server_time: server_time(&response),
            status: response.status,
            value: response.body,
        })
    }

    /// Dev issuers only: the last code sent to `subject`.
    pub async fn dev_code(&self, subject: &str) -> Result<String, IssuerError> {
        let url = format!("{}/dev/otp/{}", self.base, percent_encode(subject));
        let response = self.send(HttpMethod::Get, url, None).await?;
        Ok(parse::<DevOtpResponse>(&response.body)?.code)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Answer<T>, IssuerError> {
        let json = serde_json::to_vec(body)
            .map_err(|e| IssuerError::Protocol(format!("cannot encode the request: {e}")))?;
        let response = self
            .send(HttpMethod::Post, self.url(path), Some(json))
            .await?;
        Ok(Answer {
            value: parse(&response.body)?,
            server_time: server_time(&response),
            status: response.status,
        })
    }

    /// Sends a request; maps transport failures and non-2xx answers to [`IssuerError`].
    async fn send(
        &self,
        method: HttpMethod,
        url: String,
        json_body: Option<Vec<u8>>,
    ) -> Result<HttpResponse, IssuerError> {
        let request = HttpRequest {
            method,
            url,
            json_body,
        };
        let response = self.transport.send(request).await.map_err(|e| match e {
            TransportError::TooLarge => IssuerError::Protocol(e.to_string()),
            TransportError::Tls { failure, detail } => IssuerError::Untrusted { failure, detail },
            e => IssuerError::Unreachable(e.to_string()),
        })?;
        let status = response.status;
        if (200..300).contains(&status) {
            return Ok(response);
        }
        if status == 503 || status == 429 {
            return Err(IssuerError::Busy {
                status,
                retry_after: response.retry_after.as_deref().and_then(parse_retry_after),
            });
        }
        match serde_json::from_slice::<ApiErrorBody>(&response.body) {
            Ok(body) => Err(IssuerError::Refused {
                status,
                code: body.error,
                message: body.message,
                attempts_left: body.attempts_left,
            }),
            Err(_) => Err(IssuerError::Protocol(format!(
                "HTTP {status} without an API error body"
            ))),
        }
    }
}

/// The issuer's clock from an answer's `Date` header.
fn server_time(response: &HttpResponse) -> Option<u64> {
    let date = httpdate::parse_http_date(response.date.as_deref()?).ok()?;
    Some(date.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs())
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, IssuerError> {
    serde_json::from_slice(bytes).map_err(|e| IssuerError::Protocol(format!("bad JSON: {e}")))
}

/// `Retry-After` as seconds (the HTTP-date form is also accepted).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Ok(secs) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs.min(24 * 3600)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default()
            .min(Duration::from_secs(24 * 3600)),
    )
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_counts_as_loopback() {
        for url in [
            "http://127.0.0.1:8080",
            "http://localhost/",
            "http://[::1]:9",
            "http://127.9.9.9",
        ] {
            assert!(IssuerClient::is_loopback_url(url), "{url}");
        }
        for url in [
            "http://10.0.2.2:8080",
            "http://issuer.example",
            "http://127.0.0.1:80@issuer.example",
            "http://user@127.0.0.1",
            "http://localhost.issuer.example",
            "not a url",
        ] {
            assert!(!IssuerClient::is_loopback_url(url), "{url}");
        }
    }

    #[test]
    fn loopback_means_this_machine_by_the_parsed_host() {
        assert!(IssuerClient::is_loopback_url("http://127.0.0.1:8080"));
        assert!(IssuerClient::is_loopback_url("http://127.3.4.5/x"));
        assert!(IssuerClient::is_loopback_url("http://localhost:1"));
        assert!(IssuerClient::is_loopback_url("http://[::1]:80"));
        assert!(IssuerClient::is_loopback_url("http://LOCALHOST:1"));
        assert!(!IssuerClient::is_loopback_url("http://10.0.0.1:80"));
        assert!(!IssuerClient::is_loopback_url("http://example.com"));
        // The host is what the HTTP client will connect to, not what a naive split sees.
        assert!(!IssuerClient::is_loopback_url(
            "http://127.0.0.1:80@example.com"
        ));
        assert!(!IssuerClient::is_loopback_url(
            "http://127.0.0.1@example.com/"
        ));
        assert!(!IssuerClient::is_loopback_url(
            "http://localhost@example.com"
        ));
        assert!(!IssuerClient::is_loopback_url(
            "http://example.com#@127.0.0.1"
        ));
        assert!(!IssuerClient::is_loopback_url(
            "http://example.com\\@127.0.0.1/"
        ));
        assert!(!IssuerClient::is_loopback_url(
            "http://localhost.example.com"
        ));
        assert!(!IssuerClient::is_loopback_url(
            "http://127.0.0.1.example.com"
        ));
        // Credentials are refused even with a loopback host.
        assert!(!IssuerClient::is_loopback_url(
            "http://user:pw@127.0.0.1:80"
        ));
        assert!(!IssuerClient::is_loopback_url("http://user@localhost"));
        // Other schemes and garbage.
        assert!(!IssuerClient::is_loopback_url("ftp://127.0.0.1"));
        assert!(!IssuerClient::is_loopback_url("127.0.0.1:8080"));
        assert!(!IssuerClient::is_loopback_url(""));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("99999999"),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[cfg(feature = "http")]
    #[test]
    fn bad_urls_are_refused() {
        let transport: Arc<dyn HttpTransport> =
            Arc::new(crate::reqwest_transport::ReqwestTransport::new(DEFAULT_TIMEOUT).unwrap());
        assert!(IssuerClient::new("ftp://x", transport.clone()).is_err());
        assert_eq!(
            IssuerClient::new("http://x/", transport)
                .unwrap()
                .base_url(),
            "http://x"
        );
        assert_eq!(percent_encode("+82 10/x"), "%2B82%2010%2Fx");
    }
}
