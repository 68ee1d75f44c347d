use super::*;
use crate::keys::SigningKey;
use crate::pass::Pass;
use crate::pass::tests::sample_claims;
use crate::presentation::Presentation;
use crate::status_list::{StatusList, StatusReference};
use crate::status_list_binding::{StatusListBinding, StatusListError};
use crate::verifier::tests::{holder, issuer, list as trust_list};
use crate::verifier::{Refusal, Verdict, Verifier, VerifierPolicy};

const URI: &str = "https://kdca.kr/s/1";
const INDEX: u64 = 4_242;
const NOW: u64 = 1_800_000_000 + 86_400;
const HOUR: u64 = 3600;

fn verifier(policy: VerifierPolicy) -> Verifier {
    Verifier::new(trust_list(1, "KR-KDCA"), policy)
}

/// A rotating code at [`NOW`] for a pass whose status is entry [`INDEX`] of the list at `uri`.
fn code(uri: Option<&str>) -> Presentation {
    let mut claims = sample_claims(&holder().verifying_key());
    claims.status = uri.map(|uri| StatusReference {
        index: INDEX,
        uri: uri.into(),
    });
    let pass = Pass::issue(&claims, &issuer()).unwrap();
    Presentation::rotating(pass.bytes(), &holder(), NOW)
}

/// The list at `uri` issued at `iat`, revoking `revoked`, signed by `key`.
fn list_signed(uri: &str, iat: u64, revoked: &[u64], key: &SigningKey) -> Vec<u8> {
    let mut list = StatusList::new(100_000);
    revoked.iter().for_each(|&i| assert!(list.revoke(i)));
    StatusListToken {
        uri: uri.into(),
        issued_at: iat,
        // A week: these tests hold lists up to 73 hours old, taken while still unexpired.
        expires_at: Some(iat + 7 * 86_400),
        ttl: Some(300),
        list,
    }
    .sign(key)
}

/// What a door expects of the list it fetches for the test passes.
fn fetched() -> StatusListBinding<'static> {
    StatusListBinding::fetched("KR-KDCA", URI)
}

fn list(iat: u64, revoked: &[u64]) -> Vec<u8> {
    list_signed(URI, iat, revoked, &issuer())
}

fn revocation_of(verdict: Verdict) -> RevocationCheck {
    match verdict {
        Verdict::Valid(pass) => pass.revocation,
        Verdict::Refused(r) => panic!("refused: {r}"),
    }
}

#[test]
fn a_fresh_list_refuses_a_revoked_pass_and_an_older_list_still_accepts_it() {
    let mut before = verifier(VerifierPolicy::default());
    before
        .update_status_list(&list(NOW - 2 * HOUR, &[]), StatusListBinding::given(), NOW)
        .unwrap();
    assert_eq!(
        revocation_of(before.verify(&code(Some(URI)), NOW)),
        RevocationCheck::NotRevoked {
            list_age_seconds: 2 * HOUR
        }
    );
    let mut after = verifier(VerifierPolicy::default());
    after
        .update_status_list(&list(NOW - 60, &[INDEX]), StatusListBinding::given(), NOW)
        .unwrap();
    assert_eq!(
        after.verify(&code(Some(URI)), NOW),
        Verdict::Refused(Refusal::Revoked {
            list_age_seconds: 60
        })
    );
    // The door holding the old list learns of the revocation with its next fetch.
    before
        .update_status_list(&list(NOW - 60, &[INDEX]), StatusListBinding::given(), NOW)
        .unwrap();
    assert_eq!(before.verify(&code(Some(URI)), NOW).code(), "revoked");
}

#[test]
fn with_no_list_or_an_old_one_the_verdict_stands_marked_not_checked_unless_policy_refuses() {
    let mut door = verifier(VerifierPolicy::default());
    assert_eq!(
        revocation_of(door.verify(&code(Some(URI)), NOW)),
        RevocationCheck::NotChecked {
            list_age_seconds: None
        }
    );
    assert_eq!(
        revocation_of(door.verify(&code(None), NOW)),
        RevocationCheck::NotRevocable
    );
    door.update_status_list(&list(NOW - 73 * HOUR, &[]), StatusListBinding::given(), NOW)
        .unwrap();
    assert_eq!(
        revocation_of(door.verify(&code(Some(URI)), NOW)),
        RevocationCheck::NotChecked {
            list_age_seconds: Some(73 * HOUR)
        }
    );
    let mut strict = verifier(VerifierPolicy {
        require_revocation_check: true,
        ..VerifierPolicy::default()
    });
    strict
        .update_status_list(&list(NOW - 73 * HOUR, &[]), StatusListBinding::given(), NOW)
        .unwrap();
    let refused = strict.verify(&code(Some(URI)), NOW);
    assert_eq!(
        refused,
        Verdict::Refused(Refusal::RevocationNotChecked {
            list_age_seconds: Some(73 * HOUR)
        })
    );
    assert_eq!(
        refused_text(&refused),
        "revocation not checked: the status list is 73 h old"
    );
    // A pass that names no list is not affected by that policy.
    assert!(strict.verify(&code(None), NOW).is_valid());
    // A revocation is believed however old its list is.
    strict
        .update_status_list(
            &list(NOW - 72 * HOUR, &[INDEX]),
            StatusListBinding::given(),
            NOW,
        )
        .unwrap();
    assert_eq!(strict.verify(&code(Some(URI)), NOW).code(), "revoked");
}

fn refused_text(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Refused(r) => r.to_string(),
        Verdict::Valid(_) => panic!("valid"),
    }
}

#[test]
fn tampered_unknown_older_and_other_lists_are_refused_or_ignored_and_the_held_list_stays() {
    let mut door = verifier(VerifierPolicy::default());
    door.update_status_list(&list(NOW - HOUR, &[]), StatusListBinding::given(), NOW)
        .unwrap();

    let mut tampered = list(NOW, &[INDEX]);
    *tampered.last_mut().unwrap() ^= 1;
    assert_eq!(
        door.update_status_list(&tampered, fetched(), NOW),
        Err(StatusListUpdateError::Invalid(
            StatusListError::BadSignature
        ))
    );
    let stranger = SigningKey::from_bytes(&[9; 32]);
    assert_eq!(
        door.update_status_list(&list_signed(URI, NOW, &[INDEX], &stranger), fetched(), NOW),
        Err(StatusListUpdateError::Invalid(StatusListError::UnknownKey))
    );
    assert_eq!(
        door.update_status_list(&list(NOW - 2 * HOUR, &[INDEX]), fetched(), NOW),
        Err(StatusListUpdateError::Older {
            uri: URI.into(),
            held_iat: NOW - HOUR,
            iat: NOW - 2 * HOUR
        })
    );
    assert!(matches!(
        door.update_status_list(b"\xd2\x84garbage", fetched(), NOW),
        Err(StatusListUpdateError::Invalid(StatusListError::Malformed(
            _
        )))
    ));
    // A list for another URI is kept under that URI and says nothing about this pass.
    let other = "https://kdca.kr/s/2";
    assert_eq!(
        door.update_status_list(
            &list_signed(other, NOW, &[INDEX], &issuer()),
            StatusListBinding::given(),
            NOW
        ),
        Ok(StatusListId {
            issuer_id: "KR-KDCA".into(),
            uri: other.into()
        })
    );
    assert_eq!(
        revocation_of(door.verify(&code(Some(URI)), NOW)),
        RevocationCheck::NotRevoked {
            list_age_seconds: HOUR
        }
    );
    assert_eq!(door.status_lists().ids().count(), 2);
}

#[test]
fn an_index_past_the_end_of_its_list_is_not_checked() {
    let mut claims = sample_claims(&holder().verifying_key());
    claims.status = Some(StatusReference {
        index: 100_000,
        uri: URI.into(),
    });
    let pass = Pass::issue(&claims, &issuer()).unwrap();
    let mut door = verifier(VerifierPolicy::default());
    door.update_status_list(&list(NOW, &[]), StatusListBinding::given(), NOW)
        .unwrap();
    let verdict = door.verify(&Presentation::rotating(pass.bytes(), &holder(), NOW), NOW);
    assert_eq!(
        revocation_of(verdict),
        RevocationCheck::NotChecked {
            list_age_seconds: Some(0)
        }
    );
}

/// A door trusting KR-KDCA's [`issuer`] key and XX-OTHER's `other` key.
fn door_trusting_two_issuers(other: &SigningKey) -> Verifier {
    use crate::trust_list::{TrustList, TrustListContent, TrustedIssuer};
    let anchor = crate::verifier::tests::anchor();
    let bytes = TrustListContent {
        version: 1,
        issued_at: 0,
        next_update: 0,
        issuers: vec![
            TrustedIssuer::new(other.verifying_key(), "XX-OTHER", 0, u64::MAX),
            TrustedIssuer::new(issuer().verifying_key(), "KR-KDCA", 0, u64::MAX),
        ],
    }
    .sign(&anchor);
    let trust = TrustList::verify(&bytes, &anchor.verifying_key()).unwrap();
    Verifier::new(trust, VerifierPolicy::default())
}

#[test]
fn another_issuers_list_under_a_real_uri_never_outranks_or_replaces_the_real_one() {
    let other = SigningKey::from_bytes(&[3; 32]);
    let mut door = door_trusting_two_issuers(&other);
    door.update_status_list(&list(NOW - HOUR, &[INDEX]), fetched(), NOW)
        .unwrap();
    // Fetched for KR-KDCA's passes, a list signed by XX-OTHER's key is refused...
    let hostile = list_signed(URI, NOW, &[], &other);
    assert_eq!(
        door.update_status_list(&hostile, fetched(), NOW),
        Err(StatusListUpdateError::Invalid(
            StatusListError::WrongIssuer {
                expected: "KR-KDCA".into()
            }
        ))
    );
    // ...and given as bytes it is kept as XX-OTHER's list only: KR-KDCA's pass stays revoked.
    assert_eq!(
        door.update_status_list(&hostile, StatusListBinding::given(), NOW),
        Ok(StatusListId {
            issuer_id: "XX-OTHER".into(),
            uri: URI.into()
        })
    );
    assert_eq!(door.verify(&code(Some(URI)), NOW).code(), "revoked");
    // The real issuer's next list is not refused as older than the stranger's.
    door.update_status_list(&list(NOW, &[INDEX]), fetched(), NOW)
        .unwrap();
    assert_eq!(door.status_lists().ids().count(), 2);
}

#[test]
fn a_list_dated_ahead_is_refused_so_it_cannot_lock_out_the_real_lists() {
    let mut door = verifier(VerifierPolicy::default());
    let ahead = NOW + 365 * 86_400;
    assert_eq!(
        door.update_status_list(&list(ahead, &[]), fetched(), NOW),
        Err(StatusListUpdateError::Invalid(
            StatusListError::IssuedInFuture {
                issued_at: ahead,
                now: NOW
            }
        ))
    );
    door.update_status_list(&list(NOW, &[INDEX]), fetched(), NOW)
        .unwrap();
    assert_eq!(door.verify(&code(Some(URI)), NOW).code(), "revoked");
}

#[test]
fn an_expired_or_misaddressed_list_is_refused_and_the_held_one_stays() {
    let mut door = verifier(VerifierPolicy::default());
    door.update_status_list(&list(NOW - HOUR, &[INDEX]), fetched(), NOW)
        .unwrap();
    let expired = list(NOW - 8 * 86_400, &[]);
    assert_eq!(
        door.update_status_list(&expired, fetched(), NOW),
        Err(StatusListUpdateError::Invalid(StatusListError::Expired {
            expired_at: NOW - 86_400
        }))
    );
    let elsewhere = list_signed("https://kdca.kr/s/2", NOW, &[], &issuer());
    assert!(matches!(
        door.update_status_list(&elsewhere, fetched(), NOW),
        Err(StatusListUpdateError::Invalid(
            StatusListError::WrongUri { .. }
        ))
    ));
    assert_eq!(door.verify(&code(Some(URI)), NOW).code(), "revoked");
}

#[test]
fn a_door_that_refuses_unrevocable_passes_refuses_a_pass_naming_no_list() {
    let strict = verifier(VerifierPolicy {
        require_revocation_check: true,
        refuse_unrevocable: true,
        ..VerifierPolicy::default()
    });
    let refused = strict.verify(&code(None), NOW);
    assert_eq!(refused, Verdict::Refused(Refusal::NotRevocable));
    assert_eq!(refused.code(), "not_revocable");
    assert!(refused_text(&refused).contains("cannot be revoked"));
    // A revocable pass whose list is held and clear is still accepted.
    let mut strict = strict;
    strict
        .update_status_list(&list(NOW - HOUR, &[]), fetched(), NOW)
        .unwrap();
    assert!(strict.verify(&code(Some(URI)), NOW).is_valid());
    // The default policy accepts a pass naming no list, saying so.
    assert_eq!(
        revocation_of(verifier(VerifierPolicy::default()).verify(&code(None), NOW)),
        RevocationCheck::NotRevocable
    );
}
