//! The wallet and the door over HTTPS, as every phone reaches the issuer: a test CA added to the
//! platform's roots, and each way a certificate can be refused giving its own error, never a panic.

use base64::Engine;
use doorpass_format::VerifierPolicy;
use doorpass_issuer::test_certs::{TestCa, Validity};
use doorpass_tests::{TestIssuer, now, trusting};
use doorpass_wallet::door::{DoorError, DoorVerifier};
use doorpass_wallet::issuer_client::{DEFAULT_TIMEOUT, IssuerClient, IssuerError};
use doorpass_wallet::secret_store::MemorySecretStore;
use doorpass_wallet::tls::{TlsFailure, TlsTrust};
use doorpass_wallet::wallet::{RenewalOutcome, Wallet, WalletError, WalletOptions, WalletSetup};
use std::sync::Arc;

/// A pin as configs carry it: base64 of the SPKI's SHA-256.
fn pin(digest: &[u8; 32]) -> String {
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// A wallet in `home` for `issuer` reached at `url`, checking certificates as `tls` says.
fn wallet_at(issuer: &TestIssuer, url: String, home: &std::path::Path, tls: TlsTrust) -> Wallet {
    let setup = WalletSetup {
        issuer_url: url,
        anchor: issuer.anchor,
        replace_issuer: false,
    };
    let options = WalletOptions {
        tls,
        ..WalletOptions::default()
    };
    Wallet::open(
        home,
        Arc::new(MemorySecretStore::default()),
        Some(setup),
        options,
    )
    .unwrap()
}

#[tokio::test]
async fn a_wallet_enrols_renews_and_refreshes_status_lists_over_https_with_the_test_ca() {
    let ca = TestCa::new("doorpass test CA");
    let issuer = TestIssuer::start_tls(&ca, &ca.localhost_cert(), |_| {}).await;
    for (subject, url) in [
        ("demo-kim", issuer.url()),
        ("demo-lee", issuer.localhost_url()),
    ] {
        assert!(url.starts_with("https://"), "{url}");
        let home = tempfile::tempdir().unwrap();
        let wallet = wallet_at(&issuer, url, home.path(), trusting(&ca, Vec::new()));
        let enrolled = issuer.enrol(&wallet, subject).await;
        let renewed = wallet.renew_pass(&enrolled.id, now(), true).await.unwrap();
        assert!(
            matches!(renewed, RenewalOutcome::Renewed { .. }),
            "{renewed:?}"
        );
        // The pass names a status list at https://127.0.0.1:PORT/v1/status/N.
        assert_eq!(wallet.refresh_status_lists(now()).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn a_door_fetches_its_trust_list_and_status_lists_over_https_with_the_test_ca() {
    let ca = TestCa::new("doorpass test CA");
    let issuer = TestIssuer::start_tls(&ca, &ca.localhost_cert(), |_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = issuer.memory_wallet(home.path());
    let enrolled = issuer.enrol(&wallet, "demo-kim").await;
    let qr = wallet
        .current_qr(Some(&enrolled.id), now(), false)
        .unwrap()
        .qr_text;

    let door_dir = tempfile::tempdir().unwrap();
    let (door, _) =
        DoorVerifier::open(door_dir.path(), issuer.anchor, VerifierPolicy::default()).unwrap();
    let client = IssuerClient::over_https_trusting(
        &issuer.url(),
        DEFAULT_TIMEOUT,
        &trusting(&ca, Vec::new()),
    )
    .unwrap();
    door.refresh_trust_list(&client, now()).await.unwrap();
    assert!(door.verify(&qr, now()).unwrap().is_valid());
    assert_eq!(
        door.refresh_status_lists(&client, now())
            .await
            .unwrap()
            .len(),
        1
    );

    // Without the test CA, the platform's roots alone refuse the test issuer.
    let platform_only = IssuerClient::over_https(&issuer.url(), DEFAULT_TIMEOUT).unwrap();
    let refused = door.refresh_trust_list(&platform_only, now()).await;
    assert!(
        matches!(
            refused,
            Err(DoorError::Issuer(IssuerError::Untrusted {
                failure: TlsFailure::UntrustedCertificate,
                ..
            }))
        ),
        "{refused:?}"
    );
}

/// Starts an issuer with `cert` and tries to begin an enrolment from a wallet trusting `ca` (with
/// `pins`); returns the failure.
async fn refusal(
    ca: &TestCa,
    cert: &doorpass_issuer::test_certs::ServerCert,
    pins: Vec<String>,
) -> WalletError {
    let issuer = TestIssuer::start_tls(ca, cert, |_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let wallet = wallet_at(&issuer, issuer.url(), home.path(), trusting(ca, pins));
    wallet
        .begin_authentication("demo-kim", now())
        .await
        .expect_err("the certificate should be refused")
}

fn failure_of(error: &WalletError) -> Option<TlsFailure> {
    match error {
        WalletError::IssuerNotTrusted { failure, .. } => Some(*failure),
        _ => None,
    }
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_untrusted() {
    let (ca, other_ca) = (TestCa::new("doorpass test CA"), TestCa::new("someone else"));
    let error = refusal(&ca, &other_ca.localhost_cert(), Vec::new()).await;
    assert_eq!(
        failure_of(&error),
        Some(TlsFailure::UntrustedCertificate),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_as_such() {
    let ca = TestCa::new("doorpass test CA");
    let cert = ca.server_cert(&["issuer.example"], Validity::Current);
    let error = refusal(&ca, &cert, Vec::new()).await;
    assert_eq!(
        failure_of(&error),
        Some(TlsFailure::WrongHostName),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_expired_or_not_yet_valid_certificate_points_at_the_clock() {
    let ca = TestCa::new("doorpass test CA");
    let names = ["localhost", "127.0.0.1"];
    for (validity, expected) in [
        (Validity::Expired, TlsFailure::CertificateExpired),
        (Validity::NotYetValid, TlsFailure::CertificateNotYetValid),
    ] {
        let error = refusal(&ca, &ca.server_cert(&names, validity), Vec::new()).await;
        assert_eq!(failure_of(&error), Some(expected), "{error:?}");
        assert!(expected.clock_may_be_wrong());
    }
}

#[tokio::test]
async fn a_chain_valid_certificate_with_an_unpinned_key_is_refused_and_a_pinned_one_works() {
    let ca = TestCa::new("doorpass test CA");
    let served = ca.localhost_cert();
    let (in_use, backup) = (ca.localhost_cert(), ca.localhost_cert());
    let pins = vec![pin(&in_use.spki_sha256), pin(&backup.spki_sha256)];
    let error = refusal(&ca, &served, pins).await;
    assert_eq!(
        failure_of(&error),
        Some(TlsFailure::PinMismatch),
        "{error:?}"
    );

    // The backup key pinned: a certificate carrying it is accepted.
    let issuer = TestIssuer::start_tls(&ca, &backup, |_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let pins = vec![pin(&in_use.spki_sha256), pin(&backup.spki_sha256)];
    let wallet = wallet_at(&issuer, issuer.url(), home.path(), trusting(&ca, pins));
    issuer.enrol(&wallet, "demo-kim").await;
}

#[tokio::test]
async fn one_pin_alone_or_a_root_that_is_not_pem_is_refused_when_the_wallet_opens() {
    let ca = TestCa::new("doorpass test CA");
    let issuer = TestIssuer::start_tls(&ca, &ca.localhost_cert(), |_| {}).await;
    for tls in [
        trusting(&ca, vec![pin(&[1; 32])]),
        TlsTrust {
            extra_roots_pem: vec!["-----BEGIN CERTIFICATE-----\nAAAA\n".into()],
            spki_pins: Vec::new(),
        },
    ] {
        let home = tempfile::tempdir().unwrap();
        let setup = WalletSetup {
            issuer_url: issuer.url(),
            anchor: issuer.anchor,
            replace_issuer: false,
        };
        let options = WalletOptions {
            tls,
            ..WalletOptions::default()
        };
        let opened = Wallet::open(
            home.path(),
            Arc::new(MemorySecretStore::default()),
            Some(setup),
            options,
        );
        assert!(
            matches!(opened, Err(WalletError::InvalidInput { .. })),
            "{:?}",
            opened.err()
        );
    }
}
