//! Revocation over real HTTP on 127.0.0.1: passes carry status entries, the issuer serves signed
//! status lists, a revocation reaches the served list within seconds and survives a restart, and a
//! door with a fresh list refuses the pass while one with an older list still accepts it.

mod common;

use std::time::{Duration, Instant};

use common::TestIssuer;
use doorpass_format::api;
use doorpass_format::keys::SigningKey;
use doorpass_format::{
    Pass, Presentation, RevocationCheck, StatusListBinding, StatusListToken, StatusReference,
    TrustList, Verdict, Verifier, VerifierPolicy,
};
use doorpass_issuer::status_lists::ENTRIES_PER_LIST;
use doorpass_issuer::store::RevokeSelector;
use doorpass_issuer::unix_now;
use serde_json::Value;

fn pass_of(answer: &Value) -> Pass {
    Pass::parse(&api::b64_vec(answer["pass"].as_str().unwrap(), 4096).unwrap()).unwrap()
}

fn status_of(answer: &Value) -> StatusReference {
    pass_of(answer)
        .claims()
        .status
        .clone()
        .expect("a status entry")
}

async fn trust_list(issuer: &TestIssuer) -> TrustList {
    issuer.served_trust_list().await
}

/// The served list at `uri`: its bytes, checked against the trust list.
async fn fetch_list(issuer: &TestIssuer, uri: &str) -> (Vec<u8>, StatusListToken) {
    let response = issuer.http.get(uri).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/statuslist+cwt"
    );
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    let bytes = response.bytes().await.unwrap().to_vec();
    let fetched_from = StatusListBinding {
        uri: Some(uri),
        issuer_id: None,
    };
    let token = StatusListToken::parse(&bytes)
        .unwrap()
        .verify(
            trust_list(issuer).await.content(),
            fetched_from,
            Some(unix_now()),
        )
        .unwrap()
        .token;
    assert_eq!(token.uri, uri);
    assert_eq!(token.list.len() as u64, ENTRIES_PER_LIST);
    (bytes, token)
}

/// Fetches the list at `uri` until entry `index` is revoked (at most 40 fetches, 100 ms apart).
async fn wait_until_revoked(issuer: &TestIssuer, uri: &str, index: u64) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    for _ in 0..40 {
        let (bytes, token) = fetch_list(issuer, uri).await;
        if token.list.is_revoked(index) == Some(true) {
            return (bytes, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("entry {index} of {uri} not revoked after 4 s");
}

fn door(trust: &TrustList, list: &[u8]) -> Verifier {
    let mut door = Verifier::new(trust.clone(), VerifierPolicy::default());
    door.update_status_list(list, StatusListBinding::given(), unix_now())
        .unwrap();
    door
}

fn shown(answer: &Value, key: &SigningKey, now: u64) -> Presentation {
    Presentation::rotating(pass_of(answer).bytes(), key, now)
}

#[tokio::test]
async fn a_revoked_pass_is_served_revoked_within_seconds_and_a_fresh_door_refuses_it() {
    let issuer = common::start(|_| {}).await;
    let (key, answer) = issuer.enrol("demo-kim").await;
    let status = status_of(&answer);
    assert!(
        status.uri.starts_with(&issuer.url("/v1/status/")),
        "{}",
        status.uri
    );
    let trust = trust_list(&issuer).await;
    let (before, token) = fetch_list(&issuer, &status.uri).await;
    assert_eq!(token.list.revoked_count(), 0);

    let pass_id: [u8; 16] = pass_of(&answer).claims().pass_id;
    assert_eq!(issuer.revoke(RevokeSelector::Pass(pass_id)).await, 1);
    let (after, took) = wait_until_revoked(&issuer, &status.uri, status.index).await;
    assert!(took < Duration::from_secs(3), "served after {took:?}");

    let now = unix_now();
    let code = shown(&answer, &key, now);
    assert_eq!(door(&trust, &after).verify(&code, now).code(), "revoked");
    // A door still holding the list from before the revocation accepts, saying how old it is.
    match door(&trust, &before).verify(&code, now) {
        Verdict::Valid(p) => assert!(matches!(
            p.revocation,
            RevocationCheck::NotRevoked { list_age_seconds } if list_age_seconds < 60
        )),
        other => panic!("{other:?}"),
    }
    // And the list before cannot replace the newer one.
    let mut fresh = door(&trust, &after);
    assert!(
        fresh
            .update_status_list(&before, StatusListBinding::given(), now)
            .is_err()
    );
    // The same list again is answered 304 through its ETag.
    let etag = issuer.http.get(&status.uri).send().await.unwrap().headers()["etag"].clone();
    let again = issuer
        .http
        .get(&status.uri)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // A revoked pass is never renewed.
    let token = answer["refresh_token"].as_str().unwrap();
    let (code, _, body) = issuer.renew(token, &key).await;
    assert_eq!(code, 401, "{body}");
    assert_eq!(issuer.get("/v1/status/999").await.status(), 404);
    assert_eq!(issuer.get("/v1/status/x").await.status(), 404);
    issuer.stop().await;
}

#[tokio::test]
async fn renewal_takes_a_fresh_entry_and_re_enrolment_revokes_the_older_passes() {
    let issuer = common::start(|_| {}).await;
    let (key, first) = issuer.enrol("demo-lee").await;
    let (renewed, _) = issuer
        .renew_ok(first["refresh_token"].as_str().unwrap(), &key)
        .await;
    let (a, b) = (status_of(&first), status_of(&renewed));
    assert_eq!(a.uri, b.uri);
    assert_ne!(a.index, b.index, "a fresh entry for the successor");
    let (_, token) = fetch_list(&issuer, &a.uri).await;
    assert_eq!(token.list.revoked_count(), 0, "renewal revokes nothing");

    let (new_key, again) = issuer.enrol("demo-lee").await;
    let c = status_of(&again);
    let (list, _) = wait_until_revoked(&issuer, &a.uri, b.index).await;
    let token = StatusListToken::parse(&list)
        .unwrap()
        .verify(
            trust_list(&issuer).await.content(),
            StatusListBinding::given(),
            Some(unix_now()),
        )
        .unwrap()
        .token;
    assert_eq!(token.list.is_revoked(a.index), Some(true));
    assert_eq!(token.list.is_revoked(c.index), Some(false));
    let now = unix_now();
    let trust = trust_list(&issuer).await;
    assert!(
        door(&trust, &list)
            .verify(&shown(&again, &new_key, now), now)
            .is_valid()
    );
    issuer.stop().await;
}

#[tokio::test]
async fn revocations_and_entries_survive_a_restart() {
    let mut issuer = common::start(|_| {}).await;
    let (_, first) = issuer.enrol("demo-park").await;
    let status = status_of(&first);
    issuer
        .revoke(RevokeSelector::Subject("demo-park".into()))
        .await;
    wait_until_revoked(&issuer, &status.uri, status.index).await;
    issuer.restart(|_| {}).await;
    // The list number is the same; its URI names the new port.
    let uri = issuer.url(&format!(
        "/v1/status/{}",
        status.uri.rsplit('/').next().unwrap()
    ));
    let (_, token) = fetch_list(&issuer, &uri).await;
    assert_eq!(token.list.is_revoked(status.index), Some(true));
    // Entries handed out after the restart never reuse one handed out before.
    let (_, later) = issuer.enrol("demo-choi").await;
    assert_ne!(status_of(&later).index, status.index);
    assert_eq!(token.list.revoked_count(), 1);
    issuer.stop().await;
}

/// The served list read by an independent implementation: pycose (COSE_Sign1, Ed25519) and zlib, in
/// Python (scripts/status_list_check.py; scripts/pycose-venv.sh makes its environment).
#[tokio::test]
async fn pycose_reads_a_served_list_with_exactly_the_revoked_entries() {
    let issuer = common::start(|_| {}).await;
    let mut answers = Vec::new();
    for subject in ["demo-kim", "demo-lee", "demo-park", "demo-choi"] {
        answers.push(issuer.enrol(subject).await.1);
    }
    let statuses: Vec<StatusReference> = answers.iter().map(status_of).collect();
    let uri = statuses[0].uri.clone();
    for subject in ["demo-kim", "demo-park"] {
        issuer.revoke(RevokeSelector::Subject(subject.into())).await;
    }
    let (list, _) = wait_until_revoked(&issuer, &uri, statuses[2].index).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.cose");
    std::fs::write(&path, &list).unwrap();
    let issuer_key = trust_list(&issuer).await.content().issuers[0]
        .public_key
        .to_bytes();
    let hex: String = issuer_key.iter().map(|b| format!("{b:02x}")).collect();
    let joined = |s: &[&StatusReference]| {
        s.iter()
            .map(|r| r.index.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let venv = std::process::Command::new("bash")
        .arg(root.join("scripts/pycose-venv.sh"))
        .output()
        .unwrap();
    assert!(
        venv.status.success(),
        "{}",
        String::from_utf8_lossy(&venv.stderr)
    );
    let python = String::from_utf8(venv.stdout).unwrap();
    let out = std::process::Command::new(python.trim())
        .arg(root.join("scripts/status_list_check.py"))
        .arg(&path)
        .arg(hex)
        .arg(&uri)
        .arg(joined(&[&statuses[0], &statuses[2]]))
        .arg(joined(&[&statuses[1], &statuses[3]]))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.starts_with("pycose: 1048576 entries"), "{said}");
    issuer.stop().await;
}
