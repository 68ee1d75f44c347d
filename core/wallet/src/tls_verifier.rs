//! The rustls side of [`crate::tls`]: client settings with the platform's verifier, extra roots
//! and pins, and the sorting of a failed handshake into a [`TlsFailure`].

use std::sync::Arc;

use base64::Engine;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::tls::{MIN_PINS, TlsFailure, TlsSetupError, TlsTrust};

/// Android only: hands the platform verifier the process's JVM and the app's `Context`, which it
/// needs to ask Android's trust manager about the issuer's certificate. Call it once per process,
/// before the first TLS connection (later calls keep the first context); until then every
/// handshake fails. Re-exported here so the FFI's JNI entry point reaches the very copy of
/// rustls-platform-verifier this crate checks with.
#[cfg(target_os = "android")]
pub use rustls_platform_verifier::android::init_with_env as init_android;

/// The rustls client settings for `trust`: ring, the platform's roots plus the extra ones, the
/// pins if any, and ALPN `http/1.1` (what the reqwest transport speaks).
pub fn client_config(trust: &TlsTrust) -> Result<rustls::ClientConfig, TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = verifier(trust, provider.clone())?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError::Platform(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The certificate check `trust` asks for.
pub fn verifier(
    trust: &TlsTrust,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, TlsSetupError> {
    let pins = parse_pins(&trust.spki_pins)?;
    let roots = parse_roots(&trust.extra_roots_pem)?;
    let platform = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|e| TlsSetupError::Platform(e.to_string()));
    let checked: Arc<dyn ServerCertVerifier> = if roots.is_empty() {
        Arc::new(platform?)
    } else {
        let extra = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| TlsSetupError::Platform(e.to_string()))?;
        Arc::new(PlatformOrExtraRoots {
            // Without system roots (a bare Linux container) the extra ones still work.
            platform: platform.ok(),
            extra,
            provider,
        })
    };
    Ok(if pins.is_empty() {
        checked
    } else {
        Arc::new(Pinned {
            inner: checked,
            pins,
        })
    })
}

/// Sorts a failed request's error chain: `Some` when a certificate was refused.
pub fn classify(error: &(dyn std::error::Error + 'static)) -> Option<TlsFailure> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return failure_of(tls);
        }
        // io::Error's `source` skips the error it wraps (rustls's sits in one, itself wrapped in
        // another by the HTTP client), so step into it instead.
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

fn failure_of(error: &rustls::Error) -> Option<TlsFailure> {
    let rustls::Error::InvalidCertificate(cert) = error else {
        return None;
    };
    Some(match cert {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            TlsFailure::CertificateExpired
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            TlsFailure::CertificateNotYetValid
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            TlsFailure::WrongHostName
        }
        CertificateError::Other(OtherError(other)) if other.is::<PinMismatch>() => {
            TlsFailure::PinMismatch
        }
        _ => TlsFailure::UntrustedCertificate,
    })
}

/// Checks that `trust`'s roots and pins can be used, without reading the platform's roots.
pub fn check(trust: &TlsTrust) -> Result<(), TlsSetupError> {
    parse_pins(&trust.spki_pins)?;
    parse_roots(&trust.extra_roots_pem)?;
    Ok(())
}

fn parse_roots(pems: &[String]) -> Result<rustls::RootCertStore, TlsSetupError> {
    let mut roots = rustls::RootCertStore::empty();
    for (index, pem) in pems.iter().enumerate() {
        let bad = |detail: String| TlsSetupError::BadRoot { index, detail };
        let mut found = false;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots
                .add(cert.map_err(|e| bad(e.to_string()))?)
                .map_err(|e| bad(e.to_string()))?;
            found = true;
        }
        if !found {
            return Err(bad("no certificate in it".into()));
        }
    }
    Ok(roots)
}

fn parse_pins(pins: &[String]) -> Result<Vec<[u8; 32]>, TlsSetupError> {
    if !pins.is_empty() && pins.len() < MIN_PINS {
        return Err(TlsSetupError::TooFewPins(pins.len()));
    }
    pins.iter()
        .enumerate()
        .map(|(index, pin)| {
            let text = pin.trim();
            let text = text.strip_prefix("sha256/").unwrap_or(text);
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or(TlsSetupError::BadPin { index })
        })
        .collect()
}

/// SHA-256 of a certificate's SubjectPublicKeyInfo (DER, outer SEQUENCE included): what a pin
/// holds.
pub fn spki_sha256(cert: &CertificateDer<'_>) -> Result<[u8; 32], rustls::Error> {
    let parsed = rustls::server::ParsedCertificate::try_from(cert)?;
    Ok(Sha256::digest(parsed.subject_public_key_info().as_ref()).into())
}

/// The error a pinned verifier gives for a chain-valid certificate with an unpinned key.
#[derive(Debug)]
struct PinMismatch;

impl std::fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the certificate's key matches none of the pinned keys")
    }
}

impl std::error::Error for PinMismatch {}

/// Checks the chain with `inner`, then that the server's own key is one of `pins`. Only the
/// server's certificate counts: the other certificates a server sends are not checked to be
/// part of the chain that was validated, so a pin on them could be matched by any server
/// appending a public CA certificate.
#[derive(Debug)]
struct Pinned {
    inner: Arc<dyn ServerCertVerifier>,
    pins: Vec<[u8; 32]>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        if self.pins.contains(&spki_sha256(end_entity)?) {
            Ok(verified)
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(PinMismatch)),
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A chain is good when it reaches the extra roots or the platform's. (The platform verifier
/// takes no extra roots on Android, so the two are asked in turn everywhere.)
#[derive(Debug)]
struct PlatformOrExtraRoots {
    platform: Option<rustls_platform_verifier::Verifier>,
    extra: Arc<WebPkiServerVerifier>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PlatformOrExtraRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let by_extra = self.extra.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let extra_error = match by_extra {
            Ok(verified) => return Ok(verified),
            Err(e) => e,
        };
        let Some(platform) = &self.platform else {
            return Err(extra_error);
        };
        match platform.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => Ok(verified),
            // When the chain reached an extra root, what went wrong after that (a date, a name)
            // says more than the platform's "unknown issuer".
            Err(platform_error) => Err(
                if extra_error == rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
                {
                    platform_error
                } else {
                    extra_error
                },
            ),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_need_a_backup_and_must_be_sha256_digests() {
        let pin = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let trust = |pins: Vec<String>| TlsTrust {
            extra_roots_pem: Vec::new(),
            spki_pins: pins,
        };
        assert!(matches!(
            client_config(&trust(vec![pin.clone()])),
            Err(TlsSetupError::TooFewPins(1))
        ));
        assert!(matches!(
            client_config(&trust(vec![pin.clone(), "c2hvcnQ=".into()])),
            Err(TlsSetupError::BadPin { index: 1 })
        ));
        assert_eq!(
            parse_pins(&[format!("sha256/{pin}"), pin]).unwrap(),
            vec![[7u8; 32]; 2]
        );
    }

    #[test]
    fn an_extra_root_that_is_not_a_certificate_is_refused_not_ignored() {
        let trust = TlsTrust {
            extra_roots_pem: vec!["not a certificate".into()],
            spki_pins: Vec::new(),
        };
        assert!(matches!(
            client_config(&trust),
            Err(TlsSetupError::BadRoot { index: 0, .. })
        ));
    }

    #[test]
    fn rustls_errors_wrapped_in_io_errors_are_sorted_by_what_the_user_can_do() {
        let wrap = |e: rustls::Error| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        let expired = wrap(rustls::Error::InvalidCertificate(CertificateError::Expired));
        assert_eq!(classify(&expired), Some(TlsFailure::CertificateExpired));
        let pinned = wrap(rustls::Error::InvalidCertificate(CertificateError::Other(
            OtherError(Arc::new(PinMismatch)),
        )));
        assert_eq!(classify(&pinned), Some(TlsFailure::PinMismatch));
        let twice = std::io::Error::other(wrap(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName,
        )));
        assert_eq!(classify(&twice), Some(TlsFailure::WrongHostName));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(classify(&refused), None);
    }
}
