use super::*;
use doorpass_format::holder_key::generate_p256_signing_key;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

/// A platform signer backed by ring: a real ECDSA signer that answers in DER, as Android's
/// `SHA256withECDSA` does, with S in either half.
struct RingSigner(EcdsaKeyPair);

fn ring_signer() -> RingSigner {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    RingSigner(
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap(),
    )
}

impl RingSigner {
    fn public_key(&self) -> Result<Vec<u8>, PlatformSignerError> {
        Ok(self.0.public_key().as_ref().to_vec())
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PlatformSignerError> {
        let rng = ring::rand::SystemRandom::new();
        self.0
            .sign(&rng, message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| PlatformSignerError::SigningFailed("ring".into()))
    }
}

/// A platform signer with one key (id "k"), whose public key is `RingSigner`'s, or the one given.
struct OneKeyPlatform(RingSigner, Option<Vec<u8>>);

impl PlatformSigner for OneKeyPlatform {
    fn algorithm(&self) -> HolderKeyKind {
        HolderKeyKind::P256
    }
    fn create_key(&self, _: Option<&[u8]>) -> Result<CreatedPlatformKey, PlatformSignerError> {
        Ok(CreatedPlatformKey {
            key_id: "k".into(),
            public_key: self.1.clone().map_or_else(|| self.0.public_key(), Ok)?,
            attestation: None,
        })
    }
    fn sign(&self, _: &str, message: &[u8]) -> Result<Vec<u8>, PlatformSignerError> {
        self.0.sign(message)
    }
    fn delete_key(&self, _: &str) -> Result<(), PlatformSignerError> {
        Ok(())
    }
}

fn is_low_s(raw: &[u8; 64]) -> bool {
    p256::ecdsa::Signature::from_slice(raw)
        .unwrap()
        .normalize_s()
        .is_none()
}

#[test]
fn der_signatures_from_a_real_signer_become_raw_low_s_proofs_that_verify() {
    let signer = ring_signer();
    let key = platform_public_key(HolderKeyKind::P256, &signer.public_key().unwrap()).unwrap();
    let mut high_s_seen = false;
    for n in 0..32u8 {
        let message = [b"DP1-present".as_slice(), &[n]].concat();
        let der = signer.sign(&message).unwrap();
        assert!((8..=72).contains(&der.len()) && der[0] == 0x30, "DER");
        let raw = normalise_es256_signature(&der).unwrap();
        assert!(is_low_s(&raw));
        key.verify(&message, &raw).unwrap();
        high_s_seen |= !is_low_s(&der_to_raw(&der).unwrap());
    }
    // Each signature has a high S with probability 1/2: 32 without one would be a 2^-32 event.
    assert!(high_s_seen, "some of ring's signatures had a high S");
}

#[test]
fn a_high_s_signature_is_normalised_to_its_low_s_twin() {
    let key = generate_p256_signing_key();
    let low = key.sign_holder_message(b"message");
    let parsed = p256::ecdsa::Signature::from_slice(&low).unwrap();
    let (r, s) = parsed.split_scalars();
    let high = p256::ecdsa::Signature::from_scalars(r, -*s)
        .unwrap()
        .to_bytes();
    assert!(!is_low_s(&high.into()));
    assert_eq!(normalise_es256_signature(&high).unwrap(), low);
    assert_eq!(normalise_es256_signature(&low).unwrap(), low);
}

#[test]
fn garbage_is_refused_with_a_clear_error() {
    let mut der = vec![0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01];
    assert!(
        normalise_es256_signature(&der).is_ok(),
        "r = s = 1 is well-formed"
    );
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![], "not a DER SEQUENCE"),
        (vec![0u8; 70], "not a DER SEQUENCE"),
        (der[..7].to_vec(), "not a DER SEQUENCE"),
        (vec![0x30, 0x03, 0x02, 0x01, 0x80], "r is not"),
        (vec![0x30, 0x04, 0x02, 0x02, 0x00, 0x01], "r is not"),
        (vec![0x30, 0x03, 0x02, 0x01, 0x01], "s is not"),
        (
            {
                der.extend([0x00]);
                der[1] = 0x07;
                der
            },
            "bytes after",
        ),
        (vec![0u8; 64], "out of range"),
    ];
    for (bytes, why) in cases {
        let err = normalise_es256_signature(&bytes).unwrap_err();
        assert!(
            matches!(&err, HolderSignerError::BadSignature(d) if d.contains(why)),
            "{bytes:?}: {err}"
        );
    }
}

#[test]
fn a_platform_key_checks_its_signatures_and_its_public_key() {
    let signer = Arc::new(OneKeyPlatform(ring_signer(), None));
    let (key, attestation) = PlatformKey::create(signer.clone(), None).unwrap();
    assert_eq!(attestation, None);
    let raw = key.sign(b"message").unwrap();
    key.public_key().verify(b"message", &raw).unwrap();
    // Read back from what the wallet records: the same key.
    let again = PlatformKey::from_record(signer, &key.record()).unwrap();
    assert_eq!(again.public_key(), key.public_key());
    assert_eq!(again.key_id(), "k");

    // A signer whose public key is not the key that signs.
    let other = ring_signer().public_key().unwrap();
    let mismatched = Arc::new(OneKeyPlatform(ring_signer(), Some(other)));
    let (mismatched, _) = PlatformKey::create(mismatched, None).unwrap();
    assert_eq!(
        mismatched.sign(b"message").unwrap_err(),
        HolderSignerError::SignatureMismatch
    );
    let off = OneKeyPlatform(ring_signer(), Some(vec![0x04; 65]));
    assert!(matches!(
        PlatformKey::create(Arc::new(off), None),
        Err(HolderSignerError::BadPublicKey { .. })
    ));
}

#[test]
fn software_keys_round_trip_through_the_secret_store_by_their_recorded_kind() {
    let p256 = HolderKey::P256(generate_p256_signing_key());
    let bytes = p256.secret_bytes().unwrap();
    let back = HolderKey::from_secret(HolderKeyStorage::SoftwareP256, &bytes).unwrap();
    assert_eq!(back.public_key(), p256.public_key());
    // The same 32 bytes read as an Ed25519 seed are another key: the kind must be recorded.
    let misread = HolderKey::from_secret(HolderKeyStorage::SoftwareEd25519, &bytes).unwrap();
    assert_ne!(misread.public_key(), p256.public_key());
    assert!(HolderKey::from_secret(HolderKeyStorage::SoftwareP256, &[0u8; 32]).is_none());
    assert_eq!(
        serde_json::from_str::<HolderKeyStorage>("\"software_p256\"").unwrap(),
        HolderKeyStorage::SoftwareP256
    );
}
