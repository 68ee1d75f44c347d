//! Android's KeyDescription, the attestation extension of a Keystore leaf certificate (OID
//! 1.3.6.1.4.1.11129.2.1.17), read with [`crate::der`]. Only what the issuer checks is kept;
//! unknown authorization tags are skipped, so newer KeyMint versions still read.
//!
//! ```text
//! KeyDescription ::= SEQUENCE {
//!     attestationVersion, attestationSecurityLevel (ENUMERATED), keyMintVersion,
//!     keyMintSecurityLevel (ENUMERATED), attestationChallenge OCTET STRING,
//!     uniqueId OCTET STRING, softwareEnforced AuthorizationList,
//!     hardwareEnforced AuthorizationList, ... }
//! AuthorizationList ::= SEQUENCE { purpose [1] EXPLICIT SET OF INTEGER OPTIONAL,
//!     algorithm [2] EXPLICIT INTEGER OPTIONAL, ..., origin [702] EXPLICIT INTEGER OPTIONAL, ... }
//! ```

use crate::AttestationError;
use crate::der::{
    DerError, DerReader, ENUMERATED, INTEGER, OCTET_STRING, SEQUENCE, SET, TagClass, integer_value,
};

/// The OID of the KeyDescription extension.
pub(crate) const KEY_DESCRIPTION_OID: &str = "1.3.6.1.4.1.11129.2.1.17";

/// AuthorizationList tags the issuer reads.
const TAG_PURPOSE: u32 = 1;
const TAG_ALGORITHM: u32 = 2;
const TAG_ORIGIN: u32 = 702;

/// `attestationSecurityLevel` values.
pub(crate) const SECURITY_LEVEL_SOFTWARE: i64 = 0;
pub(crate) const SECURITY_LEVEL_TRUSTED_ENVIRONMENT: i64 = 1;
pub(crate) const SECURITY_LEVEL_STRONG_BOX: i64 = 2;
/// KeyMint's purpose SIGN, algorithm EC and origin GENERATED.
pub(crate) const PURPOSE_SIGN: i64 = 2;
pub(crate) const ALGORITHM_EC: i64 = 3;
pub(crate) const ORIGIN_GENERATED: i64 = 0;

/// The parts of a KeyDescription the issuer checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyDescription<'a> {
    pub attestation_security_level: i64,
    pub challenge: &'a [u8],
    pub hardware_enforced: AuthorizationList,
}

/// The parts of an AuthorizationList the issuer checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AuthorizationList {
    pub purposes: Vec<i64>,
    pub algorithm: Option<i64>,
    pub origin: Option<i64>,
}

impl<'a> KeyDescription<'a> {
    /// Reads a KeyDescription from the extension's content.
    pub fn parse(extension: &'a [u8]) -> Result<Self, AttestationError> {
        Self::read(extension)
            .map_err(|DerError(why)| AttestationError::Malformed(format!("KeyDescription: {why}")))
    }

    fn read(extension: &'a [u8]) -> Result<Self, DerError> {
        let mut outer = DerReader::new(extension);
        let mut fields = DerReader::new(outer.expect_universal(SEQUENCE)?);
        if !outer.is_empty() {
            return Err(DerError("bytes after the KeyDescription"));
        }
        let _attestation_version = integer_value(fields.expect_universal(INTEGER)?)?;
        let attestation_security_level = integer_value(fields.expect_universal(ENUMERATED)?)?;
        let _key_mint_version = integer_value(fields.expect_universal(INTEGER)?)?;
        let _key_mint_security_level = integer_value(fields.expect_universal(ENUMERATED)?)?;
        let challenge = fields.expect_universal(OCTET_STRING)?;
        let _unique_id = fields.expect_universal(OCTET_STRING)?;
        let _software_enforced = AuthorizationList::read(fields.expect_universal(SEQUENCE)?)?;
        let hardware_enforced = AuthorizationList::read(fields.expect_universal(SEQUENCE)?)?;
        Ok(KeyDescription {
            attestation_security_level,
            challenge,
            hardware_enforced,
        })
    }
}

impl AuthorizationList {
    fn read(content: &[u8]) -> Result<Self, DerError> {
        let mut list = AuthorizationList::default();
        let (mut seen_purpose, mut reader) = (false, DerReader::new(content));
        while !reader.is_empty() {
            let element = reader.next_element()?;
            if element.class != TagClass::ContextSpecific || !element.constructed {
                return Err(DerError("an authorization is not an explicit context tag"));
            }
            let mut inner = DerReader::new(element.content);
            match element.number {
                TAG_PURPOSE => {
                    if std::mem::replace(&mut seen_purpose, true) {
                        return Err(DerError("purpose appears twice"));
                    }
                    let mut set = DerReader::new(inner.expect_universal(SET)?);
                    while !set.is_empty() {
                        list.purposes
                            .push(integer_value(set.expect_universal(INTEGER)?)?);
                    }
                }
                TAG_ALGORITHM => set_once(
                    &mut list.algorithm,
                    read_integer(&mut inner)?,
                    "algorithm appears twice",
                )?,
                TAG_ORIGIN => set_once(
                    &mut list.origin,
                    read_integer(&mut inner)?,
                    "origin appears twice",
                )?,
                _ => continue,
            }
            if !inner.is_empty() {
                return Err(DerError("bytes after an authorization's value"));
            }
        }
        Ok(list)
    }
}

fn read_integer(reader: &mut DerReader<'_>) -> Result<i64, DerError> {
    integer_value(reader.expect_universal(INTEGER)?)
}

/// Stores `value` in `slot`, refusing a second value: a repeated tag could mean two things.
fn set_once(slot: &mut Option<i64>, value: i64, twice: &'static str) -> Result<(), DerError> {
    match slot.replace(value) {
        Some(_) => Err(DerError(twice)),
        None => Ok(()),
    }
}
