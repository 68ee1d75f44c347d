//! How wallets and doors check the issuer's TLS certificate, and what a failure means for the user.
//!
//! Production builds trust the platform's roots (rustls-platform-verifier: the system store on
//! Android, iOS, macOS, Windows; the system CA files on Linux). A test or QA build may add roots
//! of its own ([`TlsTrust::extra_roots_pem`]); nothing turns verification off. A config may also
//! pin the issuer's key ([`TlsTrust::spki_pins`]): a certificate that chains to a trusted root but
//! carries another key is then refused.

//!
//! This module holds the settings and the failures; [`crate::tls_verifier`] (feature `http`) the
//! rustls check itself.

/// Whom the issuer's certificate must satisfy, beyond being valid now for the issuer's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsTrust {
    /// Root certificates (PEM) trusted beside the platform's. For test and QA builds against a
    /// test issuer; production builds leave it empty.
    pub extra_roots_pem: Vec<String>,
    /// SHA-256 of the issuer's SubjectPublicKeyInfo, base64 (an optional `sha256/` prefix is
    /// allowed), e.g. from `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
    /// openssl dgst -sha256 -binary | base64`. Empty: no pinning. Otherwise at least
    /// [`MIN_PINS`]: the key in use and a backup key kept offline, so that a lost key does not
    /// lock every phone out.
    pub spki_pins: Vec<String>,
}

/// Fewest SPKI pins accepted when pinning: the key in use and at least one backup.
pub const MIN_PINS: usize = 2;

/// Why a [`TlsTrust`] cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsSetupError {
    /// An extra root is not a PEM certificate.
    #[error("extra root certificate {index} is not a PEM certificate: {detail}")]
    BadRoot {
        /// Its position in the list, from 0.
        index: usize,
        /// What is wrong.
        detail: String,
    },
    /// Pinning with fewer than [`MIN_PINS`] pins.
    #[error("pinning needs at least {MIN_PINS} SPKI pins (the key in use and a backup), got {0}")]
    TooFewPins(usize),
    /// A pin is not base64 of 32 bytes.
    #[error("SPKI pin {index} is not the base64 of a SHA-256 digest")]
    BadPin {
        /// Its position in the list, from 0.
        index: usize,
    },
    /// The platform's verifier could not be set up.
    #[error("the platform certificate verifier cannot be used: {0}")]
    Platform(String),
}

/// Why the issuer's certificate was refused, by what a person can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFailure {
    /// It does not chain to a trusted root (or is malformed, revoked, badly signed): someone may
    /// be intercepting this network. Try another network.
    UntrustedCertificate,
    /// It is valid, but for another name: the same advice.
    WrongHostName,
    /// It chains to a trusted root but carries a key the app did not pin.
    PinMismatch,
    /// It expired, by this device's clock: check the clock (or the issuer let it lapse).
    CertificateExpired,
    /// It is not valid yet, by this device's clock: the clock is probably behind.
    CertificateNotYetValid,
}

impl TlsFailure {
    /// Whether a wrong device clock can explain it.
    pub fn clock_may_be_wrong(self) -> bool {
        matches!(
            self,
            TlsFailure::CertificateExpired | TlsFailure::CertificateNotYetValid
        )
    }
}

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TlsFailure::UntrustedCertificate => "the issuer's certificate is not trusted",
            TlsFailure::WrongHostName => "the issuer's certificate is for another name",
            TlsFailure::PinMismatch => "the issuer's certificate carries a key that is not pinned",
            TlsFailure::CertificateExpired => {
                "the issuer's certificate has expired by this device's clock"
            }
            TlsFailure::CertificateNotYetValid => {
                "the issuer's certificate is not valid yet by this device's clock"
            }
        })
    }
}
