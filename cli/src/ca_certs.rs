//! `--ca-cert FILE`: roots a test or QA run trusts beside the platform's, for HTTPS to a test
//! issuer. Certificates are always checked; nothing here turns that off.

use std::path::PathBuf;

use anyhow::{Context, Result};
use doorpass_wallet::tls::TlsTrust;

/// The TLS settings for `ca_certs` (PEM files; none: the platform's roots alone).
pub fn tls_trust(ca_certs: &[PathBuf]) -> Result<TlsTrust> {
    let extra_roots_pem = ca_certs
        .iter()
        .map(|path| {
            std::fs::read_to_string(path)
                .with_context(|| format!("reading the CA certificate {}", path.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let trust = TlsTrust {
        extra_roots_pem,
        spki_pins: Vec::new(),
    };
    doorpass_wallet::tls_verifier::check(&trust)?;
    Ok(trust)
}

/// A reqwest client builder that checks certificates as `trust` says (the wallet's own check).
pub fn http_client(trust: &TlsTrust) -> Result<reqwest::ClientBuilder> {
    let tls = doorpass_wallet::tls_verifier::client_config(trust)?;
    Ok(reqwest::Client::builder().tls_backend_preconfigured(tls))
}
