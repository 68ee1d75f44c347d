use super::*;
use crate::keys::SigningKey;
use crate::status_list::StatusList;

const URI: &str = "https://kdca.kr/s/1";
const NOW: u64 = 1_800_000_000;
const DAY: u64 = 86_400;

fn kdca() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}

fn other_issuer() -> SigningKey {
    SigningKey::from_bytes(&[3; 32])
}

fn retired() -> SigningKey {
    SigningKey::from_bytes(&[4; 32])
}

/// KR-KDCA's current key, its key retired 100 days ago (still listed for the passes it signed),
/// and another issuer's key.
fn trust() -> TrustListContent {
    TrustListContent {
        version: 1,
        issued_at: 0,
        next_update: 0,
        issuers: vec![
            TrustedIssuer::new(other_issuer().verifying_key(), "XX-OTHER", 0, u64::MAX),
            TrustedIssuer::new(retired().verifying_key(), "KR-KDCA", 0, NOW - 100 * DAY),
            TrustedIssuer::new(kdca().verifying_key(), "KR-KDCA", NOW - 100 * DAY, u64::MAX),
        ],
    }
}

fn token(uri: &str, iat: u64, exp: Option<u64>) -> StatusListToken {
    StatusListToken {
        uri: uri.into(),
        issued_at: iat,
        expires_at: exp,
        ttl: Some(300),
        list: StatusList::new(64),
    }
}

fn check(
    bytes: &[u8],
    binding: StatusListBinding<'_>,
    now: Option<u64>,
) -> Result<VerifiedStatusList, StatusListError> {
    StatusListToken::parse(bytes)
        .unwrap()
        .verify(&trust(), binding, now)
}

fn fetched() -> StatusListBinding<'static> {
    StatusListBinding::fetched("KR-KDCA", URI)
}

#[test]
fn a_genuine_fetched_list_is_taken_for_its_issuer() {
    let bytes = token(URI, NOW, Some(NOW + DAY)).sign(&kdca());
    let verified = check(&bytes, fetched(), Some(NOW)).unwrap();
    assert_eq!(verified.issuer_id, "KR-KDCA");
    assert_eq!(verified.key_id, KeyId::of(&kdca().verifying_key()));
    assert_eq!(verified.token.uri, URI);
    // Given as bytes, it is bound to its own `sub` and to the issuer its key is listed for.
    let given = check(&bytes, StatusListBinding::given(), Some(NOW)).unwrap();
    assert_eq!(given.issuer_id, "KR-KDCA");
}

#[test]
fn another_issuers_key_cannot_sign_a_list_its_passes_do_not_name() {
    let bytes = token(URI, NOW, None).sign(&other_issuer());
    assert_eq!(
        check(&bytes, fetched(), Some(NOW)).unwrap_err(),
        StatusListError::WrongIssuer {
            expected: "KR-KDCA".into()
        }
    );
    // Given as bytes, it is taken only as XX-OTHER's list, which no KR-KDCA pass reads.
    let given = check(&bytes, StatusListBinding::given(), Some(NOW)).unwrap();
    assert_eq!(given.issuer_id, "XX-OTHER");
}

#[test]
fn a_retired_key_cannot_sign_a_list_after_its_window() {
    let bytes = token(URI, NOW, None).sign(&retired());
    for binding in [fetched(), StatusListBinding::given()] {
        assert_eq!(
            check(&bytes, binding, Some(NOW)).unwrap_err(),
            StatusListError::KeyNotValidAtIssuance { issued_at: NOW }
        );
    }
    // Inside its window it still checks (a list it signed then), as it would have then.
    let old = token(URI, NOW - 101 * DAY, None).sign(&retired());
    assert!(check(&old, fetched(), Some(NOW)).is_ok());
}

#[test]
fn a_list_fetched_from_one_uri_naming_another_is_refused() {
    let bytes = token("https://kdca.kr/s/2", NOW, None).sign(&kdca());
    assert_eq!(
        check(&bytes, fetched(), Some(NOW)).unwrap_err(),
        StatusListError::WrongUri {
            expected: URI.into(),
            found: "https://kdca.kr/s/2".into()
        }
    );
}

#[test]
fn a_list_made_in_the_future_is_refused_beyond_the_clock_skew() {
    let edge = token(URI, NOW + STATUS_LIST_CLOCK_SKEW_SECONDS, None).sign(&kdca());
    assert!(check(&edge, fetched(), Some(NOW)).is_ok());
    let ahead = NOW + STATUS_LIST_CLOCK_SKEW_SECONDS + 1;
    let bytes = token(URI, ahead, None).sign(&kdca());
    assert_eq!(
        check(&bytes, fetched(), Some(NOW)).unwrap_err(),
        StatusListError::IssuedInFuture {
            issued_at: ahead,
            now: NOW
        }
    );
    let far = token(URI, u64::MAX, None).sign(&kdca());
    assert!(matches!(
        check(&far, StatusListBinding::given(), Some(NOW)),
        Err(StatusListError::IssuedInFuture { .. })
    ));
}

#[test]
fn an_expired_list_is_refused_and_one_without_exp_is_not() {
    let bytes = token(URI, NOW - DAY, Some(NOW)).sign(&kdca());
    assert_eq!(
        check(&bytes, fetched(), Some(NOW)).unwrap_err(),
        StatusListError::Expired { expired_at: NOW }
    );
    assert!(check(&bytes, fetched(), Some(NOW - 1)).is_ok());
    let open_ended = token(URI, NOW - DAY, None).sign(&kdca());
    assert!(check(&open_ended, fetched(), Some(NOW)).is_ok());
    // Read back from the device's own files (no clock), a list taken before still checks.
    assert!(check(&bytes, StatusListBinding::given(), None).is_ok());
}

#[test]
fn a_key_listed_for_two_issuers_binds_only_when_the_issuer_is_known() {
    let mut trust = trust();
    trust.issuers.push(TrustedIssuer::new(
        kdca().verifying_key(),
        "XX-OTHER",
        0,
        u64::MAX,
    ));
    let bytes = token(URI, NOW, None).sign(&kdca());
    let verify = |binding| {
        StatusListToken::parse(&bytes)
            .unwrap()
            .verify(&trust, binding, Some(NOW))
    };
    assert_eq!(
        verify(StatusListBinding::given()).unwrap_err(),
        StatusListError::AmbiguousIssuer
    );
    assert_eq!(verify(fetched()).unwrap().issuer_id, "KR-KDCA");
    assert_eq!(
        verify(StatusListBinding::fetched("XX-OTHER", URI))
            .unwrap()
            .issuer_id,
        "XX-OTHER"
    );
}

#[test]
fn unknown_keys_and_bad_signatures_are_still_refused_first() {
    let stranger = SigningKey::from_bytes(&[9; 32]);
    let bytes = token(URI, NOW, None).sign(&stranger);
    assert_eq!(
        check(&bytes, fetched(), Some(NOW)).unwrap_err(),
        StatusListError::UnknownKey
    );
    let mut tampered = token(URI, NOW, None).sign(&kdca());
    *tampered.last_mut().unwrap() ^= 1;
    assert_eq!(
        check(&tampered, fetched(), Some(NOW)).unwrap_err(),
        StatusListError::BadSignature
    );
}
