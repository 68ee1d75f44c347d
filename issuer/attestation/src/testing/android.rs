//! Android Keystore attestation chains for tests.

use rcgen::{CertificateParams, CustomExtension, Issuer, KeyPair, SerialNumber};

use super::der;
use super::{
    ALGORITHM_EC, KEY_DESCRIPTION_OID, ORIGIN_GENERATED, P256Point, PURPOSE_SIGN, PURPOSE_VERIFY,
    SECURITY_LEVEL_TRUSTED_ENVIRONMENT, TestRoot, leaf_params, uncompressed,
};

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
    dated_ahead: bool,
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
            dated_ahead: false,
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

    /// The leaf certificate is valid only from 2090 on, as a phone whose clock runs far ahead
    /// would date it.
    pub fn dated_ahead(mut self) -> Self {
        self.dated_ahead = true;
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
        if self.dated_ahead {
            params.not_before = rcgen::date_time_ymd(2090, 1, 1);
        }
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
