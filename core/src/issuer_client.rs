//! The wallet's HTTP client for the issuer API: rustls (no OpenSSL), a timeout on every call, and
//! errors a caller can act on (wait and retry, re-authenticate, or give up).

use std::time::Duration;

use ed25519_dalek::Signer;
use reqwest::header::{DATE, RETRY_AFTER};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{
    self, ApiErrorBody, DevOtpResponse, EnrolmentCompleteRequest, EnrolmentStartRequest,
    EnrolmentStartResponse, IssuedPass, RenewRequest, b64,
};
use crate::keys::{SigningKey, VerifyingKey};

/// Default time limit for one call, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest answer read from the issuer.
const MAX_ANSWER_LEN: usize = 1 << 20;

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
#[derive(Debug, Clone)]
pub struct IssuerClient {
    base: String,
    http: reqwest::Client,
}

impl IssuerClient {
    /// A client for the issuer at `base_url` (e.g. `https://issuer.example`), with `timeout` per call.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, IssuerError> {
        let base = base_url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(IssuerError::Protocol(format!(
                "issuer URL must start with http:// or https://: {base}"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("doorpass/", env!("CARGO_PKG_VERSION")))
            // The API never redirects; following one could carry a refresh token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| IssuerError::Protocol(format!("cannot build the HTTP client: {e}")))?;
        Ok(IssuerClient { base, http })
    }

    /// Whether `url` may be spoken to in plain HTTP without asking: only when its host is this
    /// machine (loopback), where nothing crosses a network. Anything else needs https, or the caller's
    /// explicit consent (a QA build pointed at a test issuer on the LAN).
    pub fn is_loopback_url(url: &str) -> bool {
        let Ok(url) = reqwest::Url::parse(url) else {
            return false;
        };
        if !url.username().is_empty() || url.password().is_some() {
            return false;
        }
        let Some(host) = url.host_str() else {
            return false;
        };
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The issuer's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET /v1/trust-list`: the signed trust list bytes (check them with the pinned anchor).
    pub async fn trust_list(&self) -> Result<Answer<Vec<u8>>, IssuerError> {
        let response = self
            .send(self.http.get(self.url(api::TRUST_LIST_PATH)))
            .await?;
        let (status, server_time) = meta(&response);
        let value = read_body(response).await?;
        Ok(Answer {
            value,
            server_time,
            status,
        })
    }

    /// Starts an enrolment: the issuer sends a one-time code to `subject`.
    pub async fn start_enrolment(
        &self,
        subject: &str,
        holder_key: &VerifyingKey,
    ) -> Result<Answer<EnrolmentStartResponse>, IssuerError> {
        let body = EnrolmentStartRequest {
            subject: subject.to_string(),
            holder_key: b64(holder_key.as_bytes()),
        };
        self.post_json(api::ENROLMENT_START_PATH, &body).await
    }

    /// Completes an enrolment with the code the subject received, proving possession of `holder`.
    pub async fn complete_enrolment(
        &self,
        challenge_id: &str,
        code: &str,
        holder: &SigningKey,
    ) -> Result<Answer<IssuedPass>, IssuerError> {
        let id: [u8; api::CHALLENGE_ID_LEN] = api::b64_fixed(challenge_id).ok_or_else(|| {
            IssuerError::Protocol("the challenge id is not 16 bytes of base64url".into())
        })?;
        let proof = holder.sign(&api::enrolment_proof_message(
            &id,
            holder.verifying_key().as_bytes(),
        ));
        let body = EnrolmentCompleteRequest {
            challenge_id: challenge_id.to_string(),
            code: code.trim().to_string(),
            proof: b64(&proof.to_bytes()),
        };
        self.post_json(api::ENROLMENT_COMPLETE_PATH, &body).await
    }

    /// Renews with a refresh token, proving possession of `holder`.
    pub async fn renew(
        &self,
        refresh_token: &[u8; api::REFRESH_TOKEN_LEN],
        holder: &SigningKey,
    ) -> Result<Answer<IssuedPass>, IssuerError> {
        let proof = holder.sign(&api::renewal_proof_message(refresh_token));
        let body = RenewRequest {
            refresh_token: b64(refresh_token),
            proof: b64(&proof.to_bytes()),
        };
        self.post_json(api::RENEW_PATH, &body).await
    }

    /// Dev issuers only: the last code sent to `subject`.
    pub async fn dev_code(&self, subject: &str) -> Result<String, IssuerError> {
        let url = format!("{}/dev/otp/{}", self.base, percent_encode(subject));
        let body = read_body(self.send(self.http.get(url)).await?).await?;
        Ok(parse::<DevOtpResponse>(&body)?.code)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Answer<T>, IssuerError> {
        let response = self.send(self.http.post(self.url(path)).json(body)).await?;
        let (status, server_time) = meta(&response);
        let bytes = read_body(response).await?;
        Ok(Answer {
            value: parse(&bytes)?,
            server_time,
            status,
        })
    }

    /// Sends a request; maps transport failures and non-2xx answers to [`IssuerError`].
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, IssuerError> {
        let response = request
            .send()
            .await
            .map_err(|e| IssuerError::Unreachable(describe(&e)))?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            return Ok(response);
        }
        if status == 503 || status == 429 {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            return Err(IssuerError::Busy {
                status,
                retry_after,
            });
        }
        let bytes = read_body(response).await.unwrap_or_default();
        match serde_json::from_slice::<ApiErrorBody>(&bytes) {
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

fn meta(response: &reqwest::Response) -> (u16, Option<u64>) {
    let server_time = response
        .headers()
        .get(DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    (response.status().as_u16(), server_time)
}

async fn read_body(response: reqwest::Response) -> Result<Vec<u8>, IssuerError> {
    if response
        .content_length()
        .is_some_and(|n| n as usize > MAX_ANSWER_LEN)
    {
        return Err(IssuerError::Protocol("answer too large".into()));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| IssuerError::Unreachable(describe(&e)))?;
    if bytes.len() > MAX_ANSWER_LEN {
        return Err(IssuerError::Protocol("answer too large".into()));
    }
    Ok(bytes.to_vec())
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

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        // Walk to the innermost cause; reqwest's own text may contain the URL, which is fine (no secrets).
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            msg = s.to_string();
            source = s.source();
        }
        msg
    }
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

    #[test]
    fn bad_urls_are_refused() {
        assert!(IssuerClient::new("ftp://x", DEFAULT_TIMEOUT).is_err());
        assert_eq!(
            IssuerClient::new("http://x/", DEFAULT_TIMEOUT)
                .unwrap()
                .base_url(),
            "http://x"
        );
        assert_eq!(percent_encode("+82 10/x"), "%2B82%2010%2Fx");
    }
}
