//! The default transport: reqwest with rustls (no OpenSSL; ring for the cryptography), the platform's
//! certificate verifier (plus a test build's roots and optional pins, [`crate::tls`]), a time limit on every call, no redirects, and bodies read with a size limit
//! while they stream in.

use std::time::Duration;

use reqwest::header::{DATE, RETRY_AFTER};

use crate::tls::TlsTrust;

use crate::transport::{
    HttpMethod, HttpRequest, HttpResponse, HttpTransport, MAX_ANSWER_LEN, TransportError,
    TransportFuture,
};

/// reqwest as an [`HttpTransport`].
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    http: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with `timeout` per call, connection included, trusting the platform's roots.
    pub fn new(timeout: Duration) -> Result<Self, TransportError> {
        Self::trusting(timeout, &TlsTrust::default())
    }

    /// A transport with `timeout` per call that checks the issuer's certificate as `trust` says.
    pub fn trusting(timeout: Duration, trust: &TlsTrust) -> Result<Self, TransportError> {
        // The settings below name ring themselves; rustls code elsewhere in the process that asks
        // for the process-wide provider gets ring too, unless the app installed another.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls = crate::tls_verifier::client_config(trust)
            .map_err(|e| TransportError::Failed(format!("cannot set up TLS: {e}")))?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("doorpass/", env!("CARGO_PKG_VERSION")))
            // The API never redirects; following one could carry a refresh token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TransportError::Failed(format!("cannot build the HTTP client: {e}")))?;
        Ok(ReqwestTransport { http })
    }

    async fn exchange(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let builder = match request.method {
            HttpMethod::Get => self.http.get(&request.url),
            HttpMethod::Post => self
                .http
                .post(&request.url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(request.json_body.unwrap_or_default()),
        };
        let mut response = builder.send().await.map_err(|e| describe(&e))?;
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let (date, retry_after) = (header(DATE), header(RETRY_AFTER));
        let status = response.status().as_u16();
        if response
            .content_length()
            .is_some_and(|n| n > MAX_ANSWER_LEN as u64)
        {
            return Err(TransportError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
            if body.len() + chunk.len() > MAX_ANSWER_LEN {
                return Err(TransportError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            date,
            retry_after,
            body,
        })
    }
}

impl HttpTransport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(self.exchange(request))
    }
}

fn describe(e: &reqwest::Error) -> TransportError {
    if e.is_timeout() {
        return TransportError::TimedOut;
    }
    // Walk to the innermost cause; reqwest's own text may contain the URL, which is fine (no secrets).
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = s.to_string();
        source = s.source();
    }
    if let Some(failure) = crate::tls_verifier::classify(e) {
        return TransportError::Tls {
            failure,
            detail: msg,
        };
    }
    if e.is_connect() {
        TransportError::CouldNotConnect(msg)
    } else {
        TransportError::Failed(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::HttpMethod;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server on 127.0.0.1 that answers one request with an endless chunked body; returns how
    /// many body bytes it managed to write before the client hung up (at most `cap`).
    async fn endless_answer(cap: u64) -> (String, tokio::task::JoinHandle<u64>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1/trust-list", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = [0u8; 4096];
            let _ = socket.read(&mut head).await;
            let start = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
            if socket.write_all(start).await.is_err() {
                return 0;
            }
            let chunk = format!("4000\r\n{}\r\n", " ".repeat(0x4000));
            let mut written = 0u64;
            while written < cap && socket.write_all(chunk.as_bytes()).await.is_ok() {
                written += 0x4000;
            }
            written
        });
        (url, server)
    }

    #[tokio::test]
    async fn an_endless_chunked_answer_is_cut_off_once_past_the_limit_while_it_streams() {
        const CAP: u64 = 256 << 20;
        let (url, server) = endless_answer(CAP).await;
        let transport = ReqwestTransport::new(Duration::from_secs(20)).unwrap();
        let answer = transport
            .send(HttpRequest {
                method: HttpMethod::Get,
                url,
                json_body: None,
            })
            .await;
        assert!(
            matches!(answer, Err(TransportError::TooLarge)),
            "{:?}",
            answer.map(|r| r.body.len())
        );
        drop(transport);
        let written = server.await.unwrap();
        // What the client read, plus what the two socket buffers held when it hung up.
        assert!(
            written < 32 << 20,
            "the server wrote {written} bytes before the client stopped reading"
        );
    }
}
