//! A real issuer on 127.0.0.1 (random port) for tests, and a small HTTP holder to talk to it.

#![allow(dead_code)]

pub mod attested;

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use doorpass_format::api::{self, b64};
use doorpass_format::holder_key::HolderSigner;
use doorpass_format::keys::{SigningKey, generate_signing_key};
use doorpass_issuer::testing::DevIssuer;
use doorpass_issuer::{IssuerConfig, RunningIssuer};
use serde_json::{Value, json};

/// A running issuer (its folder, database and base URL through [`DevIssuer`]) with an HTTP client.
pub struct TestIssuer {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    /// Shared by the views of other nodes ([`TestIssuer::on`]).
    issuer: Arc<DevIssuer>,
}

/// A dev-mode issuer in a fresh folder, no rate limits, its config adjusted by `tweak`.
pub async fn start(tweak: impl FnOnce(&mut IssuerConfig)) -> TestIssuer {
    let issuer = DevIssuer::start(tweak).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    TestIssuer {
        addr: issuer.addr(),
        http,
        issuer: Arc::new(issuer),
    }
}

impl Deref for TestIssuer {
    type Target = DevIssuer;

    fn deref(&self) -> &DevIssuer {
        &self.issuer
    }
}

impl TestIssuer {
    /// Starts another node on the same folder and database ([`DevIssuer::add_node`]); talk to it
    /// with [`TestIssuer::on`].
    pub async fn add_node(&self) -> RunningIssuer {
        self.issuer.add_node(|_| {}).await
    }

    /// This issuer's client, talking to `node` instead (another node on the same database).
    pub fn on(&self, node: &RunningIssuer) -> TestIssuer {
        TestIssuer {
            addr: node.addr,
            http: self.http.clone(),
            issuer: self.issuer.clone(),
        }
    }

    /// This issuer's view from another client address: its requests leave from `local` (any
    /// 127.0.0.0/8 address reaches the issuer on 127.0.0.1).
    pub fn seen_from(&self, local: std::net::IpAddr) -> TestIssuer {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .local_address(local)
            .build()
            .unwrap();
        TestIssuer {
            addr: self.addr,
            http,
            issuer: self.issuer.clone(),
        }
    }

    /// The URL of `path` on this issuer.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs JSON; returns status, Retry-After and body as JSON (or the text as a JSON string).
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Option<u64>, Value) {
        let r = self
            .http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap();
        response_parts(r).await
    }

    /// POSTs raw bytes with a content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, Option<u64>, Value) {
        let r = self
            .http
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        response_parts(r).await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    /// Starts an enrolment for `subject` with `key`; returns the challenge id.
    pub async fn start_enrolment(&self, subject: &str, key: &impl HolderSigner) -> String {
        let holder_key = b64(&key.holder_public_key().to_bytes());
        let (status, _, body) = self
            .post(
                api::ENROLMENT_START_PATH,
                &json!({ "subject": subject, "holder_key": holder_key }),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        body["challenge_id"].as_str().unwrap().to_string()
    }

    /// The code the dev delivery recorded.
    pub async fn dev_code(&self, subject: &str) -> String {
        let r = self.get(&format!("/dev/otp/{subject}")).await;
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["code"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Completes an enrolment with `code`, signing the proof with `key`.
    pub async fn complete(
        &self,
        challenge_id: &str,
        code: &str,
        key: &impl HolderSigner,
    ) -> (u16, Option<u64>, Value) {
        let id: [u8; 16] = api::b64_fixed(challenge_id).unwrap();
        let proof = key.sign_holder_message(&api::enrolment_proof_message(
            &id,
            &key.holder_public_key().to_bytes(),
        ));
        self.complete_with_proof(challenge_id, code, &proof).await
    }

    /// Completes an enrolment with `code` and a given `proof`.
    pub async fn complete_with_proof(
        &self,
        challenge_id: &str,
        code: &str,
        proof: &[u8],
    ) -> (u16, Option<u64>, Value) {
        self.post(
            api::ENROLMENT_COMPLETE_PATH,
            &json!({ "challenge_id": challenge_id, "code": code, "proof": b64(proof) }),
        )
        .await
    }

    /// The trust list this issuer serves, checked against its anchor.
    pub async fn served_trust_list(&self) -> doorpass_format::TrustList {
        let anchor =
            doorpass_format::keys::read_public_key(&self.dir.path().join("anchor.pub.pem"))
                .unwrap();
        let served = self.get(api::TRUST_LIST_PATH).await.bytes().await.unwrap();
        doorpass_format::TrustList::verify(&served, &anchor).unwrap()
    }

    /// Enrols `subject` end to end; returns the holder key and the issued-pass answer.
    pub async fn enrol(&self, subject: &str) -> (SigningKey, Value) {
        let key = generate_signing_key();
        let id = self.start_enrolment(subject, &key).await;
        let code = self.dev_code(subject).await;
        let (status, _, body) = self.complete(&id, &code, &key).await;
        assert_eq!(status, 200, "{body}");
        (key, body)
    }

    /// Renews with `token`, signing with `key`.
    pub async fn renew(&self, token: &str, key: &impl HolderSigner) -> (u16, Option<u64>, Value) {
        let raw: [u8; 32] = api::b64_fixed(token).unwrap();
        let proof = key.sign_holder_message(&api::renewal_proof_message(&raw));
        self.post(
            api::RENEW_PATH,
            &json!({ "refresh_token": token, "proof": b64(&proof) }),
        )
        .await
    }

    /// Renews with `token`, which must succeed: the answer and the new refresh token.
    pub async fn renew_ok(&self, token: &str, key: &impl HolderSigner) -> (Value, String) {
        let (status, _, body) = self.renew(token, key).await;
        assert_eq!(status, 200, "{body}");
        let next = body["refresh_token"].as_str().unwrap().to_string();
        (body, next)
    }

    /// Restarts the service on the same folders with a new configuration (and a new port).
    pub async fn restart(&mut self, tweak: impl FnOnce(&mut IssuerConfig)) {
        let issuer = Arc::get_mut(&mut self.issuer).expect("no views of other nodes remain");
        issuer.restart(tweak).await;
        self.addr = issuer.addr();
    }

    /// Stops the server gracefully and waits until it has.
    pub async fn stop(mut self) {
        let issuer = Arc::get_mut(&mut self.issuer).expect("no views of other nodes remain");
        tokio::time::timeout(Duration::from_secs(10), issuer.stop())
            .await
            .unwrap();
    }
}

async fn response_parts(r: reqwest::Response) -> (u16, Option<u64>, Value) {
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, retry, body)
}

/// What a raw HTTP exchange gave: the response text (empty if the connection closed without one)
/// and how long until it was complete or the connection closed.
pub struct RawAnswer {
    pub text: String,
    pub took: Duration,
}

impl RawAnswer {
    /// The status code, if a status line arrived.
    pub fn status(&self) -> Option<u16> {
        self.text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
    }

    /// The JSON body, if any.
    pub fn json(&self) -> Option<Value> {
        let (_, body) = self.text.split_once("\r\n\r\n")?;
        serde_json::from_str(body).ok()
    }
}

/// Sends a POST to `path` announcing a body of `declared` bytes but sending only `sent`, then waits
/// (at most `limit`) for a complete answer or the connection to close.
pub async fn post_partial_body(
    addr: SocketAddr,
    path: &str,
    declared: usize,
    sent: &[u8],
    limit: Duration,
) -> RawAnswer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let started = std::time::Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(sent).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if response_complete(&buf) {
            break;
        }
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    RawAnswer {
        text: String::from_utf8_lossy(&buf).into_owned(),
        took: started.elapsed(),
    }
}

/// Whether `buf` holds a whole response with a `Content-Length` body.
fn response_complete(buf: &[u8]) -> bool {
    let text = String::from_utf8_lossy(buf);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .is_some_and(|len| body.len() >= len)
}

/// The answers of `nodes`, each renewing `token` at the same moment (one issuer listed twice, or
/// several nodes), and the distinct successor tokens they handed out. Every answer must be 200 or
/// `refresh_token_reused`: the loser of the race gets the winner's answer again (a retry) or is
/// reuse, never a token of its own.
pub async fn renew_at_once(
    nodes: &[&TestIssuer],
    token: &str,
    key: &SigningKey,
) -> (Vec<(u16, Option<u64>, Value)>, Vec<String>) {
    let answers = futures_join_all(nodes.iter().map(|n| n.renew(token, key))).await;
    for (status, _, body) in &answers {
        assert!(
            *status == 200 || body["error"] == "refresh_token_reused",
            "{status} {body}"
        );
    }
    let mut successors: Vec<String> = answers
        .iter()
        .filter(|a| a.0 == 200)
        .map(|a| a.2["refresh_token"].as_str().unwrap().to_string())
        .collect();
    successors.dedup();
    (answers, successors)
}

/// An answer's status and error code (`""` when it has none), to assert a refusal in one line.
pub fn error_of((status, _, body): (u16, Option<u64>, Value)) -> (u16, String) {
    let code = body["error"].as_str().unwrap_or_default().to_string();
    (status, code)
}

/// Runs futures concurrently on this task (avoids a dependency for one helper).
pub async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let futures: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut futures: Vec<Option<_>> = futures.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, slot) in futures.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        outputs[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|o| o.unwrap()).collect()
}
