//! Re-authentication through a network that loses an answer (issue 20, item 4): the issuer revokes
//! the old pass when it completes the enrolment, so the wallet must end with the new pass whatever
//! answer is lost. A transport in front of the real one lets the request reach the real issuer on
//! 127.0.0.1 and then cuts the answer, or refuses requests while the "network" is down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use doorpass_format::api::{ENROLMENT_COMPLETE_PATH, TRUST_LIST_PATH};
use doorpass_tests::{TestIssuer, now};
use doorpass_wallet::reqwest_transport::ReqwestTransport;
use doorpass_wallet::secret_store::{FileSecretStore, MemorySecretStore, SecretStore};
use doorpass_wallet::transport::{HttpRequest, HttpTransport, TransportError, TransportFuture};
use doorpass_wallet::wallet::{PassState, RenewalOutcome, Wallet, WalletError, WalletOptions};

/// The real transport, with faults: the next answer to a completion is lost after the issuer has
/// acted on it, and trust-list requests fail while `trust_list_down`.
struct LossyNetwork {
    inner: ReqwestTransport,
    lose_next_completion: AtomicBool,
    trust_list_down: AtomicBool,
    completions_sent: AtomicUsize,
}

impl LossyNetwork {
    fn new() -> Arc<Self> {
        Arc::new(LossyNetwork {
            inner: ReqwestTransport::new(Duration::from_secs(10)).unwrap(),
            lose_next_completion: AtomicBool::new(false),
            trust_list_down: AtomicBool::new(false),
            completions_sent: AtomicUsize::new(0),
        })
    }
}

impl HttpTransport for LossyNetwork {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        Box::pin(async move {
            if request.url.ends_with(TRUST_LIST_PATH) && self.trust_list_down.load(Ordering::SeqCst)
            {
                return Err(TransportError::CouldNotConnect("network down".into()));
            }
            let completion = request.url.ends_with(ENROLMENT_COMPLETE_PATH);
            if completion {
                self.completions_sent.fetch_add(1, Ordering::SeqCst);
            }
            let answer = self.inner.send(request).await?;
            if completion && self.lose_next_completion.swap(false, Ordering::SeqCst) {
                return Err(TransportError::Failed("connection reset mid-answer".into()));
            }
            Ok(answer)
        })
    }
}

fn wallet_over(issuer: &TestIssuer, home: &std::path::Path, network: &Arc<LossyNetwork>) -> Wallet {
    let options = WalletOptions {
        transport: Some(network.clone()),
        ..WalletOptions::default()
    };
    issuer.wallet(home, Arc::new(MemorySecretStore::default()), options)
}

#[tokio::test]
async fn a_lost_completion_answer_is_asked_for_again_and_the_new_pass_arrives() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let network = LossyNetwork::new();
    let wallet = wallet_over(&issuer, home.path(), &network);
    let old = issuer.enrol(&wallet, "demo-kim").await;
    let old_id = old.details.unwrap().pass_id;

    wallet.begin_reauthentication(&old.id, now()).await.unwrap();
    let code = issuer.dev_code("demo-kim").await;
    network.lose_next_completion.store(true, Ordering::SeqCst);
    let lost = wallet.complete_authentication(&code, now()).await;
    assert!(
        matches!(lost, Err(WalletError::IssuerUnreachable { .. })),
        "{lost:?}"
    );
    let passes = issuer.inspect(|tx| tx.pass_count()).await;

    // The holder taps "try again" with the same code: the issuer gives the same answer.
    let new = wallet.complete_authentication(&code, now()).await.unwrap();
    let new_id = new.details.clone().unwrap().pass_id;
    assert_ne!(new_id, old_id);
    assert_eq!(new.state, PassState::Active);
    assert_eq!(issuer.inspect(|tx| tx.pass_count()).await, passes);
    assert_eq!(network.completions_sent.load(Ordering::SeqCst), 3);
    assert!(wallet.current_qr(Some(&new.id), now(), false).is_ok());
    // And its refresh token is the one the issuer gave out: renewal works.
    let renewed = wallet.renew_pass(&new.id, now(), true).await.unwrap();
    assert!(
        matches!(renewed, RenewalOutcome::Renewed { .. }),
        "{renewed:?}"
    );
}

#[tokio::test]
async fn an_answer_whose_pass_cannot_be_checked_yet_is_kept_and_resumed_without_the_issuer() {
    let issuer = TestIssuer::start(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let network = LossyNetwork::new();
    let secrets: Arc<dyn SecretStore> =
        Arc::new(FileSecretStore::new(home.path().join("secrets.json")));
    let options = WalletOptions {
        transport: Some(network.clone()),
        ..WalletOptions::default()
    };
    let wallet = issuer.wallet(home.path(), secrets.clone(), options.clone());
    wallet
        .begin_authentication("demo-kim", now())
        .await
        .unwrap();
    let code = issuer.dev_code("demo-kim").await;
    // A first enrolment: the wallet has no trust list yet, so checking the pass needs one, and the
    // network drops right after the issuer answered.
    network.trust_list_down.store(true, Ordering::SeqCst);
    let failed = wallet.complete_authentication(&code, now()).await;
    assert!(
        matches!(failed, Err(WalletError::IssuerUnreachable { .. })),
        "{failed:?}"
    );
    assert!(wallet.passes(now()).is_empty());
    drop(wallet);

    // Later (the app was even closed), with the network back: the wallet resumes from the answer it
    // kept, without asking the issuer again and without the code.
    network.trust_list_down.store(false, Ordering::SeqCst);
    let wallet = issuer.wallet(home.path(), secrets, options);
    let pass = wallet.complete_authentication("", now()).await.unwrap();
    assert_eq!(network.completions_sent.load(Ordering::SeqCst), 1);
    assert_eq!(pass.state, PassState::Active);
    let recorded = pass.details.unwrap().pass_id;
    let recorded: [u8; 16] =
        std::array::from_fn(|i| u8::from_str_radix(&recorded[2 * i..2 * i + 2], 16).unwrap());
    assert!(issuer.inspect(move |tx| tx.pass_exists(&recorded)).await);
    let renewed = wallet.renew_pass(&pass.id, now(), true).await.unwrap();
    assert!(
        matches!(renewed, RenewalOutcome::Renewed { .. }),
        "the kept refresh token works: {renewed:?}"
    );
}
