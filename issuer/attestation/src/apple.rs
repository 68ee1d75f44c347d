//! Apple App Attest attestation objects.

use ciborium::Value;
use doorpass_format::KeyAssurance;
use sha2::{Digest, Sha256};

use crate::AttestationError;
use crate::chain::{TrustAnchors, extension_value, p256_public_point, verify_chain};
use crate::der::{DerReader, OCTET_STRING, SEQUENCE, TagClass};

/// The OID of the leaf extension that carries the nonce.
const NONCE_OID: &str = "1.2.840.113635.100.8.2";
/// The `fmt` of App Attest attestation objects.
const FORMAT: &str = "apple-appattest";
/// Authenticator data flag: attested credential data present.
const FLAG_ATTESTED_CREDENTIAL_DATA: u8 = 0x40;
/// The aaguids of the two environments.
const AAGUID_DEVELOPMENT: &[u8; 16] = b"appattestdevelop";
const AAGUID_PRODUCTION: &[u8; 16] = b"appattest\0\0\0\0\0\0\0";

/// App Attest's two environments: the aaguid in an attestation says which made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppAttestEnvironment {
    /// Apps run from Xcode or TestFlight-style development builds (`appattestdevelop`).
    Development,
    /// App Store builds (`appattest` followed by seven zero bytes).
    Production,
}

impl AppAttestEnvironment {
    /// The aaguid an attestation made in this environment carries (16 bytes).
    pub fn aaguid(self) -> &'static [u8; 16] {
        match self {
            AppAttestEnvironment::Development => AAGUID_DEVELOPMENT,
            AppAttestEnvironment::Production => AAGUID_PRODUCTION,
        }
    }
}

/// What the issuer trusts and requires of App Attest attestations.
#[derive(Debug, Clone)]
pub struct ApplePolicy {
    /// The App Attestation root certificate, DER (Apple's in production).
    pub root: Vec<u8>,
    /// The app id: team id, a dot, and bundle id (`TEAMID1234.org.doorpass.app`).
    pub app_id: String,
    /// The environment attestations must come from.
    pub environment: AppAttestEnvironment,
}

/// Checks an App Attest attestation `object` (CBOR) made by the App Attest key `key_id` over
/// `client_data_hash` (SHA-256 of [`doorpass_format::api::attestation_client_data`]), at `now`
/// (Unix seconds).
pub fn verify_app_attest(
    object: &[u8],
    key_id: &[u8],
    client_data_hash: &[u8; 32],
    policy: &ApplePolicy,
    now: u64,
) -> Result<KeyAssurance, AttestationError> {
    verify_app_attest_over(object, key_id, client_data_hash, policy, now)
}

/// [`verify_app_attest`] for a client data hash of any length. Doorpass always passes 32 bytes;
/// Apple's published sample attestation was made over the raw 21-byte challenge
/// `test_server_challenge`, and this lets a test check it.
///
/// In Apple's order: the x5c chain to `policy.root` at `now`; the leaf's nonce extension equals
/// SHA-256(authData ‖ client data hash); the leaf key's SHA-256 is `key_id`; the authenticator
/// data's RP id hash is SHA-256 of the app id, its counter 0, its aaguid the environment's, and
/// its credential id `key_id`.
pub fn verify_app_attest_over(
    object: &[u8],
    key_id: &[u8],
    client_data_hash: &[u8],
    policy: &ApplePolicy,
    now: u64,
) -> Result<KeyAssurance, AttestationError> {
    let attestation = AttestationObject::parse(object)?;
    let anchors = TrustAnchors {
        roots: std::slice::from_ref(&policy.root),
        revoked_serials: &[],
    };
    let certificates = verify_chain(&attestation.x5c, &anchors, now)?;
    let leaf = &certificates[0];

    let nonce = extension_value(leaf, NONCE_OID)
        .ok_or_else(|| AttestationError::Malformed("the leaf has no nonce extension".into()))
        .and_then(read_nonce)?;
    let expected_nonce = Sha256::new()
        .chain_update(&attestation.auth_data)
        .chain_update(client_data_hash)
        .finalize();
    if nonce != expected_nonce.as_slice() {
        return Err(AttestationError::ChallengeMismatch);
    }
    let leaf_point = p256_public_point(leaf)
        .ok_or_else(|| AttestationError::Malformed("the leaf's key is not a P-256 key".into()))?;
    if Sha256::digest(&leaf_point).as_slice() != key_id {
        return Err(AttestationError::KeyIdMismatch);
    }

    let auth_data = AuthenticatorData::parse(&attestation.auth_data)?;
    if auth_data.rp_id_hash != Sha256::digest(policy.app_id.as_bytes()).as_slice() {
        return Err(AttestationError::WrongApp);
    }
    if auth_data.counter != 0 {
        return Err(AttestationError::CounterNotZero);
    }
    if auth_data.aaguid != policy.environment.aaguid() {
        return Err(AttestationError::WrongEnvironment);
    }
    if auth_data.credential_id != key_id {
        return Err(AttestationError::KeyIdMismatch);
    }
    Ok(KeyAssurance::AppleAppAttest)
}

/// The parts of an attestation object the issuer reads.
struct AttestationObject {
    x5c: Vec<Vec<u8>>,
    auth_data: Vec<u8>,
}

impl AttestationObject {
    fn parse(object: &[u8]) -> Result<Self, AttestationError> {
        let malformed =
            |why: &str| AttestationError::Malformed(format!("attestation object: {why}"));
        let value: Value = ciborium::de::from_reader(object).map_err(|_| malformed("not CBOR"))?;
        let fields = value.as_map().ok_or_else(|| malformed("not a map"))?;
        if map_entry(fields, "fmt").and_then(Value::as_text) != Some(FORMAT) {
            return Err(malformed("fmt is not apple-appattest"));
        }
        let statement = map_entry(fields, "attStmt")
            .and_then(Value::as_map)
            .ok_or_else(|| malformed("no attStmt map"))?;
        let x5c = map_entry(statement, "x5c")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("no x5c array"))?
            .iter()
            .map(|certificate| certificate.as_bytes().cloned())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| malformed("an x5c entry is not a byte string"))?;
        if x5c.len() < 2 {
            return Err(malformed("x5c has fewer than two certificates"));
        }
        let auth_data = map_entry(fields, "authData")
            .and_then(Value::as_bytes)
            .ok_or_else(|| malformed("no authData byte string"))?
            .clone();
        Ok(AttestationObject { x5c, auth_data })
    }
}

fn map_entry<'v>(map: &'v [(Value, Value)], key: &str) -> Option<&'v Value> {
    map.iter()
        .find(|(name, _)| name.as_text() == Some(key))
        .map(|(_, value)| value)
}

/// The nonce extension: `SEQUENCE { [1] EXPLICIT OCTET STRING }`.
fn read_nonce(extension: &[u8]) -> Result<&[u8], AttestationError> {
    let malformed = || AttestationError::Malformed("the nonce extension is malformed".into());
    let mut outer = DerReader::new(extension);
    let sequence = outer.expect_universal(SEQUENCE).map_err(|_| malformed())?;
    let tagged = DerReader::new(sequence)
        .next_element()
        .map_err(|_| malformed())?;
    if tagged.class != TagClass::ContextSpecific || tagged.number != 1 || !tagged.constructed {
        return Err(malformed());
    }
    DerReader::new(tagged.content)
        .expect_universal(OCTET_STRING)
        .map_err(|_| malformed())
}

/// WebAuthn authenticator data, as App Attest fills it.
struct AuthenticatorData<'a> {
    rp_id_hash: &'a [u8],
    counter: u32,
    aaguid: &'a [u8],
    credential_id: &'a [u8],
}

impl<'a> AuthenticatorData<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, AttestationError> {
        let malformed = |why: &str| AttestationError::Malformed(format!("authData: {why}"));
        if bytes.len() < 55 {
            return Err(malformed("too short"));
        }
        if bytes[32] & FLAG_ATTESTED_CREDENTIAL_DATA == 0 {
            return Err(malformed("no attested credential data"));
        }
        let counter = u32::from_be_bytes([bytes[33], bytes[34], bytes[35], bytes[36]]);
        let id_length = usize::from(u16::from_be_bytes([bytes[53], bytes[54]]));
        let credential_id = bytes
            .get(55..55 + id_length)
            .ok_or_else(|| malformed("credential id beyond the end"))?;
        Ok(AuthenticatorData {
            rp_id_hash: &bytes[..32],
            counter,
            aaguid: &bytes[37..53],
            credential_id,
        })
    }
}
