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

#[cfg(test)]
mod tests {
    use super::*;

    /// A KeyDescription around the two authorization lists' contents.
    fn description(software: &[u8], hardware: &[u8]) -> Vec<u8> {
        let mut fields = vec![
            0x02, 0x02, 0x01, 0x2c, 0x0a, 0x01, 0x01, 0x02, 0x02, 0x01, 0x2c,
        ];
        fields.extend([0x0a, 0x01, 0x01, 0x04, 0x02, b'c', b'h', 0x04, 0x00]);
        fields.extend([0x30, software.len() as u8]);
        fields.extend(software);
        fields.extend([0x30, hardware.len() as u8]);
        fields.extend(hardware);
        [vec![0x30, fields.len() as u8], fields].concat()
    }

    const PURPOSE_SIGN_SET: [u8; 7] = [0xa1, 0x05, 0x31, 0x03, 0x02, 0x01, 0x02];
    const ALGORITHM_EC_TAG: [u8; 5] = [0xa2, 0x03, 0x02, 0x01, 0x03];
    const ORIGIN_GENERATED_TAG: [u8; 7] = [0xbf, 0x85, 0x3e, 0x03, 0x02, 0x01, 0x00];

    #[test]
    fn unknown_tags_are_skipped_and_the_known_ones_read() {
        // [3] keySize 256 and [9999] (an unknown high tag) between the known ones.
        let unknown_high = [0xbf, 0xce, 0x0f, 0x03, 0x02, 0x01, 0x07];
        let hardware = [
            &PURPOSE_SIGN_SET[..],
            &ALGORITHM_EC_TAG,
            &[0xa3, 0x04, 0x02, 0x02, 0x01, 0x00],
            &ORIGIN_GENERATED_TAG,
            &unknown_high,
        ]
        .concat();
        let bytes = description(&unknown_high, &hardware);
        let parsed = KeyDescription::parse(&bytes).unwrap();
        assert_eq!(parsed.attestation_security_level, 1);
        assert_eq!(parsed.challenge, b"ch");
        assert_eq!(parsed.hardware_enforced.purposes, [PURPOSE_SIGN]);
        assert_eq!(parsed.hardware_enforced.algorithm, Some(ALGORITHM_EC));
        assert_eq!(parsed.hardware_enforced.origin, Some(ORIGIN_GENERATED));
    }

    #[test]
    fn a_repeated_or_implicit_authorization_is_refused() {
        let twice = [&ORIGIN_GENERATED_TAG[..], &ORIGIN_GENERATED_TAG].concat();
        let purpose_twice = [&PURPOSE_SIGN_SET[..], &PURPOSE_SIGN_SET].concat();
        // [2] IMPLICIT (primitive) instead of EXPLICIT.
        let implicit = [0x82, 0x01, 0x03];
        for hardware in [&twice[..], &purpose_twice, &implicit] {
            assert!(matches!(
                KeyDescription::parse(&description(&[], hardware)),
                Err(AttestationError::Malformed(_))
            ));
        }
    }

    #[test]
    fn every_truncation_is_refused_without_panic() {
        let hardware = [
            &PURPOSE_SIGN_SET[..],
            &ALGORITHM_EC_TAG,
            &ORIGIN_GENERATED_TAG,
        ]
        .concat();
        let bytes = description(&[], &hardware);
        assert!(KeyDescription::parse(&bytes).is_ok());
        for length in 0..bytes.len() {
            assert!(
                KeyDescription::parse(&bytes[..length]).is_err(),
                "cut at {length}"
            );
        }
        assert!(KeyDescription::parse(&[bytes.clone(), vec![0]].concat()).is_err());
    }
}
