use p256::ecdsa::signature::Verifier as _;

use super::*;
use crate::keys::generate_signing_key;

fn p256_key(seed: u8) -> P256SigningKey {
    P256SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn cose_key(pairs: Vec<(i64, Value)>) -> IntMap {
    let map = pairs.into_iter().map(|(k, v)| (cbor::key(k), v)).collect();
    IntMap::new(Value::Map(map), "cnf COSE_Key").unwrap()
}

/// An x coordinate with no point on P-256 (x³ − 3x + b is not a square), found deterministically.
fn x_not_on_curve() -> [u8; 32] {
    (0u8..=255)
        .map(|i| {
            let mut x = [0u8; 32];
            x[31] = i;
            x
        })
        .find(|x| {
            let sec1 = [&[0x02][..], x].concat();
            P256VerifyingKey::from_sec1_bytes(&sec1).is_err()
        })
        .expect("half of all x have no point")
}

/// The high-S twin of a valid ES256 signature: (r, n − s), which plain ECDSA also accepts.
fn high_s_twin(signature: &[u8; 64]) -> [u8; 64] {
    let low = p256::ecdsa::Signature::from_slice(signature).unwrap();
    let (r, s) = low.split_scalars();
    let high_s = -*s.as_ref();
    let high = p256::ecdsa::Signature::from_scalars(r.to_bytes(), high_s.to_bytes()).unwrap();
    high.to_bytes().into()
}

#[test]
fn p256_cose_key_is_compressed_and_round_trips() {
    for seed in 1..=8 {
        let public = p256_key(seed).holder_public_key();
        let Value::Map(pairs) = public.to_cose_key() else {
            panic!("a map")
        };
        let keys: Vec<Value> = pairs.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(keys, [KTY, CRV, X, Y].map(cbor::key));
        let HolderPublicKey::P256(inner) = public else {
            panic!("P-256")
        };
        let sec1 = inner.to_encoded_point(true);
        assert_eq!(pairs[3].1, Value::Bool(sec1.as_bytes()[0] == 0x03));
        assert_eq!(pairs[2].1, Value::Bytes(sec1.as_bytes()[1..].to_vec()));
        let map = IntMap::new(public.to_cose_key(), "cnf COSE_Key").unwrap();
        assert_eq!(HolderPublicKey::from_cose_key(map).unwrap(), public);
        assert_eq!(
            HolderPublicKey::from_bytes(&public.to_bytes()).unwrap(),
            public
        );
    }
    let ed = generate_signing_key().holder_public_key();
    assert_eq!(HolderPublicKey::from_bytes(&ed.to_bytes()).unwrap(), ed);
    assert_eq!(ed.kind(), HolderKeyKind::Ed25519);
}

#[test]
fn es256_proofs_verify_with_low_s_and_only_against_their_key() {
    let key = p256_key(3);
    let public = key.holder_public_key();
    assert_eq!(public.kind(), HolderKeyKind::P256);
    for i in 0..64u32 {
        let message = i.to_be_bytes();
        let signature = key.sign_holder_message(&message);
        let parsed = p256::ecdsa::Signature::from_slice(&signature).unwrap();
        assert!(parsed.normalize_s().is_none(), "the signer writes low S");
        assert_eq!(public.verify(&message, &signature), Ok(()));
        // ring (which verifies) and p256 (which signed) agree.
        let HolderPublicKey::P256(inner) = public else {
            panic!("P-256")
        };
        assert!(inner.verify(&message, &parsed).is_ok());
        assert_eq!(
            public.verify(b"other", &signature),
            Err(HolderSignatureError::Invalid)
        );
        assert_eq!(
            p256_key(4).holder_public_key().verify(&message, &signature),
            Err(HolderSignatureError::Invalid)
        );
    }
}

#[test]
fn high_s_der_and_cross_algorithm_signatures_are_refused() {
    let key = p256_key(5);
    let public = key.holder_public_key();
    let signature = key.sign_holder_message(b"m");
    let high = high_s_twin(&signature);
    // Plain ECDSA accepts the twin; DP1 does not.
    let twin = p256::ecdsa::Signature::from_slice(&high).unwrap();
    let HolderPublicKey::P256(inner) = public else {
        panic!("P-256")
    };
    assert!(inner.verify(b"m", &twin).is_ok());
    assert_eq!(public.verify(b"m", &high), Err(HolderSignatureError::HighS));
    let der = p256::ecdsa::Signature::from_slice(&signature)
        .unwrap()
        .to_der();
    assert_eq!(
        public.verify(b"m", der.as_bytes()),
        Err(HolderSignatureError::WrongLength {
            len: der.as_bytes().len()
        })
    );
    // The algorithm follows the key: an Ed25519 signature never checks against a P-256 key,
    // nor an ES256 signature against an Ed25519 key.
    let ed = generate_signing_key();
    let ed_signature = ed.sign_holder_message(b"m");
    // (Read as r ‖ s, half of all Ed25519 signatures have a high S: refused either way.)
    assert!(public.verify(b"m", &ed_signature).is_err());
    assert_eq!(
        ed.holder_public_key().verify(b"m", &signature),
        Err(HolderSignatureError::Invalid)
    );
    assert_eq!(ed.holder_public_key().verify(b"m", &ed_signature), Ok(()));
}

#[test]
fn malformed_p256_cose_keys_are_refused_with_their_reason() {
    let x = Value::Bytes(vec![0; 32]);
    let refusal = |pairs| HolderPublicKey::from_cose_key(cose_key(pairs)).unwrap_err();
    let not_on_curve = Value::Bytes(x_not_on_curve().to_vec());
    assert_eq!(
        refusal(vec![
            (KTY, cbor::uint(2)),
            (CRV, cbor::key(1)),
            (X, not_on_curve),
            (Y, Value::Bool(false)),
        ]),
        FormatError::HolderKey(HolderKeyError::PointNotOnCurve)
    );
    let real = p256_key(6).holder_public_key().to_bytes();
    let HolderPublicKey::P256(inner) = p256_key(6).holder_public_key() else {
        panic!("P-256")
    };
    let uncompressed = inner.to_encoded_point(false);
    assert_eq!(
        refusal(vec![
            (KTY, cbor::uint(2)),
            (CRV, cbor::key(1)),
            (X, Value::Bytes(real[1..].to_vec())),
            (Y, Value::Bytes(uncompressed.y().unwrap().to_vec())),
        ]),
        FormatError::HolderKey(HolderKeyError::UncompressedPoint)
    );
    assert_eq!(
        refusal(vec![
            (KTY, cbor::uint(2)),
            (CRV, cbor::key(2)),
            (X, x.clone()),
            (Y, Value::Bool(true)),
        ]),
        FormatError::HolderKey(HolderKeyError::UnsupportedCurve)
    );
    assert_eq!(
        refusal(vec![
            (KTY, cbor::uint(2)),
            (CRV, cbor::key(1)),
            (X, Value::Bytes(vec![1; 33])),
            (Y, Value::Bool(true)),
        ]),
        FormatError::HolderKey(HolderKeyError::BadCoordinate)
    );
    assert_eq!(
        refusal(vec![
            (KTY, cbor::uint(2)),
            (CRV, cbor::key(1)),
            (X, x.clone())
        ]),
        FormatError::MissingClaim("y")
    );
    assert_eq!(
        refusal(vec![(KTY, cbor::uint(3)), (CRV, cbor::key(1)), (X, x)]),
        FormatError::HolderKey(HolderKeyError::UnsupportedKeyType { kty: 3 })
    );
    // An OKP key on the P-256 curve number is not a P-256 key.
    assert!(matches!(
        refusal(vec![
            (KTY, cbor::uint(1)),
            (CRV, cbor::key(1)),
            (X, Value::Bytes(vec![0; 32])),
        ]),
        FormatError::InvalidClaim { claim: "crv", .. }
    ));
    assert_eq!(
        HolderPublicKey::from_bytes(&[0x04; 65]),
        Err(HolderKeyError::UnknownEncoding { len: 65 })
    );
    let off_curve = [&[0x02][..], &x_not_on_curve()].concat();
    assert_eq!(
        HolderPublicKey::from_bytes(&off_curve),
        Err(HolderKeyError::PointNotOnCurve)
    );
}
