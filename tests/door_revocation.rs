//! A door device and revocation, over real HTTP on 127.0.0.1: the door learns a list's URI from the
//! passes it checks, fetches it, keeps it on disk, refreshes it once its ttl has passed, and keeps
//! working on the list it has when the issuer cannot be reached; a wallet learns that its pass was
//! revoked, stops showing its code, and gets a working pass by authenticating again. Lists served
//! under a pass's URI that are not its issuer's own (another issuer's key, another URI, dated
//! ahead, expired) are refused by both, and the list held stays.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use doorpass_format::keys::{generate_signing_key, read_private_key};
use doorpass_format::{
    RevocationCheck, SigningKey, StatusListError, StatusListToken, StatusListUpdateError,
    TrustList, TrustedIssuer, Verdict, VerifierPolicy,
};
use doorpass_issuer::keys::{AnchorDir, IssuerDir};
use doorpass_issuer::store::RevokeSelector;
use doorpass_tests::{TestIssuer, now};
use doorpass_wallet::door::{DoorError, DoorVerifier};
use doorpass_wallet::issuer_client::{DEFAULT_TIMEOUT, IssuerClient};
use doorpass_wallet::wallet::{PassState, WalletError};

fn revocation(verdict: Verdict) -> RevocationCheck {
    match verdict {
        Verdict::Valid(pass) => pass.revocation,
        Verdict::Refused(r) => panic!("refused: {r}"),
    }
}

#[tokio::test]
async fn a_door_fetches_the_list_a_pass_names_refreshes_it_and_refuses_the_pass_once_revoked() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    issuer.enrol(&wallet, "demo-kim").await;
    let qr = wallet.current_qr(None, now(), false).unwrap().qr_text;

    let door_dir = tempfile::tempdir().unwrap();
    let anchor = issuer.anchor;
    let open = || DoorVerifier::open(door_dir.path(), anchor, VerifierPolicy::default());
    let (door, _) = open().unwrap();
    let trust = std::fs::read(issuer.dir.path().join("trust-list.cose")).unwrap();
    door.update_trust_list(&trust, now()).unwrap();
    let client = IssuerClient::over_https(&issuer.url(), DEFAULT_TIMEOUT).unwrap();
    // Before any list: valid, not checked; the door now wants the list this pass names.
    assert_eq!(
        revocation(door.verify(&qr, now()).unwrap()),
        RevocationCheck::NotChecked {
            list_age_seconds: None
        }
    );
    let held = door.refresh_status_lists(&client, now()).await.unwrap();
    assert_eq!(held.len(), 1);
    assert!(matches!(
        revocation(door.verify(&qr, now()).unwrap()),
        RevocationCheck::NotRevoked { .. }
    ));

    issuer
        .revoke(RevokeSelector::Subject("demo-kim".into()))
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Within its ttl (300 s) the held list is not fetched again...
    door.refresh_status_lists(&client, now()).await.unwrap();
    assert!(door.verify(&qr, now()).unwrap().is_valid());
    // ...once it has passed, it is, and the pass is refused.
    door.refresh_status_lists(&client, now() + 301)
        .await
        .unwrap();
    assert_eq!(door.verify(&qr, now()).unwrap().code(), "revoked");

    // Kept on disk: a door reopened with no issuer reachable still refuses it.
    let url = issuer.url();
    let mut issuer = issuer;
    issuer.stop().await;
    drop(door);
    let (door, _) = open().unwrap();
    assert_eq!(door.verify(&qr, now()).unwrap().code(), "revoked");
    let offline = IssuerClient::over_https(&url, Duration::from_secs(2)).unwrap();
    assert!(
        door.refresh_status_lists(&offline, now() + 301)
            .await
            .is_err()
    );
    assert_eq!(door.status_lists().len(), 1);
    assert_eq!(door.verify(&qr, now()).unwrap().code(), "revoked");
}

#[tokio::test]
async fn a_wallet_learns_its_pass_was_revoked_stops_its_code_and_a_new_enrolment_restores_it() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let secrets: std::sync::Arc<dyn doorpass_wallet::secret_store::SecretStore> =
        std::sync::Arc::new(doorpass_wallet::secret_store::MemorySecretStore::default());
    let open = || {
        issuer.wallet(
            home.path(),
            secrets.clone(),
            doorpass_wallet::wallet::WalletOptions::default(),
        )
    };
    let wallet = open();
    issuer.enrol(&wallet, "demo-lee").await;
    assert_eq!(wallet.refresh_status_lists(now()).await.unwrap(), 1);
    assert_eq!(
        wallet.refresh_status_lists(now()).await.unwrap(),
        0,
        "within its ttl"
    );
    assert_eq!(wallet.passes(now())[0].state, PassState::Active);
    assert!(wallet.current_qr(None, now(), false).is_ok());

    issuer
        .revoke(RevokeSelector::Subject("demo-lee".into()))
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(wallet.refresh_status_lists(now() + 301).await.unwrap(), 1);
    assert_eq!(wallet.passes(now())[0].state, PassState::Revoked);
    assert_eq!(
        wallet.current_qr(None, now(), false).unwrap_err(),
        WalletError::PassRevoked
    );
    // Kept on disk: reopened, the wallet still knows, with no network.
    drop(wallet);
    let wallet = open();
    assert_eq!(wallet.passes(now())[0].state, PassState::Revoked);
    assert!(
        wallet.current_qr(None, now(), true).is_err(),
        "no static code either"
    );
    // Authenticating again brings a new pass, with a new entry, which shows a code.
    issuer.enrol(&wallet, "demo-lee").await;
    assert_eq!(wallet.passes(now())[0].state, PassState::Active);
    assert!(wallet.current_qr(None, now(), false).is_ok());
    // Wiping removes the lists with everything else.
    assert!(home.path().join("status-lists").is_dir());
    wallet.wipe().await.unwrap();
    assert!(!home.path().join("status-lists").exists());
}

/// A host on 127.0.0.1 answering every request with the bytes last put there: where the passes'
/// status URIs point in the tests below, serving the issuer's own list or an attacker's.
struct ListHost {
    url: String,
    bytes: Arc<Mutex<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

impl ListHost {
    async fn start() -> ListHost {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let served = bytes.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let body = served.lock().unwrap().clone();
                tokio::spawn(async move {
                    let (mut request, mut buf) = (Vec::new(), [0u8; 1024]);
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(n) if n > 0 && request.len() < 16_384 => {
                                request.extend_from_slice(&buf[..n])
                            }
                            _ => return,
                        }
                    }
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/statuslist+cwt\r\n\
                         content-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(&body).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        ListHost { url, bytes, task }
    }

    fn serve(&self, bytes: Vec<u8>) {
        *self.bytes.lock().unwrap() = bytes;
    }
}

impl Drop for ListHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A dev issuer whose passes name lists on a [`ListHost`], and the keys its trust list holds.
struct Listed {
    issuer: TestIssuer,
    /// The issuer's signing key (KR-KDCA).
    key: SigningKey,
    /// Another issuer's key (XX-OTHER), listed by the same anchor.
    other: SigningKey,
    /// A key of KR-KDCA retired a day ago, still listed for the passes it signed.
    retired: SigningKey,
}

/// A dev issuer whose passes name lists on `host` (`HOST/s/1`…), its trust list (version 2, signed
/// by its anchor) also holding another issuer's key and a retired key of its own.
async fn issuer_naming(host: &ListHost) -> Listed {
    let base = format!("{}/s/", host.url);
    let mut issuer = TestIssuer::start(|c| c.status_base_url = Some(base.clone())).await;
    let files = IssuerDir::at(issuer.dir.path());
    let key = read_private_key(&files.issuer_key).unwrap();
    let anchor = read_private_key(&AnchorDir::at(issuer.anchor_dir.path()).key).unwrap();
    let (other, retired) = (generate_signing_key(), generate_signing_key());
    let mut trust = TrustList::verify(&std::fs::read(&files.trust_list).unwrap(), &issuer.anchor)
        .unwrap()
        .content()
        .clone();
    trust.version += 1;
    trust.issuers.extend([
        TrustedIssuer::new(other.verifying_key(), "XX-OTHER", 0, u64::MAX),
        TrustedIssuer::new(retired.verifying_key(), "KR-KDCA", 0, now() - 86_400),
    ]);
    std::fs::write(&files.trust_list, trust.sign(&anchor)).unwrap();
    issuer.restart(|c| c.status_base_url = Some(base)).await;
    Listed {
        issuer,
        key,
        other,
        retired,
    }
}

/// The issuer's own signed list for `uri` (list `n` of its lists), as it serves it.
async fn genuine_list(issuer: &TestIssuer, uri: &str) -> Vec<u8> {
    let n = uri.rsplit('/').next().unwrap();
    let client = IssuerClient::over_https(&issuer.url(), DEFAULT_TIMEOUT).unwrap();
    let bytes = client
        .status_list(&format!("{}/v1/status/{n}", issuer.url()))
        .await
        .unwrap()
        .value;
    assert_eq!(
        StatusListToken::parse(&bytes).unwrap().unverified().uri,
        uri
    );
    bytes
}

/// A list under `uri`, made at `iat`, expiring at `exp`, revoking nothing, signed by `key`.
fn forged(uri: &str, iat: u64, exp: u64, key: &SigningKey) -> Vec<u8> {
    StatusListToken {
        uri: uri.into(),
        issued_at: iat,
        expires_at: Some(exp),
        ttl: Some(300),
        list: doorpass_format::StatusList::new(100_000),
    }
    .sign(key)
}

#[tokio::test]
async fn a_wallet_refuses_lists_under_its_passs_uri_that_are_not_its_issuers_current_ones() {
    let host = ListHost::start().await;
    let Listed {
        issuer,
        key,
        other,
        retired,
    } = issuer_naming(&host).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    issuer.enrol(&wallet, "demo-kim").await;
    let uri = format!("{}/s/1", host.url);
    host.serve(genuine_list(&issuer, &uri).await);
    assert_eq!(wallet.refresh_status_lists(now()).await.unwrap(), 1);

    let later = now() + 301; // the held list's ttl has passed: it is fetched again
    let refused = |e: WalletError| match e {
        WalletError::StatusListRefused(StatusListUpdateError::Invalid(e)) => e,
        other => panic!("expected a refused list, got {other:?}"),
    };
    host.serve(forged(
        &format!("{}/s/2", host.url),
        later,
        later + 86_400,
        &key,
    ));
    let e = refused(wallet.refresh_status_lists(later).await.unwrap_err());
    assert!(matches!(e, StatusListError::WrongUri { .. }), "{e:?}");
    host.serve(forged(&uri, later + 86_400, later + 2 * 86_400, &key));
    let e = refused(wallet.refresh_status_lists(later).await.unwrap_err());
    assert!(matches!(e, StatusListError::IssuedInFuture { .. }), "{e:?}");
    // (made within the key's window, which opened a day before the issuer was set up)
    host.serve(forged(&uri, later - 3_600, later - 1, &key));
    let e = refused(wallet.refresh_status_lists(later).await.unwrap_err());
    assert!(matches!(e, StatusListError::Expired { .. }), "{e:?}");
    host.serve(forged(&uri, later, later + 86_400, &other));
    let e = refused(wallet.refresh_status_lists(later).await.unwrap_err());
    assert!(matches!(e, StatusListError::WrongIssuer { .. }), "{e:?}");
    host.serve(forged(&uri, later, later + 86_400, &retired));
    let e = refused(wallet.refresh_status_lists(later).await.unwrap_err());
    assert!(
        matches!(e, StatusListError::KeyNotValidAtIssuance { .. }),
        "{e:?}"
    );
    // None was kept: the genuine list is still the one held (not revoking the pass).
    assert_eq!(wallet.passes(now())[0].state, PassState::Active);
}

#[tokio::test]
async fn a_door_refuses_another_issuers_list_served_under_a_passs_uri_and_keeps_the_real_one() {
    let host = ListHost::start().await;
    let Listed { issuer, other, .. } = issuer_naming(&host).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    issuer.enrol(&wallet, "demo-lee").await;
    let qr = wallet.current_qr(None, now(), false).unwrap().qr_text;
    // The door's trust list also holds another issuer's key (signed by the same anchor).
    let trust = std::fs::read(IssuerDir::at(issuer.dir.path()).trust_list).unwrap();
    let door_dir = tempfile::tempdir().unwrap();
    let (door, _) =
        DoorVerifier::open(door_dir.path(), issuer.anchor, VerifierPolicy::default()).unwrap();
    door.update_trust_list(&trust, now()).unwrap();
    let client = IssuerClient::over_https(&issuer.url(), DEFAULT_TIMEOUT).unwrap();
    assert!(door.verify(&qr, now()).unwrap().is_valid());
    let uri = format!("{}/s/1", host.url);
    // The issuer's own list is taken; then the pass is revoked and its next list says so.
    host.serve(genuine_list(&issuer, &uri).await);
    door.refresh_status_lists(&client, now()).await.unwrap();
    issuer
        .revoke(RevokeSelector::Subject("demo-lee".into()))
        .await;
    let mut revoked = genuine_list(&issuer, &uri).await;
    for _ in 0..40 {
        let token = StatusListToken::parse(&revoked).unwrap();
        if token.unverified().list.revoked_count() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        revoked = genuine_list(&issuer, &uri).await;
    }
    host.serve(revoked);
    door.refresh_status_lists(&client, now() + 301)
        .await
        .unwrap();
    assert_eq!(door.verify(&qr, now()).unwrap().code(), "revoked");
    // XX-OTHER's key serves a list under the pass's URI, dated as late as allowed, revoking
    // nothing: refused, and the revocation stands.
    let later = now() + 602;
    host.serve(forged(&uri, later + 600, later + 86_400, &other));
    match door.refresh_status_lists(&client, later).await {
        Err(DoorError::StatusList(StatusListUpdateError::Invalid(
            StatusListError::WrongIssuer { expected },
        ))) => assert_eq!(expected, "KR-KDCA"),
        other => panic!("expected the list refused, got {other:?}"),
    }
    assert_eq!(door.verify(&qr, now()).unwrap().code(), "revoked");
    assert_eq!(door.status_lists().len(), 1);
}
