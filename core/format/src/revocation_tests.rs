use super::*;
use crate::keys::SigningKey;
use crate::pass::Pass;
use crate::pass::tests::sample_claims;
use crate::presentation::Presentation;
use crate::status_list::{StatusList, StatusReference};
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
        expires_at: Some(iat + 86_400),
        ttl: Some(300),
        list,
    }
    .sign(key)
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
        .update_status_list(&list(NOW - 2 * HOUR, &[]))
        .unwrap();
    assert_eq!(
        revocation_of(before.verify(&code(Some(URI)), NOW)),
        RevocationCheck::NotRevoked {
            list_age_seconds: 2 * HOUR
        }
    );
    let mut after = verifier(VerifierPolicy::default());
    after.update_status_list(&list(NOW - 60, &[INDEX])).unwrap();
    assert_eq!(
        after.verify(&code(Some(URI)), NOW),
        Verdict::Refused(Refusal::Revoked {
            list_age_seconds: 60
        })
    );
    // The door holding the old list learns of the revocation with its next fetch.
    before
        .update_status_list(&list(NOW - 60, &[INDEX]))
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
    door.update_status_list(&list(NOW - 73 * HOUR, &[]))
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
        .update_status_list(&list(NOW - 73 * HOUR, &[]))
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
        .update_status_list(&list(NOW - 72 * HOUR, &[INDEX]))
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
    door.update_status_list(&list(NOW - HOUR, &[])).unwrap();

    let mut tampered = list(NOW, &[INDEX]);
    *tampered.last_mut().unwrap() ^= 1;
    assert_eq!(
        door.update_status_list(&tampered),
        Err(StatusListUpdateError::Invalid(
            StatusListError::BadSignature
        ))
    );
    let stranger = SigningKey::from_bytes(&[9; 32]);
    assert_eq!(
        door.update_status_list(&list_signed(URI, NOW, &[INDEX], &stranger)),
        Err(StatusListUpdateError::Invalid(StatusListError::UnknownKey))
    );
    assert_eq!(
        door.update_status_list(&list(NOW - 2 * HOUR, &[INDEX])),
        Err(StatusListUpdateError::Older {
            uri: URI.into(),
            held_iat: NOW - HOUR,
            iat: NOW - 2 * HOUR
        })
    );
    assert!(matches!(
        door.update_status_list(b"\xd2\x84garbage"),
        Err(StatusListUpdateError::Invalid(StatusListError::Malformed(
            _
        )))
    ));
    // A list for another URI is kept under that URI and says nothing about this pass.
    let other = "https://kdca.kr/s/2";
    assert_eq!(
        door.update_status_list(&list_signed(other, NOW, &[INDEX], &issuer())),
        Ok(other.to_string())
    );
    assert_eq!(
        revocation_of(door.verify(&code(Some(URI)), NOW)),
        RevocationCheck::NotRevoked {
            list_age_seconds: HOUR
        }
    );
    assert_eq!(door.status_lists().uris().count(), 2);
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
    door.update_status_list(&list(NOW, &[])).unwrap();
    let verdict = door.verify(&Presentation::rotating(pass.bytes(), &holder(), NOW), NOW);
    assert_eq!(
        revocation_of(verdict),
        RevocationCheck::NotChecked {
            list_age_seconds: Some(0)
        }
    );
}
