//! A platform signer as a phone has one, for the cross-part tests: P-256 keys the core never sees
//! (ring), one per `create_key`, signing in DER as Android's Keystore does, addressed by key ids;
//! optionally "attesting" a key made with a challenge (a stand-in chain that carries the
//! challenge: the issuer's checks are tested in issuer/tests; here what matters is what the wallet
//! makes, records, sends and deletes).

// Each test file that includes this module uses part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Mutex;

use doorpass_format::holder_key::{HolderKeyKind, HolderPublicKey, P256VerifyingKey};
use doorpass_wallet::holder_signer::{
    CreatedPlatformKey, PlatformAttestation, PlatformSigner, PlatformSignerError,
};
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

/// Keys by id, with what was asked of them.
pub struct DerPlatform {
    attests: bool,
    state: Mutex<Keys>,
}

#[derive(Default)]
struct Keys {
    live: BTreeMap<String, EcdsaKeyPair>,
    made: usize,
    challenges: Vec<Vec<u8>>,
}

impl DerPlatform {
    /// A platform that gives no attestation (no secure hardware, a simulator).
    pub fn unattesting() -> std::sync::Arc<Self> {
        std::sync::Arc::new(DerPlatform {
            attests: false,
            state: Mutex::default(),
        })
    }

    /// A platform that attests keys made with a challenge.
    pub fn attesting() -> std::sync::Arc<Self> {
        std::sync::Arc::new(DerPlatform {
            attests: true,
            state: Mutex::default(),
        })
    }

    /// The ids of the keys that exist now.
    pub fn live_keys(&self) -> Vec<String> {
        self.state.lock().unwrap().live.keys().cloned().collect()
    }

    /// How many keys were ever made.
    pub fn made(&self) -> usize {
        self.state.lock().unwrap().made
    }

    /// The attestation challenges keys were made with.
    pub fn challenges(&self) -> Vec<Vec<u8>> {
        self.state.lock().unwrap().challenges.clone()
    }

    /// The public key of live key `id`.
    pub fn public_key_of(&self, id: &str) -> HolderPublicKey {
        let state = self.state.lock().unwrap();
        let point = state.live[id].public_key().as_ref().to_vec();
        HolderPublicKey::P256(P256VerifyingKey::from_sec1_bytes(&point).unwrap())
    }
}

impl PlatformSigner for DerPlatform {
    fn algorithm(&self) -> HolderKeyKind {
        HolderKeyKind::P256
    }

    fn create_key(
        &self,
        attestation_challenge: Option<&[u8]>,
    ) -> Result<CreatedPlatformKey, PlatformSignerError> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .map_err(|_| PlatformSignerError::KeyUnavailable("ring".into()))?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| PlatformSignerError::KeyUnavailable("ring".into()))?;
        let public_key = key.public_key().as_ref().to_vec();
        let mut state = self.state.lock().unwrap();
        state.made += 1;
        let key_id = format!("key-{}", state.made);
        state.live.insert(key_id.clone(), key);
        if let Some(challenge) = attestation_challenge {
            state.challenges.push(challenge.to_vec());
        }
        let attestation = attestation_challenge
            .filter(|_| self.attests)
            .map(|challenge| PlatformAttestation::AndroidKeystore {
                chain: vec![[b"leaf with challenge ".as_slice(), challenge].concat()],
            });
        Ok(CreatedPlatformKey {
            key_id,
            public_key,
            attestation,
        })
    }

    fn sign(&self, key_id: &str, message: &[u8]) -> Result<Vec<u8>, PlatformSignerError> {
        let state = self.state.lock().unwrap();
        let key = state
            .live
            .get(key_id)
            .ok_or_else(|| PlatformSignerError::KeyUnavailable(format!("no key {key_id}")))?;
        key.sign(&ring::rand::SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| PlatformSignerError::SigningFailed("ring refused".into()))
    }

    fn delete_key(&self, key_id: &str) -> Result<(), PlatformSignerError> {
        self.state.lock().unwrap().live.remove(key_id);
        Ok(())
    }
}
