//! Key attestation at enrolment (issue 22 part 3, docs/holder-keys.md): when the issuer's start
//! answer carries an attestation challenge, a wallet with a platform signer makes a new hardware
//! key bound to it and sends, with its completion, the new key, the key's own proof of possession
//! and the platform's evidence. This module builds that part of the request; the wallet decides
//! when (see `wallet::attest`).

use doorpass_format::api::{
    self, AttestationEvidence, CHALLENGE_ID_LEN, KeyAttestation, MAX_ATTESTATION_EVIDENCE_LEN,
    attestation_client_data, b64,
};
use doorpass_format::holder_key::HolderKeyKind;
use sha2::Digest as _;

use crate::holder_signer::{
    HolderSignerError, PlatformAttestation, PlatformKey, platform_public_key,
};

/// Most certificates an Android attestation chain may have (real ones have 3 to 5).
pub const MAX_CHAIN_CERTIFICATES: usize = 10;
/// Largest evidence item (a certificate, an App Attest object or key id) the wallet sends, in
/// bytes; real ones are a few KB, and a whole chain is at most
/// [`MAX_ATTESTATION_EVIDENCE_LEN`].
pub const MAX_EVIDENCE_ITEM_LEN: usize = MAX_ATTESTATION_EVIDENCE_LEN;

/// The client data hash an iOS app gives App Attest's `attestKey` for a new holder key:
/// SHA-256 of [`attestation_client_data`]`(challenge, key)`, the key as the pass will name it (the
/// 33-byte compressed point), whatever form the platform gave (`platform_public_key`: 65-byte
/// `x963Representation` or 33 bytes).
pub fn app_attest_client_data_hash(
    challenge: &[u8],
    platform_public_key_bytes: &[u8],
) -> Result<[u8; 32], HolderSignerError> {
    let key = platform_public_key(HolderKeyKind::P256, platform_public_key_bytes)?;
    Ok(sha2::Sha256::digest(attestation_client_data(challenge, &key.to_bytes())).into())
}

/// The platform's attestation as the issuer API carries it (each item base64url). Refuses evidence
/// that is empty or larger than any real one ([`MAX_CHAIN_CERTIFICATES`],
/// [`MAX_EVIDENCE_ITEM_LEN`]): an app bug, sent nowhere.
pub fn evidence_of(
    attestation: &PlatformAttestation,
) -> Result<AttestationEvidence, HolderSignerError> {
    let bad = |why: String| HolderSignerError::BadAttestation(why);
    let check_item = |what: &str, item: &[u8]| {
        if item.is_empty() || item.len() > MAX_EVIDENCE_ITEM_LEN {
            Err(bad(format!("{what} is {} bytes", item.len())))
        } else {
            Ok(())
        }
    };
    match attestation {
        PlatformAttestation::AndroidKeystore { chain } => {
            if chain.is_empty() || chain.len() > MAX_CHAIN_CERTIFICATES {
                return Err(bad(format!(
                    "the certificate chain has {} certificates",
                    chain.len()
                )));
            }
            for certificate in chain {
                check_item("a certificate", certificate)?;
            }
            let total: usize = chain.iter().map(Vec::len).sum();
            if total > MAX_ATTESTATION_EVIDENCE_LEN {
                return Err(bad(format!("the certificate chain is {total} bytes")));
            }
            Ok(AttestationEvidence::AndroidKeystore {
                chain: chain.iter().map(|c| b64(c)).collect(),
            })
        }
        PlatformAttestation::AppleAppAttest { key_id, object } => {
            check_item("the App Attest key id", key_id)?;
            check_item("the attestation object", object)?;
            Ok(AttestationEvidence::AppleAppAttest {
                key_id: b64(key_id),
                object: b64(object),
            })
        }
    }
}

/// The `attestation` of an enrolment completion: `key` (made for this enrolment, P-256), its proof
/// over [`api::enrolment_proof_message`] for `challenge_id` and itself, and `evidence`.
pub fn key_attestation(
    key: &PlatformKey,
    challenge_id: &[u8; CHALLENGE_ID_LEN],
    evidence: AttestationEvidence,
) -> Result<KeyAttestation, HolderSignerError> {
    let holder_key = key.public_key();
    if holder_key.kind() != HolderKeyKind::P256 {
        return Err(HolderSignerError::BadAttestation(
            "an attested holder key must be P-256".into(),
        ));
    }
    let key_bytes = holder_key.to_bytes();
    let proof = key.sign(&api::enrolment_proof_message(challenge_id, &key_bytes))?;
    Ok(KeyAttestation {
        holder_key: b64(&key_bytes),
        proof: b64(&proof),
        evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::holder_signer::{CreatedPlatformKey, PlatformSigner, PlatformSignerError};
    use doorpass_format::holder_key::{
        HolderPublicKey, HolderSigner as _, P256SigningKey, generate_p256_signing_key,
    };
    use std::sync::Arc;

    /// One software P-256 key behind the platform signer interface, answering raw signatures.
    struct OneKey(P256SigningKey);

    impl PlatformSigner for OneKey {
        fn algorithm(&self) -> HolderKeyKind {
            HolderKeyKind::P256
        }
        fn create_key(
            &self,
            challenge: Option<&[u8]>,
        ) -> Result<CreatedPlatformKey, PlatformSignerError> {
            Ok(CreatedPlatformKey {
                key_id: "k1".into(),
                public_key: self.0.verifying_key().to_sec1_bytes().to_vec(),
                attestation: challenge.map(|c| PlatformAttestation::AndroidKeystore {
                    chain: vec![c.to_vec()],
                }),
            })
        }
        fn sign(&self, _: &str, message: &[u8]) -> Result<Vec<u8>, PlatformSignerError> {
            Ok(self.0.sign_holder_message(message).to_vec())
        }
        fn delete_key(&self, _: &str) -> Result<(), PlatformSignerError> {
            Ok(())
        }
    }

    #[test]
    fn the_completion_attestation_carries_the_new_key_its_own_proof_and_the_evidence() {
        let signer = Arc::new(OneKey(generate_p256_signing_key()));
        let (key, attestation) = PlatformKey::create(signer.clone(), Some(&[7; 32])).unwrap();
        let evidence = evidence_of(&attestation.unwrap()).unwrap();
        let challenge_id = [3u8; CHALLENGE_ID_LEN];
        let sent = key_attestation(&key, &challenge_id, evidence).unwrap();

        let expected_key = HolderPublicKey::P256(*signer.0.verifying_key());
        assert_eq!(sent.holder_key, b64(&expected_key.to_bytes()), "compressed");
        let proof = api::b64_vec(&sent.proof, 64).unwrap();
        let message = api::enrolment_proof_message(&challenge_id, &expected_key.to_bytes());
        expected_key.verify(&message, &proof).unwrap();
        assert!(matches!(
            sent.evidence,
            AttestationEvidence::AndroidKeystore { chain } if chain == vec![b64(&[7; 32])]
        ));
    }

    #[test]
    fn the_app_attest_client_data_hash_binds_the_challenge_and_the_compressed_key() {
        let key = generate_p256_signing_key();
        let uncompressed = key.verifying_key().to_encoded_point(false);
        let compressed = HolderPublicKey::P256(*key.verifying_key()).to_bytes();
        let hash = app_attest_client_data_hash(&[9; 32], uncompressed.as_bytes()).unwrap();
        let expected: [u8; 32] =
            sha2::Sha256::digest([b"DP1-app-attest".as_slice(), &[9; 32], &compressed].concat())
                .into();
        assert_eq!(hash, expected);
        assert_eq!(
            app_attest_client_data_hash(&[9; 32], &compressed).unwrap(),
            expected
        );
        assert!(app_attest_client_data_hash(&[9; 32], &[4; 65]).is_err());
    }

    #[test]
    fn empty_or_oversized_evidence_is_refused_before_it_is_sent() {
        let too_long = PlatformAttestation::AndroidKeystore {
            chain: vec![vec![1]; MAX_CHAIN_CERTIFICATES + 1],
        };
        let empty_chain = PlatformAttestation::AndroidKeystore { chain: vec![] };
        let huge_object = PlatformAttestation::AppleAppAttest {
            key_id: vec![1; 32],
            object: vec![0; MAX_EVIDENCE_ITEM_LEN + 1],
        };
        let empty_key_id = PlatformAttestation::AppleAppAttest {
            key_id: vec![],
            object: vec![1],
        };
        for bad in [too_long, empty_chain, huge_object, empty_key_id] {
            assert!(
                matches!(evidence_of(&bad), Err(HolderSignerError::BadAttestation(_))),
                "{bad:?}"
            );
        }
    }
}
