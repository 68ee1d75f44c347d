//! A platform signer as a phone has one, for the cross-part tests: P-256 keys the core never sees
//! (ring), one per `create_key`, signing in DER as Android's Keystore does, addressed by key ids;
//! optionally attesting a key made with a challenge, as [`Attests`] says: with a stand-in chain
//! that does not check (what the wallet makes, records, sends and deletes), or with a valid
//! Android Keystore chain or App Attest object made by the attestation crate's test builders under
//! a test root the dev issuer is configured with ([`DerPlatform::configure_issuer`]).

// Each test file that includes this module uses part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use doorpass_attestation::testing::{AndroidChainBuilder, AppAttestBuilder, TestRoot};
use doorpass_format::holder_key::{HolderKeyKind, HolderPublicKey, P256VerifyingKey};
use doorpass_issuer::IssuerConfig;
use doorpass_issuer::attestation::AttestationMode;
use doorpass_wallet::holder_signer::{
    CreatedPlatformKey, PlatformAttestation, PlatformSigner, PlatformSignerError,
};
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

/// The iOS app id (`TEAMID.bundle`) the App Attest platform attests for and the issuer expects.
pub const TEST_APP_ID: &str = "TEAM123456.org.doorpass.wallet";

/// What the platform gives for a key made with an attestation challenge.
pub enum Attests {
    /// Nothing (no secure hardware, a simulator).
    Nothing,
    /// A one-certificate "chain" that carries the challenge but is no certificate: it never checks.
    StandIn,
    /// A chain larger than any wallet sends (ten 3,000-byte "certificates"): an app's bug.
    Oversized,
    /// A valid Android Keystore chain under `root` for the new key at KeyMint security `level`
    /// (`SECURITY_LEVEL_*`), bound to the challenge, or to another one with `wrong_challenge`.
    Android {
        /// The test attestation root the chain ends in.
        root: TestRoot,
        /// The attestation security level.
        level: i64,
        /// Whether the chain answers another challenge than the one asked.
        wrong_challenge: bool,
    },
    /// A valid App Attest object under `root` for [`TEST_APP_ID`], over the client data hash of
    /// the challenge and the new key.
    Apple {
        /// The test App Attestation root.
        root: TestRoot,
    },
}

/// Keys by id, with what was asked of them.
pub struct DerPlatform {
    attests: Attests,
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
        Self::with(Attests::Nothing)
    }

    /// A platform that "attests" keys made with a challenge with a stand-in chain that does not
    /// check.
    pub fn attesting() -> std::sync::Arc<Self> {
        Self::with(Attests::StandIn)
    }

    /// A platform that attests as `attests` says.
    pub fn with(attests: Attests) -> std::sync::Arc<Self> {
        std::sync::Arc::new(DerPlatform {
            attests,
            state: Mutex::default(),
        })
    }

    /// An Android phone whose Keystore attests keys at `level` under a new test root.
    pub fn android(level: i64) -> std::sync::Arc<Self> {
        Self::with(Attests::Android {
            root: TestRoot::new("Test Android attestation root"),
            level,
            wrong_challenge: false,
        })
    }

    /// An iPhone whose App Attest attests for [`TEST_APP_ID`] under a new test root.
    pub fn apple() -> std::sync::Arc<Self> {
        Self::with(Attests::Apple {
            root: TestRoot::new("Test App Attestation Root CA"),
        })
    }

    /// Sets the dev issuer's attestation `mode` and makes it trust this platform's test root (and
    /// app id), the root written as PEM into `dir`, which must outlive the issuer's start.
    pub fn configure_issuer(&self, config: &mut IssuerConfig, mode: AttestationMode, dir: &Path) {
        config.attestation.mode = mode;
        let root = match &self.attests {
            Attests::Android { root, .. } | Attests::Apple { root } => root,
            Attests::Nothing | Attests::StandIn | Attests::Oversized => return,
        };
        let path = dir.join("attestation-root.pem");
        std::fs::write(&path, pem_certificate(root.der())).unwrap();
        match &self.attests {
            Attests::Apple { .. } => {
                config.attestation.apple_root = Some(path);
                config.attestation.apple_app_id = Some(TEST_APP_ID.into());
            }
            _ => config.attestation.android_roots = Some(path),
        }
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

impl DerPlatform {
    /// The platform's attestation of a key with SEC1 point `public_key` made for `challenge`.
    fn attest(&self, challenge: &[u8], public_key: &[u8]) -> Option<PlatformAttestation> {
        let compressed =
            HolderPublicKey::P256(P256VerifyingKey::from_sec1_bytes(public_key).ok()?).to_bytes();
        match &self.attests {
            Attests::Nothing => None,
            Attests::StandIn => Some(PlatformAttestation::AndroidKeystore {
                chain: vec![[b"leaf with challenge ".as_slice(), challenge].concat()],
            }),
            Attests::Oversized => Some(PlatformAttestation::AndroidKeystore {
                chain: vec![vec![0x30; 3000]; 10],
            }),
            Attests::Android {
                root,
                level,
                wrong_challenge,
            } => {
                let answered: Vec<u8> = if *wrong_challenge {
                    challenge.iter().map(|byte| byte ^ 0xff).collect()
                } else {
                    challenge.to_vec()
                };
                let chain = AndroidChainBuilder::new(root, &compressed, &answered)
                    .security_level(*level)
                    .build();
                Some(PlatformAttestation::AndroidKeystore { chain })
            }
            Attests::Apple { root } => {
                let made =
                    AppAttestBuilder::for_enrolment(root, TEST_APP_ID, challenge, &compressed)
                        .build();
                Some(PlatformAttestation::AppleAppAttest {
                    key_id: made.key_id,
                    object: made.object,
                })
            }
        }
    }
}

/// A DER certificate as PEM.
fn pem_certificate(der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
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
        let attestation =
            attestation_challenge.and_then(|challenge| self.attest(challenge, &public_key));
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
