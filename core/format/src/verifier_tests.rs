use super::*;
use crate::keys::SigningKey;
use crate::pass::tests::sample_claims;
use crate::trust_list::{TrustListContent, TrustedIssuer};

const NOW: u64 = 1_800_000_000 + 86_400;

/// The trust anchor of these tests.
pub(crate) fn anchor() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// The issuer key the test trust lists hold.
pub(crate) fn issuer() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}

/// The holder key of the test passes.
pub(crate) fn holder() -> SigningKey {
    SigningKey::from_bytes(&[2; 32])
}

/// A trust list of `version` holding [`issuer`] for `issuer_id`, signed by [`anchor`].
pub(crate) fn list(version: u64, issuer_id: &str) -> TrustList {
    let bytes = TrustListContent {
        version,
        issued_at: 0,
        next_update: 0,
        issuers: vec![TrustedIssuer::new(
            issuer().verifying_key(),
            issuer_id,
            0,
            u64::MAX,
        )],
    }
    .sign(&anchor());
    TrustList::verify(&bytes, &anchor().verifying_key()).unwrap()
}

fn verifier() -> Verifier {
    Verifier::new(list(1, "KR-KDCA"), VerifierPolicy::default())
}

fn pass_named(name: &str) -> Pass {
    let mut claims = sample_claims(&holder().verifying_key());
    claims.display_name = name.into();
    Pass::issue(&claims, &issuer()).unwrap()
}

#[test]
fn a_pass_valid_for_longer_than_the_policy_allows_is_refused() {
    let mut claims = sample_claims(&holder().verifying_key());
    claims.expires_at = claims.issued_at + DEFAULT_MAX_PASS_LIFETIME_SECONDS + 1;
    let pass = Pass::issue(&claims, &issuer()).unwrap();
    let code = Presentation::rotating(pass.bytes(), &holder(), NOW);
    assert_eq!(
        verifier().verify(&code, NOW),
        Verdict::Refused(Refusal::LifetimeTooLong {
            lifetime_seconds: DEFAULT_MAX_PASS_LIFETIME_SECONDS + 1,
            max_seconds: DEFAULT_MAX_PASS_LIFETIME_SECONDS,
        })
    );
    let lenient = Verifier::new(
        list(1, "KR-KDCA"),
        VerifierPolicy {
            max_pass_lifetime_seconds: DEFAULT_MAX_PASS_LIFETIME_SECONDS + 1,
            ..VerifierPolicy::default()
        },
    );
    assert!(lenient.verify(&code, NOW).is_valid());
}

#[test]
fn a_key_listed_for_one_issuer_cannot_sign_for_another() {
    let mut claims = sample_claims(&holder().verifying_key());
    claims.issuer_id = "XX-OTHER".into();
    let pass = Pass::issue(&claims, &issuer()).unwrap();
    let code = Presentation::rotating(pass.bytes(), &holder(), NOW);
    assert_eq!(verifier().verify(&code, NOW).code(), "unknown_issuer");
}

#[test]
fn a_changed_step_or_a_proof_for_another_pass_is_a_bad_holder_proof() {
    let pass = pass_named("Kim Minji");
    let Presentation::Rotating { step, proof, .. } =
        Presentation::rotating(pass.bytes(), &holder(), NOW)
    else {
        unreachable!()
    };
    // The same proof moved to the next step (still inside the tolerance).
    let moved = Presentation::Rotating {
        pass: pass.bytes().to_vec(),
        step: step + 1,
        proof,
    };
    assert_eq!(verifier().verify(&moved, NOW).code(), "bad_holder_proof");
    // A proof the same holder made for another of their passes.
    let other = pass_named("Kim Minjun");
    let Presentation::Rotating { proof, .. } =
        Presentation::rotating(other.bytes(), &holder(), NOW)
    else {
        unreachable!()
    };
    let swapped = Presentation::Rotating {
        pass: pass.bytes().to_vec(),
        step,
        proof,
    };
    assert_eq!(verifier().verify(&swapped, NOW).code(), "bad_holder_proof");
}

#[test]
fn the_step_window_is_exactly_the_tolerance() {
    let pass = pass_named("Kim Minji");
    let v = verifier(); // tolerance 60 s
    let now = NOW - NOW % STEP_SECONDS + 10; // 10 s into a step
    let earliest = (now - 60) / STEP_SECONDS;
    let latest = (now + 60) / STEP_SECONDS;
    let at_step = |step: u64| Presentation::rotating(pass.bytes(), &holder(), step * STEP_SECONDS);
    assert!(v.verify(&at_step(earliest), now).is_valid());
    assert!(v.verify(&at_step(latest), now).is_valid());
    assert_eq!(v.verify(&at_step(earliest - 1), now).code(), "stale_step");
    assert_eq!(v.verify(&at_step(latest + 1), now).code(), "future_step");
    let strict = Verifier::new(
        list(1, "KR-KDCA"),
        VerifierPolicy {
            clock_tolerance_seconds: 0,
            ..VerifierPolicy::default()
        },
    );
    assert!(strict.verify(&at_step(now / STEP_SECONDS), now).is_valid());
    assert_eq!(
        strict.verify(&at_step(now / STEP_SECONDS - 1), now).code(),
        "stale_step"
    );
}

#[test]
fn the_trust_list_never_goes_back() {
    let mut v = Verifier::new(list(2, "KR-KDCA"), VerifierPolicy::default());
    assert!(matches!(
        v.update_trust_list(list(1, "KR-KDCA")),
        Err(TrustListError::Rollback {
            cached: 2,
            offered: 1
        })
    ));
    assert!(matches!(
        v.update_trust_list(list(2, "XX-OTHER")),
        Err(TrustListError::VersionConflict { version: 2 })
    ));
    assert_eq!(v.trust_list().version(), 2);
    assert_eq!(v.trust_list().content().issuers[0].issuer_id, "KR-KDCA");
    v.update_trust_list(list(2, "KR-KDCA")).unwrap();
    v.update_trust_list(list(3, "KR-KDCA")).unwrap();
    assert_eq!(v.trust_list().version(), 3);
}

#[test]
fn the_entry_of_the_passs_issuer_is_found_when_its_key_is_also_listed_for_another() {
    // A hostile or broken list: the same key listed first for another issuer, then for KR-KDCA.
    let bytes = TrustListContent {
        version: 1,
        issued_at: 0,
        next_update: 0,
        issuers: vec![
            TrustedIssuer::new(issuer().verifying_key(), "XX-OTHER", 0, 1),
            TrustedIssuer::new(issuer().verifying_key(), "KR-KDCA", 0, u64::MAX),
        ],
    }
    .sign(&anchor());
    let trust = TrustList::verify(&bytes, &anchor().verifying_key()).unwrap();
    let door = Verifier::new(trust, VerifierPolicy::default());
    let pass = pass_named("Kim Minji");
    let code = Presentation::rotating(pass.bytes(), &holder(), NOW);
    assert!(door.verify(&code, NOW).is_valid());
    // XX-OTHER's entry (window ending at 1) does not cover its own passes, nor KR-KDCA's entry them.
    let mut claims = sample_claims(&holder().verifying_key());
    claims.issuer_id = "XX-OTHER".into();
    let theirs = Pass::issue(&claims, &issuer()).unwrap();
    let code = Presentation::rotating(theirs.bytes(), &holder(), NOW);
    assert_eq!(
        door.verify(&code, NOW).code(),
        "issuer_key_not_valid_at_issuance"
    );
}

#[test]
fn a_p256_holder_key_is_checked_with_es256_and_ed25519_passes_are_unchanged() {
    use crate::holder_key::{HolderSigner, P256SigningKey};
    let phone = P256SigningKey::from_slice(&[4; 32]).unwrap();
    let mut claims = sample_claims(&holder().verifying_key());
    claims.holder_key = phone.holder_public_key();
    let pass = Pass::issue(&claims, &issuer()).unwrap();
    assert_eq!(pass.claims().holder_key, phone.holder_public_key());
    let code = Presentation::rotating(pass.bytes(), &phone, NOW);
    assert!(verifier().verify(&code, NOW).is_valid());
    // The proof follows the cnf key: neither another P-256 key nor the Ed25519 holder key of the
    // other test passes makes a code for this pass.
    let other = P256SigningKey::from_slice(&[5; 32]).unwrap();
    for forged in [
        Presentation::rotating(pass.bytes(), &other, NOW),
        Presentation::rotating(pass.bytes(), &holder(), NOW),
    ] {
        assert_eq!(
            verifier().verify(&forged, NOW),
            Verdict::Refused(Refusal::BadHolderProof)
        );
    }
    // An Ed25519 pass still needs its Ed25519 key, not a P-256 one.
    let ed_pass = pass_named("Kim Minji");
    let code = Presentation::rotating(ed_pass.bytes(), &holder(), NOW);
    assert!(verifier().verify(&code, NOW).is_valid());
    let code = Presentation::rotating(ed_pass.bytes(), &phone, NOW);
    assert_eq!(
        verifier().verify(&code, NOW),
        Verdict::Refused(Refusal::BadHolderProof)
    );
}
