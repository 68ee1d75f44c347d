//! The production trust anchors bundled in the crate, and loaders for the files an operator
//! configures instead: PEM root certificates and Google's attestation status list.
//!
//! The bundled roots are public documents (`issuer/attestation/roots/`, see
//! docs/holder-keys.md "Key attestation" for where they come from and how to update them):
//! - Google's hardware attestation roots: the RSA-4096 root (the 2022 re-issue of the key that
//!   factory-provisioned devices chain to; SHA-256 `cedb1cb6…0dfc`) and the ECDSA P-384
//!   "Key Attestation CA1" root that devices with Remote Key Provisioning use from
//!   February 2026 (SHA-256 `6d9db4ce…bcc0`);
//! - Apple's App Attestation Root CA (ECDSA P-384, SHA-256 `1cb9823b…c932`).

use x509_parser::pem::Pem;

use crate::chain::parse_certificate;

/// Google's hardware attestation root, RSA-4096 (valid 2022-03-20 to 2042-03-15), PEM.
pub const GOOGLE_ROOT_RSA_PEM: &str =
    include_str!("../roots/google_hardware_attestation_root_rsa.pem");
/// Google's "Key Attestation CA1" root, ECDSA P-384 (valid 2025-07-17 to 2035-07-15), PEM.
pub const GOOGLE_ROOT_EC_PEM: &str = include_str!("../roots/google_key_attestation_ca1_ec.pem");
/// Apple's App Attestation Root CA, ECDSA P-384 (valid 2020-03-18 to 2045-03-15), PEM.
pub const APPLE_APP_ATTESTATION_ROOT_PEM: &str =
    include_str!("../roots/apple_app_attestation_root_ca.pem");

/// Why a trust file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustFileError {
    /// The text holds no PEM certificate at all.
    #[error("no PEM certificate in the file")]
    NoCertificate,
    /// A PEM block is broken, or is not an X.509 certificate.
    #[error("PEM block {index} is not a certificate: {reason}")]
    BadCertificate {
        /// Which block (0 is the first).
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The revocation list is not Google's attestation status JSON.
    #[error("the attestation status list is not readable: {0}")]
    BadStatusList(String),
}

/// Google's hardware attestation roots as DER: the default `AndroidPolicy::roots`.
pub fn google_hardware_attestation_roots() -> Vec<Vec<u8>> {
    [GOOGLE_ROOT_RSA_PEM, GOOGLE_ROOT_EC_PEM]
        .iter()
        .flat_map(|pem| certificates_from_pem(pem).unwrap_or_default())
        .collect()
}

/// Apple's App Attestation root as DER: the default `ApplePolicy::root`.
pub fn apple_app_attestation_root() -> Vec<u8> {
    certificates_from_pem(APPLE_APP_ATTESTATION_ROOT_PEM)
        .unwrap_or_default()
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// Every certificate in a PEM text, as DER, in order. Text outside the blocks is ignored;
/// non-certificate blocks (a key by mistake) are refused.
pub fn certificates_from_pem(text: &str) -> Result<Vec<Vec<u8>>, TrustFileError> {
    let mut certificates = Vec::new();
    for (index, block) in Pem::iter_from_buffer(text.as_bytes()).enumerate() {
        let bad = |reason: String| TrustFileError::BadCertificate { index, reason };
        let block = block.map_err(|error| bad(error.to_string()))?;
        if block.label != "CERTIFICATE" {
            return Err(bad(format!("a {} block", block.label)));
        }
        parse_certificate(&block.contents).map_err(|error| bad(error.to_string()))?;
        certificates.push(block.contents);
    }
    if certificates.is_empty() {
        return Err(TrustFileError::NoCertificate);
    }
    Ok(certificates)
}

/// The revoked serial numbers in Google's attestation status list
/// (`{"entries": {"<serial hex>": {"status": "REVOKED", ...}}}`), lowercase, without leading
/// zeros. Entries with another status (`SUSPENDED`) are kept too: Google asks verifiers to
/// refuse both.
pub fn revoked_serials_from_status_list(json: &str) -> Result<Vec<String>, TrustFileError> {
    let bad = |why: &str| TrustFileError::BadStatusList(why.into());
    let list: serde_json::Value =
        serde_json::from_str(json).map_err(|error| bad(&error.to_string()))?;
    let entries = list
        .get("entries")
        .and_then(serde_json::Value::as_object)
        .ok_or_else(|| bad("no \"entries\" object"))?;
    let mut serials = Vec::with_capacity(entries.len());
    for (serial, entry) in entries {
        let status = entry.get("status").and_then(serde_json::Value::as_str);
        if !matches!(status, Some("REVOKED" | "SUSPENDED")) {
            continue;
        }
        if serial.is_empty() || !serial.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(bad("a serial is not hexadecimal"));
        }
        let trimmed = serial.trim_start_matches('0').to_ascii_lowercase();
        serials.push(if trimmed.is_empty() {
            "0".into()
        } else {
            trimmed
        });
    }
    Ok(serials)
}
