//! App Attest attestation objects for tests.

use ciborium::Value;
use rcgen::{CustomExtension, KeyPair};
use sha2::{Digest, Sha256};

use super::der;
use super::{APPLE_NONCE_OID, TestRoot, hex, leaf_params, uncompressed};
use crate::apple::AppAttestEnvironment;

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

    /// An attestation as a Doorpass wallet makes it at enrolment: over SHA-256 of
    /// [`doorpass_format::api::attestation_client_data`] of the issuer's `challenge` and the new
    /// `holder_key` (its `to_bytes`: 33 bytes for P-256).
    pub fn for_enrolment(
        root: &'r TestRoot,
        app_id: &str,
        challenge: &[u8],
        holder_key: &[u8],
    ) -> Self {
        let client_data = doorpass_format::api::attestation_client_data(challenge, holder_key);
        Self::new(root, app_id, &Sha256::digest(client_data))
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
