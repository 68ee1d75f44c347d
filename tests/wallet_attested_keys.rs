//! Attested holder keys end to end (issue 22 part 3), through the real core and a real dev issuer
//! on 127.0.0.1: a platform signer with real P-256 keys attests each key made with the issuer's
//! challenge (a valid Android Keystore chain at StrongBox or TEE level, or a valid App Attest
//! object for the app id), made with the attestation crate's test builders under a test root the
//! issuer trusts. The pass binds the new key with its assurance, the rotating code passes a door
//! that requires a hardware-bound key (the wallet's own door) and reports the assurance, renewal
//! keeps key and assurance, and the start key is deleted. In `require` mode a phone that cannot
//! attest, or whose attestation answers another challenge, is refused and the pass in hand stays.

mod der_platform;

use std::path::Path;
use std::sync::Arc;

use der_platform::{Attests, DerPlatform};
use doorpass_attestation::testing::{
    SECURITY_LEVEL_STRONG_BOX, SECURITY_LEVEL_TRUSTED_ENVIRONMENT, TestRoot,
};
use doorpass_format::{KeyAssurance, Pass, Refusal, Verdict, VerifierPolicy};
use doorpass_issuer::attestation::AttestationMode;
use doorpass_tests::{TestIssuer, now, qr_pass_bytes};
use doorpass_wallet::door::DoorVerifier;
use doorpass_wallet::holder_signer::NewHolderKeys;
use doorpass_wallet::secret_store::{FileSecretStore, SecretStore};
use doorpass_wallet::wallet::{RenewalOutcome, Wallet, WalletError, WalletOptions, WalletSetup};

/// A wallet in `home` with `signer`'s platform keys, pointed at `issuer` (which may have moved to
/// another port since the wallet was made).
fn platform_wallet(issuer: &TestIssuer, home: &Path, signer: &Arc<DerPlatform>) -> Wallet {
    let secrets: Arc<dyn SecretStore> = Arc::new(FileSecretStore::new(home.join("secrets.json")));
    let setup = WalletSetup {
        issuer_url: issuer.url(),
        anchor: issuer.anchor,
        replace_issuer: true,
    };
    let options = WalletOptions {
        holder_keys: NewHolderKeys::Platform(signer.clone()),
        ..WalletOptions::default()
    };
    Wallet::open(home, secrets, Some(setup), options).unwrap()
}

/// A door (the wallet crate's, as the door app runs it) with `issuer`'s trust list and `policy`.
fn door(issuer: &TestIssuer, dir: &Path, policy: VerifierPolicy) -> DoorVerifier {
    let (door, _) = DoorVerifier::open(dir, issuer.anchor, policy).unwrap();
    let list = std::fs::read(issuer.dir.path().join("trust-list.cose")).unwrap();
    door.update_trust_list(&list, now()).unwrap();
    door
}

/// A door policy that refuses keys no attestation showed to be in secure hardware.
fn hardware_only() -> VerifierPolicy {
    VerifierPolicy {
        require_hardware_key: true,
        ..VerifierPolicy::default()
    }
}

/// Pass `id`'s current code as the wallet shows it, checked by `door`: its pass and the assurance
/// the door reports.
fn shown_at(door: &DoorVerifier, wallet: &Wallet, id: &str) -> (Pass, KeyAssurance) {
    let view = wallet.current_qr(Some(id), now(), false).unwrap();
    let verdict = door.verify(&view.qr_text, now()).unwrap();
    let Verdict::Valid(valid) = verdict else {
        panic!("{verdict:?}")
    };
    (
        Pass::parse(&qr_pass_bytes(&view.qr_text)).unwrap(),
        valid.key_assurance,
    )
}

/// Enrolment with a platform that attests validly, in `prefer` mode, through a hardware-only door
/// and a renewal: the pass binds the attested key with assurance `expected` throughout.
async fn attested_enrolment_end_to_end(signer: Arc<DerPlatform>, expected: KeyAssurance) {
    let roots = tempfile::tempdir().unwrap();
    let issuer = TestIssuer::start(|config| {
        signer.configure_issuer(config, AttestationMode::Prefer, roots.path())
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let wallet = platform_wallet(&issuer, home.path(), &signer);
    let pass = issuer.enrol(&wallet, "demo-kim").await;

    // Two keys were made (the start key, then the attested one); the start key is gone.
    assert_eq!(signer.made(), 2);
    assert_eq!(signer.challenges().len(), 1);
    let live = signer.live_keys();
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(live[0], "key-2", "the attested key, made second, is kept");
    let attested_key = signer.public_key_of(&live[0]);

    let door_dir = tempfile::tempdir().unwrap();
    let hardware_door = door(&issuer, door_dir.path(), hardware_only());
    let (shown, assurance) = shown_at(&hardware_door, &wallet, &pass.id);
    assert_eq!(assurance, expected);
    assert_eq!(shown.claims().key_assurance, expected);
    assert_eq!(shown.claims().holder_key, attested_key);

    // Renewal keeps the key and its assurance; no key is made or deleted.
    let renewed = wallet.renew_pass(&pass.id, now(), true).await.unwrap();
    assert!(
        matches!(renewed, RenewalOutcome::Renewed { .. }),
        "{renewed:?}"
    );
    let (after, assurance) = shown_at(&hardware_door, &wallet, &pass.id);
    assert_ne!(after.bytes(), shown.bytes(), "a new pass was issued");
    assert_eq!(assurance, expected);
    assert_eq!(after.claims().holder_key, attested_key);
    assert_eq!((signer.made(), signer.live_keys()), (2, live));
}

#[tokio::test]
async fn an_android_strongbox_attested_key_binds_the_pass_through_a_hardware_door_and_renewal() {
    let signer = DerPlatform::android(SECURITY_LEVEL_STRONG_BOX);
    attested_enrolment_end_to_end(signer, KeyAssurance::AndroidStrongBox).await;
}

#[tokio::test]
async fn an_android_tee_attested_key_binds_the_pass_through_a_hardware_door_and_renewal() {
    let signer = DerPlatform::android(SECURITY_LEVEL_TRUSTED_ENVIRONMENT);
    attested_enrolment_end_to_end(signer, KeyAssurance::AndroidTee).await;
}

#[tokio::test]
async fn an_app_attested_key_binds_the_pass_through_a_hardware_door_and_renewal() {
    attested_enrolment_end_to_end(DerPlatform::apple(), KeyAssurance::AppleAppAttest).await;
}

#[tokio::test]
async fn require_mode_refuses_a_phone_that_cannot_attest_and_the_pass_in_hand_stays() {
    let roots = tempfile::tempdir().unwrap();
    let signer = DerPlatform::unattesting();
    let mut issuer = TestIssuer::start(|config| {
        signer.configure_issuer(config, AttestationMode::Prefer, roots.path())
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let wallet = platform_wallet(&issuer, home.path(), &signer);
    // A pass from the issuer while it preferred attestation: unattested, on the start key.
    let pass = issuer.enrol(&wallet, "demo-kim").await;
    let door_dir = tempfile::tempdir().unwrap();
    let any_door = door(&issuer, door_dir.path(), VerifierPolicy::default());
    let (before, assurance) = shown_at(&any_door, &wallet, &pass.id);
    assert_eq!(assurance, KeyAssurance::Unattested);
    let keys = signer.live_keys();
    // ... which a hardware-only door refuses.
    let hardware_dir = tempfile::tempdir().unwrap();
    let hardware_door = door(&issuer, hardware_dir.path(), hardware_only());
    let view = wallet.current_qr(Some(&pass.id), now(), false).unwrap();
    assert_eq!(
        hardware_door.verify(&view.qr_text, now()).unwrap(),
        Verdict::Refused(Refusal::KeyNotHardwareBound)
    );

    // The issuer now requires attestation.
    drop(wallet);
    issuer
        .restart(|config| signer.configure_issuer(config, AttestationMode::Require, roots.path()))
        .await;
    let wallet = platform_wallet(&issuer, home.path(), &signer);
    wallet
        .begin_reauthentication(&pass.id, now())
        .await
        .unwrap();
    let code = issuer.dev_code("demo-kim").await;
    let err = wallet
        .complete_authentication(&code, now())
        .await
        .unwrap_err();
    assert!(matches!(err, WalletError::AttestationRequired), "{err:?}");
    // The pass in hand is the same pass on the same key; the key made for the challenge is gone.
    let (after, _) = shown_at(&any_door, &wallet, &pass.id);
    assert_eq!(after.bytes(), before.bytes());
    assert_eq!(signer.live_keys(), keys);

    // A new enrolment on this phone gets no pass either.
    wallet.cancel_authentication().unwrap();
    wallet
        .begin_authentication("demo-lee", now())
        .await
        .unwrap();
    let code = issuer.dev_code("demo-lee").await;
    let err = wallet
        .complete_authentication(&code, now())
        .await
        .unwrap_err();
    assert!(matches!(err, WalletError::AttestationRequired), "{err:?}");
    let passes = wallet.passes(now());
    assert_eq!(passes.len(), 1, "{passes:?}");
    assert_eq!(passes[0].id, pass.id);
}

#[tokio::test]
async fn require_mode_refuses_an_attestation_for_another_challenge_with_the_reason() {
    let roots = tempfile::tempdir().unwrap();
    let signer = DerPlatform::with(Attests::Android {
        root: TestRoot::new("Test Android attestation root"),
        level: SECURITY_LEVEL_STRONG_BOX,
        wrong_challenge: true,
    });
    let issuer = TestIssuer::start(|config| {
        signer.configure_issuer(config, AttestationMode::Require, roots.path())
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let wallet = platform_wallet(&issuer, home.path(), &signer);
    wallet
        .begin_authentication("demo-kim", now())
        .await
        .unwrap();
    let code = issuer.dev_code("demo-kim").await;
    let err = wallet
        .complete_authentication(&code, now())
        .await
        .unwrap_err();
    let WalletError::AttestationRefused { reason } = &err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("challenge"), "{reason}");
    assert!(wallet.passes(now()).is_empty());
}

#[tokio::test]
async fn evidence_the_wallet_would_not_send_still_enrols_without_attestation() {
    // A platform whose attestation is over the size limits (an app's bug) must not leave the
    // holder retrying a completion that fails the same way every time.
    let roots = tempfile::tempdir().unwrap();
    let signer = DerPlatform::with(Attests::Oversized);
    let issuer = TestIssuer::start(|config| {
        signer.configure_issuer(config, AttestationMode::Prefer, roots.path())
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let wallet = platform_wallet(&issuer, home.path(), &signer);
    let pass = issuer.enrol(&wallet, "demo-kim").await;
    let door_dir = tempfile::tempdir().unwrap();
    let any_door = door(&issuer, door_dir.path(), VerifierPolicy::default());
    let (_, assurance) = shown_at(&any_door, &wallet, &pass.id);
    assert_eq!(assurance, KeyAssurance::Unattested);
    // The start key holds the pass; the key made for the challenge was deleted.
    assert_eq!(signer.made(), 2);
    assert_eq!(signer.live_keys().len(), 1);
}
