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

use ciborium::Value;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData, SerialNumber, SignatureAlgorithm, date_time_ymd,
};
use sha2::{Digest, Sha256};

use crate::apple::AppAttestEnvironment;

/// A time (2027-01-15) inside the validity of every certificate made here, except expired ones.
pub const TEST_NOW: u64 = 1_800_000_000;

/// KeyDescription `attestationSecurityLevel` values.
pub const SECURITY_LEVEL_SOFTWARE: i64 = 0;
/// The key is in the Trusted Execution Environment.
pub const SECURITY_LEVEL_TRUSTED_ENVIRONMENT: i64 = 1;
/// The key is in a StrongBox secure element.
pub const SECURITY_LEVEL_STRONG_BOX: i64 = 2;
/// KeyMint purposes: ENCRYPT, SIGN, VERIFY.
pub const PURPOSE_ENCRYPT: i64 = 0;
/// KeyMint purpose SIGN.
pub const PURPOSE_SIGN: i64 = 2;
/// KeyMint purpose VERIFY.
pub const PURPOSE_VERIFY: i64 = 3;
/// KeyMint algorithms: RSA and EC.
pub const ALGORITHM_RSA: i64 = 1;
/// KeyMint algorithm EC.
pub const ALGORITHM_EC: i64 = 3;
/// KeyMint origins: GENERATED in the hardware, IMPORTED into it.
pub const ORIGIN_GENERATED: i64 = 0;
/// KeyMint origin IMPORTED.
pub const ORIGIN_IMPORTED: i64 = 2;

const KEY_DESCRIPTION_OID: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 1, 17];
const APPLE_NONCE_OID: &[u64] = &[1, 2, 840, 113635, 100, 8, 2];

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
    params: CertificateParams,
    key: KeyPair,
    der: Vec<u8>,
}

impl TestRoot {
    /// A new self-signed root named `name`, valid 2020 to 2099, with a fresh key.
    pub fn new(name: &str) -> TestRoot {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(name);
        let der = params.self_signed(&key).unwrap().der().to_vec();
        TestRoot { params, key, der }
    }

    /// The root certificate, DER: what a test policy trusts.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }

    /// A CA certificate named `name` signed by this one.
    fn subordinate(&self, name: &str) -> TestRoot {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(name);
        let der = params
            .signed_by(&key, &self.issuer())
            .unwrap()
            .der()
            .to_vec();
        TestRoot { params, key, der }
    }
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2099, 1, 1);
    params
}

/// Leaf certificate parameters: `name`, valid 2020 to 2099 or (expired) 2020 to 2021.
fn leaf_params(name: &str, expired: bool) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(if expired { 2021 } else { 2099 }, 1, 1);
    params
}

/// A P-256 public key known only by its point, as rcgen certifies it.
struct P256Point(Vec<u8>);

impl PublicKeyData for P256Point {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

fn uncompressed(sec1: &[u8]) -> Vec<u8> {
    let key = p256::PublicKey::from_sec1_bytes(sec1).expect("a P-256 point");
    key.to_encoded_point(false).as_bytes().to_vec()
}

/// Builds an Android Keystore attestation chain (leaf, intermediate, root) for a holder key:
/// by default a TEE key, purpose SIGN and VERIFY, algorithm EC, generated in the hardware.
pub struct AndroidChainBuilder<'r> {
    root: &'r TestRoot,
    holder_point: Vec<u8>,
    challenge: Vec<u8>,
    security_level: i64,
    purposes: Vec<i64>,
    algorithm: i64,
    origin: i64,
    expired: bool,
    serial: Option<Vec<u8>>,
    key_description: bool,
    unrelated_intermediate: bool,
    include_root: bool,
    extended_below: bool,
}

impl<'r> AndroidChainBuilder<'r> {
    /// A chain under `root` certifying `holder_key` (a SEC1 P-256 point, compressed or not) for
    /// `challenge`.
    pub fn new(root: &'r TestRoot, holder_key: &[u8], challenge: &[u8]) -> Self {
        AndroidChainBuilder {
            root,
            holder_point: uncompressed(holder_key),
            challenge: challenge.to_vec(),
            security_level: SECURITY_LEVEL_TRUSTED_ENVIRONMENT,
            purposes: vec![PURPOSE_SIGN, PURPOSE_VERIFY],
            algorithm: ALGORITHM_EC,
            origin: ORIGIN_GENERATED,
            expired: false,
            serial: None,
            key_description: true,
            unrelated_intermediate: false,
            include_root: true,
            extended_below: false,
        }
    }

    /// The attestation (and KeyMint) security level, e.g. [`SECURITY_LEVEL_STRONG_BOX`].
    pub fn security_level(mut self, level: i64) -> Self {
        self.security_level = level;
        self
    }

    /// The hardware-enforced purposes (default SIGN and VERIFY).
    pub fn purposes(mut self, purposes: &[i64]) -> Self {
        self.purposes = purposes.to_vec();
        self
    }

    /// The hardware-enforced algorithm (default EC).
    pub fn algorithm(mut self, algorithm: i64) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The hardware-enforced origin (default GENERATED).
    pub fn origin(mut self, origin: i64) -> Self {
        self.origin = origin;
        self
    }

    /// Another challenge than the one given to [`AndroidChainBuilder::new`].
    pub fn challenge(mut self, challenge: &[u8]) -> Self {
        self.challenge = challenge.to_vec();
        self
    }

    /// Certifies another key than the one given to [`AndroidChainBuilder::new`].
    pub fn holder_key(mut self, holder_key: &[u8]) -> Self {
        self.holder_point = uncompressed(holder_key);
        self
    }

    /// The leaf certificate expired in 2021.
    pub fn expired(mut self) -> Self {
        self.expired = true;
        self
    }

    /// The leaf certificate's serial number (big-endian bytes).
    pub fn serial(mut self, serial: &[u8]) -> Self {
        self.serial = Some(serial.to_vec());
        self
    }

    /// The leaf carries no KeyDescription extension.
    pub fn without_key_description(mut self) -> Self {
        self.key_description = false;
        self
    }

    /// The chain's intermediate is not the one that signed the leaf (both are under the root).
    pub fn unrelated_intermediate(mut self) -> Self {
        self.unrelated_intermediate = true;
        self
    }

    /// The chain stops at the intermediate (leaf, intermediate), without the root.
    pub fn without_root(mut self) -> Self {
        self.include_root = false;
        self
    }

    /// A forgery: a genuine attestation certifies another key, and that key signs a leaf (with
    /// its own KeyDescription) for the holder key, put in front of the genuine chain.
    pub fn extended_below_attestation(mut self) -> Self {
        self.extended_below = true;
        self
    }

    /// The chain, DER, leaf first.
    pub fn build(self) -> Vec<Vec<u8>> {
        let signer = self.root.subordinate("Test Attestation Intermediate");
        // Same name, another key: the leaf's signature does not verify with it.
        let listed_intermediate = if self.unrelated_intermediate {
            self.root.subordinate("Test Attestation Intermediate").der
        } else {
            signer.der.clone()
        };

        let mut chain = Vec::new();
        if self.extended_below {
            // A genuine attestation of the forger's key, which then signs a leaf for the holder.
            let forger_key = KeyPair::generate().unwrap();
            let forger_params = self.attestation_leaf_params();
            let genuine = forger_params
                .signed_by(&forger_key, &signer.issuer())
                .unwrap();
            let forged = self
                .attestation_leaf_params()
                .signed_by(
                    &P256Point(self.holder_point.clone()),
                    &Issuer::from_params(&forger_params, &forger_key),
                )
                .unwrap();
            chain.push(forged.der().to_vec());
            chain.push(genuine.der().to_vec());
        } else {
            let leaf = self
                .attestation_leaf_params()
                .signed_by(&P256Point(self.holder_point.clone()), &signer.issuer())
                .unwrap();
            chain.push(leaf.der().to_vec());
        }
        chain.push(listed_intermediate);
        if self.include_root {
            chain.push(self.root.der.clone());
        }
        chain
    }

    fn attestation_leaf_params(&self) -> CertificateParams {
        let mut params = leaf_params("Android Keystore Key", self.expired);
        if let Some(serial) = &self.serial {
            params.serial_number = Some(SerialNumber::from_slice(serial));
        }
        if self.key_description {
            params
                .custom_extensions
                .push(CustomExtension::from_oid_content(
                    KEY_DESCRIPTION_OID,
                    self.key_description_der(),
                ));
        }
        params
    }

    /// The KeyDescription, as KeyMint 3 writes it (attestation version 300).
    fn key_description_der(&self) -> Vec<u8> {
        let purposes: Vec<u8> = self
            .purposes
            .iter()
            .flat_map(|&p| der::integer(p))
            .collect();
        let software_enforced = der::sequence(
            &[
                der::explicit(701, &der::integer(1_767_225_600_000)),
                der::explicit(709, &der::octet_string(b"org.doorpass.wallet")),
            ]
            .concat(),
        );
        let root_of_trust = der::sequence(
            &[
                der::octet_string(&[0; 32]),
                der::tlv(&[0x01], &[0xff]),
                der::enumerated(0),
                der::octet_string(&[0; 32]),
            ]
            .concat(),
        );
        let hardware_enforced = der::sequence(
            &[
                der::explicit(1, &der::tlv(&[0x31], &purposes)),
                der::explicit(2, &der::integer(self.algorithm)),
                der::explicit(3, &der::integer(256)),
                der::explicit(5, &der::tlv(&[0x31], &der::integer(4))),
                der::explicit(10, &der::integer(1)),
                der::explicit(503, &der::tlv(&[0x05], &[])),
                der::explicit(702, &der::integer(self.origin)),
                der::explicit(704, &root_of_trust),
                der::explicit(705, &der::integer(160_000)),
                der::explicit(706, &der::integer(202_601)),
            ]
            .concat(),
        );
        der::sequence(
            &[
                der::integer(300),
                der::enumerated(self.security_level),
                der::integer(300),
                der::enumerated(self.security_level),
                der::octet_string(&self.challenge),
                der::octet_string(&[]),
                software_enforced,
                hardware_enforced,
            ]
            .concat(),
        )
    }
}

/// An App Attest attestation made by [`AppAttestBuilder`].
#[derive(Debug, Clone)]
pub struct AppAttestation {
    /// The attestation object (CBOR).
    pub object: Vec<u8>,
    /// The App Attest key id: SHA-256 of the attested key's uncompressed point.
    pub key_id: Vec<u8>,
}

/// Builds an App Attest attestation object (x5c: leaf, intermediate under the root) for an app
/// id and a client data hash: by default counter 0, production, credential id = key id.
pub struct AppAttestBuilder<'r> {
    root: &'r TestRoot,
    app_id: String,
    client_data_hash: Vec<u8>,
    counter: u32,
    environment: AppAttestEnvironment,
    credential_id: Option<Vec<u8>>,
    nonce: Option<Vec<u8>>,
    expired: bool,
}

impl<'r> AppAttestBuilder<'r> {
    /// An attestation under `root` for `app_id` (`TEAMID.bundle`) over `client_data_hash`.
    pub fn new(root: &'r TestRoot, app_id: &str, client_data_hash: &[u8]) -> Self {
        AppAttestBuilder {
            root,
            app_id: app_id.into(),
            client_data_hash: client_data_hash.to_vec(),
            counter: 0,
            environment: AppAttestEnvironment::Production,
            credential_id: None,
            nonce: None,
            expired: false,
        }
    }

    /// The RP id hash is that of `app_id` instead.
    pub fn app_id(mut self, app_id: &str) -> Self {
        self.app_id = app_id.into();
        self
    }

    /// The authenticator data's counter (default 0).
    pub fn counter(mut self, counter: u32) -> Self {
        self.counter = counter;
        self
    }

    /// The environment whose aaguid the authenticator data carries (default production).
    pub fn environment(mut self, environment: AppAttestEnvironment) -> Self {
        self.environment = environment;
        self
    }

    /// The authenticator data's credential id (default: the key id).
    pub fn credential_id(mut self, credential_id: &[u8]) -> Self {
        self.credential_id = Some(credential_id.to_vec());
        self
    }

    /// The leaf's nonce extension carries `nonce` instead of SHA-256(authData ‖ client data
    /// hash).
    pub fn nonce(mut self, nonce: &[u8]) -> Self {
        self.nonce = Some(nonce.to_vec());
        self
    }

    /// The leaf certificate expired in 2021.
    pub fn expired(mut self) -> Self {
        self.expired = true;
        self
    }

    /// The attestation.
    pub fn build(self) -> AppAttestation {
        let key = KeyPair::generate().unwrap();
        let point = uncompressed(key.public_key_raw());
        let key_id = Sha256::digest(&point).to_vec();
        let credential_id = self.credential_id.clone().unwrap_or_else(|| key_id.clone());
        let auth_data = self.auth_data(&point, &credential_id);
        let nonce = self.nonce.clone().unwrap_or_else(|| {
            Sha256::new()
                .chain_update(&auth_data)
                .chain_update(&self.client_data_hash)
                .finalize()
                .to_vec()
        });

        let intermediate = self.root.subordinate("Test App Attestation CA 1");
        let mut params = leaf_params(&hex(&key_id), self.expired);
        let nonce_extension = der::sequence(&der::explicit(1, &der::octet_string(&nonce)));
        params
            .custom_extensions
            .push(CustomExtension::from_oid_content(
                APPLE_NONCE_OID,
                nonce_extension,
            ));
        let leaf = params.signed_by(&key, &intermediate.issuer()).unwrap();

        let statement = Value::Map(vec![
            (
                Value::Text("x5c".into()),
                Value::Array(vec![
                    Value::Bytes(leaf.der().to_vec()),
                    Value::Bytes(intermediate.der.clone()),
                ]),
            ),
            (
                Value::Text("receipt".into()),
                Value::Bytes(b"test receipt".to_vec()),
            ),
        ]);
        let object = Value::Map(vec![
            (
                Value::Text("fmt".into()),
                Value::Text("apple-appattest".into()),
            ),
            (Value::Text("attStmt".into()), statement),
            (Value::Text("authData".into()), Value::Bytes(auth_data)),
        ]);
        let mut bytes = Vec::new();
        ciborium::ser::into_writer(&object, &mut bytes).unwrap();
        AppAttestation {
            object: bytes,
            key_id,
        }
    }

    /// rpIdHash ‖ flags (AT) ‖ counter ‖ aaguid ‖ credential id length ‖ credential id ‖ COSE key.
    fn auth_data(&self, point: &[u8], credential_id: &[u8]) -> Vec<u8> {
        let cose_key = Value::Map(vec![
            (Value::Integer(1.into()), Value::Integer(2.into())),
            (Value::Integer(3.into()), Value::Integer((-7).into())),
            (Value::Integer((-1).into()), Value::Integer(1.into())),
            (
                Value::Integer((-2).into()),
                Value::Bytes(point[1..33].to_vec()),
            ),
            (
                Value::Integer((-3).into()),
                Value::Bytes(point[33..].to_vec()),
            ),
        ]);
        let mut data = Sha256::digest(self.app_id.as_bytes()).to_vec();
        data.push(0x40);
        data.extend_from_slice(&self.counter.to_be_bytes());
        data.extend_from_slice(self.environment.aaguid());
        data.extend_from_slice(&u16::try_from(credential_id.len()).unwrap().to_be_bytes());
        data.extend_from_slice(credential_id);
        ciborium::ser::into_writer(&cose_key, &mut data).unwrap();
        data
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A tiny DER encoder for the extensions above.
mod der {
    /// Tag, definite length, content.
    pub fn tlv(tag: &[u8], content: &[u8]) -> Vec<u8> {
        let mut out = tag.to_vec();
        let length = content.len();
        if length < 0x80 {
            out.push(length as u8);
        } else {
            let digits: Vec<u8> = length
                .to_be_bytes()
                .into_iter()
                .skip_while(|&byte| byte == 0)
                .collect();
            out.push(0x80 | digits.len() as u8);
            out.extend_from_slice(&digits);
        }
        out.extend_from_slice(content);
        out
    }

    /// The minimal two's complement bytes of `value`.
    fn integer_content(value: i64) -> Vec<u8> {
        let bytes = value.to_be_bytes();
        let mut start = 0;
        while start < 7 {
            let (this, next) = (bytes[start], bytes[start + 1]);
            let redundant =
                (this == 0x00 && next & 0x80 == 0) || (this == 0xff && next & 0x80 != 0);
            if !redundant {
                break;
            }
            start += 1;
        }
        bytes[start..].to_vec()
    }

    pub fn integer(value: i64) -> Vec<u8> {
        tlv(&[0x02], &integer_content(value))
    }

    pub fn enumerated(value: i64) -> Vec<u8> {
        tlv(&[0x0a], &integer_content(value))
    }

    pub fn octet_string(content: &[u8]) -> Vec<u8> {
        tlv(&[0x04], content)
    }

    pub fn sequence(content: &[u8]) -> Vec<u8> {
        tlv(&[0x30], content)
    }

    /// `[number] EXPLICIT` around an encoded element (context-specific, constructed).
    pub fn explicit(number: u32, inner: &[u8]) -> Vec<u8> {
        if number < 31 {
            return tlv(&[0xa0 | number as u8], inner);
        }
        let mut digits = vec![(number & 0x7f) as u8];
        let mut rest = number >> 7;
        while rest > 0 {
            digits.push(0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        digits.push(0xbf);
        digits.reverse();
        tlv(&digits, inner)
    }
}
