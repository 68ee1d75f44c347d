//! Clients of the edge in tests: requests from a chosen loopback address, their answers, and the
//! protocol nginx negotiates.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use doorpass_format::api::b64;
use doorpass_format::keys::generate_signing_key;
use doorpass_issuer::test_certs::client_config_trusting;
use rustls::pki_types::ServerName;
use serde_json::{Value, json};

/// The client address 127.0.0.`n`.
pub fn loopback(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

/// An answer: status, `Retry-After`, `X-Cache-Status`, `ETag`, the body as JSON (or null).
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub cache: Option<String>,
    pub etag: Option<String>,
    pub json: Value,
}

/// Reads `response` into an [`Answer`].
pub async fn answer(response: reqwest::Response) -> Answer {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (retry_after, cache, etag) = (
        header("retry-after"),
        header("x-cache-status"),
        header("etag"),
    );
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    Answer {
        status,
        retry_after: retry_after.and_then(|v| v.parse().ok()),
        cache,
        etag,
        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
    }
}

/// Starts an enrolment for `subject` at the edge, with a new holder key.
pub async fn start_enrolment(client: &reqwest::Client, edge: &str, subject: &str) -> Answer {
    let key = generate_signing_key();
    let body = json!({ "subject": subject, "holder_key": b64(key.verifying_key().as_bytes()) });
    let url = format!("{edge}/v1/enrolment/start");
    answer(client.post(url).json(&body).send().await.unwrap()).await
}

/// `GET url`.
pub async fn get(client: &reqwest::Client, url: String) -> Answer {
    answer(client.get(url).send().await.unwrap()).await
}

/// The protocol nginx picks when offered h2 and http/1.1 (ALPN).
pub async fn negotiated_protocol(ca_pem: &str, port: u16) -> Option<Vec<u8>> {
    let config = client_config_trusting(ca_pem, &[b"h2", b"http/1.1"]);
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec)
}
