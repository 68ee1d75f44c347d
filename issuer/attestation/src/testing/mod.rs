//! Test attestations (cargo feature `testing`): a test root CA, Android Keystore attestation
//! chains whose leaf carries a KeyDescription encoded here, and App Attest attestation objects
//! in real CBOR, each with knobs to make one thing wrong. Made with rcgen (ECDSA P-256). Test
//! support: anything that goes wrong panics.
//!
//! ```
//! use doorpass_attestation::android::{AndroidPolicy, verify_android_key_attestation};
//! use doorpass_attestation::testing::{AndroidChainBuilder, TEST_NOW, TestRoot, test_holder_key};
//!
//! let root = TestRoot::new("test attestation root");
//! let holder_key = test_holder_key(7);
//! let chain = AndroidChainBuilder::new(&root, &holder_key, b"challenge").build();
//! let policy = AndroidPolicy { roots: vec![root.der().to_vec()], revoked_serials: vec![] };
//! assert!(verify_android_key_attestation(&chain, &holder_key, b"challenge", &policy, TEST_NOW).is_ok());
//! ```

mod android;
mod apple;
mod der;

use p256::elliptic_curve::sec1::ToEncodedPoint;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PublicKeyData, SignatureAlgorithm, date_time_ymd,
};

pub use android::AndroidChainBuilder;
pub use apple::{AppAttestBuilder, AppAttestation};

/// A time (2027-01-15) inside the validity of every certificate made here, except expired ones.
pub const TEST_NOW: u64 = 1_800_000_000;

/// KeyDescription `attestationSecurityLevel` Software.
pub const SECURITY_LEVEL_SOFTWARE: i64 = 0;
/// The key is in the Trusted Execution Environment.
pub const SECURITY_LEVEL_TRUSTED_ENVIRONMENT: i64 = 1;
/// The key is in a StrongBox secure element.
pub const SECURITY_LEVEL_STRONG_BOX: i64 = 2;
/// KeyMint purpose ENCRYPT.
pub const PURPOSE_ENCRYPT: i64 = 0;
/// KeyMint purpose SIGN.
pub const PURPOSE_SIGN: i64 = 2;
/// KeyMint purpose VERIFY.
pub const PURPOSE_VERIFY: i64 = 3;
/// KeyMint algorithm RSA.
pub const ALGORITHM_RSA: i64 = 1;
/// KeyMint algorithm EC.
pub const ALGORITHM_EC: i64 = 3;
/// KeyMint origin GENERATED (in the hardware).
pub const ORIGIN_GENERATED: i64 = 0;
/// KeyMint origin IMPORTED (into the hardware).
pub const ORIGIN_IMPORTED: i64 = 2;

pub(crate) const KEY_DESCRIPTION_OID: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 1, 17];
pub(crate) const APPLE_NONCE_OID: &[u64] = &[1, 2, 840, 113635, 100, 8, 2];

/// A deterministic P-256 holder key for tests: the compressed point (33 bytes) of the secret
/// scalar `seed` (1 or more).
pub fn test_holder_key(seed: u8) -> Vec<u8> {
    let mut scalar = [0u8; 32];
    scalar[31] = seed.max(1);
    let secret = p256::SecretKey::from_slice(&scalar).unwrap();
    secret
        .public_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec()
}

/// A certificate authority for test attestations: its certificate and key.
pub struct TestRoot {
    name: String,
    params: CertificateParams,
    key: KeyPair,
    der: Vec<u8>,
    pem: String,
}

impl TestRoot {
    /// A new self-signed root named `name`, valid 2020 to 2099, with a fresh key.
    pub fn new(name: &str) -> TestRoot {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(name);
        let certificate = params.self_signed(&key).unwrap();
        TestRoot {
            name: name.into(),
            params,
            key,
            der: certificate.der().to_vec(),
            pem: certificate.pem(),
        }
    }

    /// The root certificate, DER: what a test policy trusts.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The root certificate as a PEM block: what an issuer's roots file holds.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    pub(crate) fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }

    /// Another issue of this root: same name and key, self-signed, valid only in 2016-2017 (as
    /// Google's 2016 issue of its RSA root, which old devices still send, expires in 2026).
    pub fn expired_reissue(&self) -> Vec<u8> {
        let mut params = ca_params(&self.name);
        params.not_before = date_time_ymd(2016, 1, 1);
        params.not_after = date_time_ymd(2017, 1, 1);
        params.self_signed(&self.key).unwrap().der().to_vec()
    }

    /// A CA certificate named `name` signed by this one.
    pub(crate) fn subordinate(&self, name: &str) -> TestRoot {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(name);
        let certificate = params.signed_by(&key, &self.issuer()).unwrap();
        TestRoot {
            name: name.into(),
            params,
            key,
            der: certificate.der().to_vec(),
            pem: certificate.pem(),
        }
    }
}

pub(crate) fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2099, 1, 1);
    params
}

/// Leaf certificate parameters: `name`, valid 2020 to 2099 or (expired) 2020 to 2021.
pub(crate) fn leaf_params(name: &str, expired: bool) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(if expired { 2021 } else { 2099 }, 1, 1);
    params
}

/// A P-256 public key known only by its point, as rcgen certifies it.
pub(crate) struct P256Point(Vec<u8>);

impl PublicKeyData for P256Point {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

pub(crate) fn uncompressed(sec1: &[u8]) -> Vec<u8> {
    let key = p256::PublicKey::from_sec1_bytes(sec1).expect("a P-256 point");
    key.to_encoded_point(false).as_bytes().to_vec()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
