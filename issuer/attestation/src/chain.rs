//! Certificate chains, as both platforms send them: leaf first, each certificate signed by the
//! next, the last signed by (or equal to) a trusted root; each valid at `now`; none revoked.

use p256::elliptic_curve::sec1::ToEncodedPoint;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::AttestationError;
use crate::der::{BIT_STRING, DerError, DerReader, INTEGER, SEQUENCE, TagClass};

/// More certificates than any real attestation chain has (Android's have 3 to 5, Apple's 2).
const MAX_CHAIN_LEN: usize = 10;

/// Signature algorithms refused even though the parser knows them: SHA-1 with RSA.
const SHA1_SIGNATURE_OIDS: [&str; 2] = ["1.2.840.113549.1.1.5", "1.3.14.3.2.29"];

/// The OIDs of an elliptic-curve public key and of the P-256 curve.
const EC_PUBLIC_KEY_OID: &str = "1.2.840.10045.2.1";
const P256_CURVE_OID: &str = "1.2.840.10045.3.1.7";

/// What a chain is checked against.
pub(crate) struct TrustAnchors<'r> {
    /// Trusted root certificates, DER.
    pub roots: &'r [Vec<u8>],
    /// Revoked serial numbers (any case, leading zeros or not).
    pub revoked_serials: &'r [String],
}

/// Parses `chain` (DER, leaf first) and checks it against `anchors` at `now` (Unix seconds).
/// Returns the parsed certificates, leaf first.
pub(crate) fn verify_chain<'c>(
    chain: &'c [Vec<u8>],
    anchors: &TrustAnchors<'_>,
    now: u64,
) -> Result<Vec<X509Certificate<'c>>, AttestationError> {
    if chain.is_empty() {
        return Err(AttestationError::Malformed(
            "the certificate chain is empty".into(),
        ));
    }
    if chain.len() > MAX_CHAIN_LEN {
        return Err(AttestationError::Malformed(format!(
            "the certificate chain has {} certificates (at most {MAX_CHAIN_LEN})",
            chain.len()
        )));
    }
    let certificates = chain
        .iter()
        .map(|der| parse_certificate(der))
        .collect::<Result<Vec<_>, _>>()?;
    let roots = anchors
        .roots
        .iter()
        .map(|der| parse_certificate(der))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            AttestationError::UntrustedChain("a configured root cannot be parsed".into())
        })?;

    for (index, pair) in certificates.windows(2).enumerate() {
        if !is_signed_by(&pair[0], &pair[1]) {
            return Err(AttestationError::UntrustedChain(format!(
                "certificate {index} is not signed by certificate {}",
                index + 1
            )));
        }
    }
    let (last_index, last) = (chain.len() - 1, &certificates[chain.len() - 1]);
    let anchor = roots
        .iter()
        .zip(anchors.roots)
        .find(|(root, root_der)| *root_der == &chain[last_index] || is_signed_by(last, root))
        .map(|(root, _)| root)
        .ok_or_else(|| {
            AttestationError::UntrustedChain("the chain does not lead to a configured root".into())
        })?;

    // A chain may end in another issue of a configured root: the same name and key, self-signed,
    // with other dates (Google re-issued its RSA root in 2019, 2021 and 2022; old devices still
    // send the 2016 one, valid until 2026-05-24). The key is the anchor, so the configured root's
    // dates count, not the copy's.
    let ends_in_a_root_copy = last.subject() == anchor.subject()
        && last.public_key().raw == anchor.public_key().raw
        && is_signed_by(last, anchor);
    let dated = if ends_in_a_root_copy {
        &certificates[..last_index]
    } else {
        &certificates[..]
    };
    // The leaf's start of validity is the phone's clock (Android's Keystore dates it when it makes
    // the key), which may run ahead of ours by minutes or days: only its end counts. Freshness comes
    // from the challenge, not from dates.
    let (leaf, above) = dated.split_first().unwrap_or((anchor, &[]));
    if !is_not_expired_at(leaf, now) {
        return Err(AttestationError::CertificateNotValidNow);
    }
    for certificate in above.iter().chain(std::iter::once(anchor)) {
        if !is_valid_at(certificate, now) {
            return Err(AttestationError::CertificateNotValidNow);
        }
    }
    for certificate in &certificates {
        let serial = serial_hex(certificate.raw_serial());
        if anchors
            .revoked_serials
            .iter()
            .any(|revoked| is_same_serial(revoked, &serial))
        {
            return Err(AttestationError::Revoked { serial });
        }
    }
    Ok(certificates)
}

/// Parses one DER certificate, refusing trailing bytes and an unsigned outer algorithm that is
/// not byte for byte the signed one.
pub(crate) fn parse_certificate(der: &[u8]) -> Result<X509Certificate<'_>, AttestationError> {
    if !outer_algorithm_is_the_signed_one(der) {
        return Err(AttestationError::Malformed(
            "a certificate's signature algorithm is not the one it signs".into(),
        ));
    }
    match X509Certificate::from_der(der) {
        Ok(([], certificate)) => Ok(certificate),
        Ok(_) => Err(AttestationError::Malformed(
            "trailing bytes after a certificate".into(),
        )),
        Err(error) => Err(AttestationError::Malformed(format!(
            "a certificate cannot be parsed: {error}"
        ))),
    }
}

/// RFC 5280 §4.1.1.2: `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
/// signatureValue }` where `signatureAlgorithm`, outside the signature, equals the `signature`
/// field inside `tbsCertificate`, and the signature value has no unused bits. Checked on the
/// bytes, so a parser's leniency about the unsigned parts cannot make two encodings of one
/// signed certificate.
fn outer_algorithm_is_the_signed_one(der: &[u8]) -> bool {
    let read = || -> Result<bool, DerError> {
        let mut certificate = DerReader::new(DerReader::new(der).expect_universal(SEQUENCE)?);
        let mut tbs = DerReader::new(certificate.expect_universal(SEQUENCE)?);
        let outer_algorithm = certificate.expect_universal(SEQUENCE)?;
        // A signature is whole bytes: its BIT STRING has no unused bits.
        if certificate.expect_universal(BIT_STRING)?.first() != Some(&0) || !certificate.is_empty()
        {
            return Ok(false);
        }
        let mut field = tbs.next_element()?;
        if field.class == TagClass::ContextSpecific {
            field = tbs.next_element()?; // [0] version, then the serial number
        }
        if field.class != TagClass::Universal || field.number != INTEGER {
            return Ok(false);
        }
        Ok(tbs.expect_universal(SEQUENCE)? == outer_algorithm)
    };
    read().unwrap_or(false)
}

/// The content of `certificate`'s extension `oid` (dotted), if it has one.
pub(crate) fn extension_value<'a>(
    certificate: &X509Certificate<'a>,
    oid: &str,
) -> Option<&'a [u8]> {
    certificate
        .extensions()
        .iter()
        .find(|extension| extension.oid.to_id_string() == oid)
        .map(|extension| extension.value)
}

/// The certificate's public key as an uncompressed P-256 point (65 bytes), or `None` when it is
/// not a valid P-256 key.
pub(crate) fn p256_public_point(certificate: &X509Certificate<'_>) -> Option<Vec<u8>> {
    let key_info = certificate.public_key();
    let curve = key_info.algorithm.parameters.as_ref()?.as_oid().ok()?;
    if key_info.algorithm.algorithm.to_id_string() != EC_PUBLIC_KEY_OID
        || curve.to_id_string() != P256_CURVE_OID
    {
        return None;
    }
    uncompressed_p256(&key_info.subject_public_key.data)
}

/// A SEC1 P-256 point (compressed or not) as its uncompressed form, or `None` when it is not on
/// the curve.
pub(crate) fn uncompressed_p256(sec1: &[u8]) -> Option<Vec<u8>> {
    let key = p256::PublicKey::from_sec1_bytes(sec1).ok()?;
    Some(key.to_encoded_point(false).as_bytes().to_vec())
}

/// True when `issuer`'s key signed `subject`, with the algorithm the signed part names (RFC 5280
/// §4.1.1.2: the outer algorithm, which no signature covers, must equal it) and not SHA-1.
fn is_signed_by(subject: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    let algorithm = subject.signature_algorithm.algorithm.to_id_string();
    subject.signature_algorithm == subject.tbs_certificate.signature
        && !SHA1_SIGNATURE_OIDS.contains(&algorithm.as_str())
        && subject.verify_signature(Some(issuer.public_key())).is_ok()
}

fn is_not_expired_at(certificate: &X509Certificate<'_>, now: u64) -> bool {
    i64::try_from(now).unwrap_or(i64::MAX) <= certificate.validity().not_after.timestamp()
}

fn is_valid_at(certificate: &X509Certificate<'_>, now: u64) -> bool {
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    let validity = certificate.validity();
    validity.not_before.timestamp() <= now && now <= validity.not_after.timestamp()
}

/// A serial number as Google's status list names it: lowercase hex without leading zeros.
pub(crate) fn serial_hex(raw: &[u8]) -> String {
    let hex: String = raw.iter().map(|byte| format!("{byte:02x}")).collect();
    normalise_serial(&hex)
}

/// Whether a listed serial (any case, leading zeros or spaces allowed) names the normalised
/// `serial`; compared in place, since a status list may hold thousands of entries and each
/// attested completion checks every certificate against all of them.
fn is_same_serial(listed: &str, serial: &str) -> bool {
    let listed = listed.trim().trim_start_matches('0');
    let listed = if listed.is_empty() { "0" } else { listed };
    listed.eq_ignore_ascii_case(serial)
}

fn normalise_serial(hex: &str) -> String {
    let trimmed = hex.trim().trim_start_matches('0').to_ascii_lowercase();
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed
    }
}
