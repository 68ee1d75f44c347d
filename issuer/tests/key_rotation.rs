//! The anchor kept apart from the serving folder, rotating the issuer key with it, and re-signing
//! the trust list: against the real issuer on 127.0.0.1 and real files.

mod common;

use doorpass_format::api::{self, b64_vec};
use doorpass_format::keys::{KeyId, generate_signing_key, read_private_key, write_private_key};
use doorpass_format::pass::Pass;
use doorpass_format::{Presentation, TrustList, Verifier, VerifierPolicy};
use doorpass_issuer::keys::{AnchorDir, IssuerDir, IssuerKeysError};
use doorpass_issuer::trust_publishing::{rotate_issuer_key, sign_trust_list};
use doorpass_issuer::unix_now;
use serde_json::Value;

/// The served trust list, verified under the pinned anchor.
async fn served_list(issuer: &common::TestIssuer) -> TrustList {
    let bytes = issuer
        .get(api::TRUST_LIST_PATH)
        .await
        .bytes()
        .await
        .unwrap();
    TrustList::verify(&bytes, &issuer.anchor).unwrap()
}

fn pass_of(answer: &Value) -> Pass {
    Pass::parse(&b64_vec(answer["pass"].as_str().unwrap(), 4096).unwrap()).unwrap()
}

#[tokio::test]
async fn a_rotated_key_signs_new_passes_and_old_passes_stay_valid() {
    let mut issuer = common::start(|_| {}).await;
    let (old_holder, old_answer) = issuer.enrol("demo-kim").await;
    let old_pass = pass_of(&old_answer);
    let old_key = read_private_key(&IssuerDir::at(issuer.dir.path()).issuer_key).unwrap();
    let anchor = AnchorDir::at(issuer.anchor_dir.path());

    let rotated_at = unix_now();
    let published = rotate_issuer_key(issuer.dir.path(), &anchor, rotated_at).unwrap();
    assert_eq!(published.version, 2);
    assert_eq!(published.retired_key, Some(old_pass.issuer_key_id()));
    issuer.restart(|_| {}).await;

    let list = served_list(&issuer).await;
    assert_eq!(list.version(), 2);
    let (new_holder, new_answer) = issuer.enrol("demo-lee").await;
    let new_pass = pass_of(&new_answer);
    assert_eq!(new_pass.issuer_key_id(), published.signing_key);
    assert_ne!(new_pass.issuer_key_id(), old_pass.issuer_key_id());

    let door = Verifier::new(list, VerifierPolicy::default());
    let now = unix_now();
    for (pass, holder) in [(&old_pass, &old_holder), (&new_pass, &new_holder)] {
        let verdict = door.verify(&Presentation::rotating(pass.bytes(), holder, now), now);
        assert!(verdict.is_valid(), "{verdict:?}");
    }
    // Whoever kept the old key cannot issue with it any more: a pass it signs after the rotation
    // is refused by every door with the new list.
    let mut claims = old_pass.claims().clone();
    claims.issued_at = rotated_at + 1;
    claims.not_before = rotated_at + 1;
    let forged = Pass::issue(&claims, &old_key).unwrap();
    let verdict = door.verify(
        &Presentation::rotating(forged.bytes(), &old_holder, now + 2),
        now + 2,
    );
    assert_eq!(verdict.code(), "issuer_key_not_valid_at_issuance");
    issuer.stop().await;
}

#[tokio::test]
async fn rotation_needs_this_issuers_anchor_and_changes_nothing_without_it() {
    let issuer = common::start(|_| {}).await;
    let files = IssuerDir::at(issuer.dir.path());
    let before = (
        std::fs::read(&files.trust_list).unwrap(),
        std::fs::read(&files.issuer_key).unwrap(),
    );
    // No anchor folder at all (e.g. the serving machine alone).
    let missing = tempfile::tempdir().unwrap();
    let err = rotate_issuer_key(
        issuer.dir.path(),
        &AnchorDir::at(missing.path()),
        unix_now(),
    )
    .unwrap_err();
    assert!(matches!(err, IssuerKeysError::KeyFile(_)), "{err}");
    // Another issuer's anchor.
    let other = tempfile::tempdir().unwrap();
    let other_anchor = generate_signing_key();
    write_private_key(&AnchorDir::at(other.path()).key, &other_anchor).unwrap();
    let err =
        rotate_issuer_key(issuer.dir.path(), &AnchorDir::at(other.path()), unix_now()).unwrap_err();
    assert!(
        matches!(&err, IssuerKeysError::AnchorMismatch { found, .. }
            if *found == KeyId::of(&other_anchor.verifying_key())),
        "{err}"
    );
    let after = (
        std::fs::read(&files.trust_list).unwrap(),
        std::fs::read(&files.issuer_key).unwrap(),
    );
    assert_eq!(before, after, "the serving folder is unchanged");
    issuer.stop().await;
}

#[tokio::test]
async fn re_signing_moves_the_planned_update_and_keeps_the_keys() {
    let mut issuer = common::start(|_| {}).await;
    let before = served_list(&issuer).await;
    let later = unix_now() + 6 * 86_400;
    let published = sign_trust_list(
        issuer.dir.path(),
        &AnchorDir::at(issuer.anchor_dir.path()),
        later,
    )
    .unwrap();
    assert_eq!(published.version, before.version() + 1);
    assert!(published.next_update > before.content().next_update);
    issuer.restart(|_| {}).await;
    let after = served_list(&issuer).await;
    assert_eq!(after.version(), before.version() + 1);
    assert_eq!(after.content().issuers, before.content().issuers);
    assert!(
        after.may_replace(&before).is_ok(),
        "wallets and doors take it"
    );
    issuer.stop().await;
}
