use super::*;
use crate::status_list_binding::{StatusListBinding, StatusListError};
use crate::trust_list::{TrustListContent, TrustedIssuer};

fn issuer_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn trust_of(key: &SigningKey) -> TrustListContent {
    TrustListContent {
        version: 1,
        issued_at: 0,
        next_update: 0,
        issuers: vec![TrustedIssuer::new(
            key.verifying_key(),
            "KR-KDCA",
            0,
            u64::MAX,
        )],
    }
}

/// The claim keys of a signed payload, in the order they are encoded.
fn claim_keys(signed: &Signed) -> Vec<i128> {
    let Value::Map(claims) = cbor::decode(&signed.payload).unwrap() else {
        panic!("claims are a map")
    };
    claims
        .iter()
        .map(|(k, _)| i128::from(k.as_integer().unwrap()))
        .collect()
}

fn token(revoked: &[u64]) -> StatusListToken {
    let mut list = StatusList::new(MIN_STATUS_LIST_ENTRIES);
    for &i in revoked {
        assert!(list.revoke(i));
    }
    StatusListToken {
        uri: "https://kdca.example/s/1".into(),
        issued_at: 1_800_000_000,
        expires_at: Some(1_800_086_400),
        ttl: Some(300),
        list,
    }
}

#[test]
fn the_drafts_example_list_reads_bit_for_bit() {
    // draft-ietf-oauth-status-list, 1-bit example: statuses 1,0,0,1,1,1,0,1, 1,1,0,0,0,1,0,1.
    let list =
        StatusList::from_compressed(&[0x78, 0xda, 0xdb, 0xb9, 0x18, 0x00, 0x02, 0x17, 0x01, 0x5d])
            .unwrap();
    let expected = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
    assert_eq!(list.len(), 16);
    for (i, &bit) in expected.iter().enumerate() {
        assert_eq!(list.is_revoked(i as u64), Some(bit == 1), "entry {i}");
    }
    assert_eq!(list.is_revoked(16), None);
}

#[test]
fn a_signed_token_verifies_and_keeps_its_statuses() {
    let key = issuer_key();
    let original = token(&[0, 9, 99_999]);
    let bytes = original.sign(&key);
    let parsed = StatusListToken::parse(&bytes).unwrap();
    assert_eq!(parsed.key_id(), KeyId::of(&key.verifying_key()));
    let token = parsed
        .verify(&trust_of(&key), StatusListBinding::given(), None)
        .unwrap()
        .token;
    assert_eq!(token, original);
    assert_eq!(token.list.revoked_count(), 3);
    assert_eq!(token.list.is_revoked(9), Some(true));
    assert_eq!(token.list.is_revoked(10), Some(false));
}

#[test]
fn the_header_carries_the_status_list_media_type_and_the_claims_their_cwt_keys() {
    let key = issuer_key();
    let bytes = token(&[]).sign(&key);
    let kid = KeyId::of(&key.verifying_key()).0;
    // d2 84, then bstr(42) {1: -8, 4: h'kid', 16: "application/statuslist+cwt"}.
    let mut header = vec![0xd2, 0x84, 0x58, 0x2a, 0xa3, 0x01, 0x27, 0x04, 0x48];
    header.extend_from_slice(&kid);
    header.extend_from_slice(&[0x10, 0x78, 0x1a]);
    header.extend_from_slice(STATUS_LIST_TYP.as_bytes());
    assert_eq!(&bytes[..header.len()], &header[..]);
    let signed = Signed::parse_typed(&bytes, Some(STATUS_LIST_TYP)).unwrap();
    assert_eq!(claim_keys(&signed), [2, 4, 6, 65533, 65534]);
}

#[test]
fn a_pass_shaped_header_is_not_a_status_list() {
    let key = issuer_key();
    let as_pass = crate::cose::sign(cbor::encode(&token(&[]).to_cbor()), &key);
    assert!(matches!(
        StatusListToken::parse(&as_pass),
        Err(FormatError::Header(_))
    ));
    // And a status list is not a pass.
    assert!(matches!(
        Signed::parse(&token(&[]).sign(&key)),
        Err(FormatError::Header(_))
    ));
}

#[test]
fn unknown_keys_and_tampered_tokens_are_refused() {
    let key = issuer_key();
    let bytes = token(&[5]).sign(&key);
    let stranger = SigningKey::from_bytes(&[8; 32]);
    assert_eq!(
        StatusListToken::parse(&bytes)
            .unwrap()
            .verify(&trust_of(&stranger), StatusListBinding::given(), None)
            .unwrap_err(),
        StatusListError::UnknownKey
    );
    // Flip one bit of the signature (the last byte of the token).
    let mut tampered = bytes.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert_eq!(
        StatusListToken::parse(&tampered)
            .unwrap()
            .verify(&trust_of(&key), StatusListBinding::given(), None)
            .unwrap_err(),
        StatusListError::BadSignature
    );
}

#[test]
fn a_zlib_bomb_is_refused_before_it_is_inflated() {
    let too_big = StatusList::new(MAX_STATUS_LIST_ENTRIES + 8).compressed();
    assert!(
        too_big.len() < 10_000,
        "all zeros compress to almost nothing"
    );
    assert!(matches!(
        StatusList::from_compressed(&too_big),
        Err(FormatError::InvalidClaim { .. })
    ));
    let largest = StatusList::new(MAX_STATUS_LIST_ENTRIES).compressed();
    assert_eq!(
        StatusList::from_compressed(&largest).unwrap().len(),
        MAX_STATUS_LIST_ENTRIES
    );
}

#[test]
fn broken_compressed_lists_are_refused_with_a_reason() {
    let good = StatusList::new(64).compressed();
    let mut trailing = good.clone();
    trailing.push(0);
    for bad in [
        vec![],
        vec![1, 2, 3],
        good[..good.len() - 2].to_vec(),
        trailing,
    ] {
        assert!(
            matches!(
                StatusList::from_compressed(&bad),
                Err(FormatError::InvalidClaim {
                    claim: "status_list.lst",
                    ..
                })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn out_of_range_entries_are_neither_read_nor_written() {
    let mut list = StatusList::new(16);
    assert!(!list.revoke(16));
    assert!(!list.revoke(u64::MAX));
    assert_eq!(list.is_revoked(u64::MAX), None);
    assert_eq!(list.revoked_count(), 0);
}

fn claims_with_status(status: Option<StatusReference>) -> crate::PassClaims {
    crate::PassClaims {
        key_assurance: crate::KeyAssurance::Unattested,
        issuer_id: "KR-KDCA".into(),
        issued_at: 1_800_000_000,
        not_before: 1_800_000_000,
        expires_at: 1_800_086_400,
        pass_id: [4; 16],
        holder_key: SigningKey::from_bytes(&[9; 32]).verifying_key().into(),
        display_name: "Kim".into(),
        birth_date: "1990".into(),
        kind: crate::PassKind::Vaccination,
        renew_after: 1_800_050_000,
        status,
    }
}

/// A pass whose status claim is `status`, signed by [`issuer_key`].
fn pass_with_status_value(status: Value) -> Vec<u8> {
    let reference = StatusReference {
        index: 1,
        uri: "https://kdca.kr/s/1".into(),
    };
    let pass = crate::Pass::issue(&claims_with_status(Some(reference)), &issuer_key()).unwrap();
    let signed = Signed::parse(pass.bytes()).unwrap();
    let Value::Map(mut claims) = cbor::decode(&signed.payload).unwrap() else {
        panic!("claims are a map")
    };
    for (key, value) in &mut claims {
        if key.as_integer() == Some(STATUS_CLAIM.into()) {
            *value = status.clone();
        }
    }
    crate::cose::sign(cbor::encode(&Value::Map(claims)), &issuer_key())
}

#[test]
fn a_pass_carries_its_status_reference_between_cnf_and_dp() {
    let reference = StatusReference {
        index: 123_456,
        uri: "https://kdca.kr/s/7".into(),
    };
    let pass =
        crate::Pass::issue(&claims_with_status(Some(reference.clone())), &issuer_key()).unwrap();
    assert_eq!(pass.claims().status, Some(reference));
    let signed = Signed::parse(pass.bytes()).unwrap();
    assert_eq!(claim_keys(&signed), [1, 4, 5, 6, 7, 8, 65535, -65537]);
    let without = crate::Pass::issue(&claims_with_status(None), &issuer_key()).unwrap();
    assert_eq!(without.claims().status, None);
}

#[test]
fn malformed_status_claims_are_refused_with_the_field_named() {
    let text = |s: &str| Value::Text(s.into());
    let list =
        |fields: Vec<(Value, Value)>| Value::Map(vec![(text("status_list"), Value::Map(fields))]);
    let cases = [
        Value::Bool(true),
        Value::Map(vec![(text("other_mechanism"), Value::Map(vec![]))]),
        list(vec![(text("uri"), text("https://kdca.kr/s/1"))]),
        list(vec![(text("idx"), text("1")), (text("uri"), text("u"))]),
        list(vec![(text("idx"), cbor::uint(1))]),
        list(vec![
            (text("idx"), cbor::uint(1)),
            (text("uri"), text(&"u".repeat(65))),
        ]),
        list(vec![(text("idx"), cbor::uint(1)), (text("uri"), text(""))]),
        list(vec![
            (text("idx"), cbor::uint(1)),
            (text("uri"), cbor::uint(1)),
        ]),
    ];
    for status in cases {
        let bytes = pass_with_status_value(status.clone());
        assert!(crate::Pass::parse(&bytes).is_err(), "{status:?}");
    }
    // Unknown fields beside idx and uri are ignored, as the draft allows.
    let extra = list(vec![
        (text("idx"), cbor::uint(3)),
        (text("uri"), text("https://kdca.kr/s/1")),
        (text("future"), cbor::uint(0)),
    ]);
    let pass = crate::Pass::parse(&pass_with_status_value(extra)).unwrap();
    assert_eq!(pass.claims().status.as_ref().map(|s| s.index), Some(3));
}
