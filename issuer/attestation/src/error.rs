//! Why an attestation was refused.

/// Why an attestation was refused: each says what the issuer tells the wallet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestationError {
    /// The evidence cannot be parsed (DER, CBOR or an extension is malformed or missing).
    #[error("the attestation is malformed: {0}")]
    Malformed(String),
    /// The certificate chain does not lead to a configured root, or a signature in it is wrong.
    #[error("the attestation's certificate chain is not trusted: {0}")]
    UntrustedChain(String),
    /// A certificate in the chain is outside its validity period.
    #[error("a certificate of the attestation is expired or not yet valid")]
    CertificateNotValidNow,
    /// A certificate in the chain is on the configured revocation list.
    #[error("a certificate of the attestation is revoked (serial {serial})")]
    Revoked {
        /// The revoked certificate's serial number, lowercase hex.
        serial: String,
    },
    /// The attestation answers another challenge (another enrolment's, or a replay).
    #[error("the attestation answers another challenge")]
    ChallengeMismatch,
    /// The attested key is not the holder key the wallet presented.
    #[error("the attestation is for another key")]
    KeyMismatch,
    /// The key is in software (Android security level Software), not in secure hardware.
    #[error("the key is not in secure hardware")]
    SoftwareKey,
    /// The key may be used for other things than signing, or was imported rather than generated
    /// in the hardware.
    #[error("the key's properties are not those of a holder key: {0}")]
    WrongKeyProperties(String),
    /// The attestation is for another app (Apple: RP id hash; the configured team + bundle id).
    #[error("the attestation is for another app")]
    WrongApp,
    /// The App Attest key has been used before (counter not 0): an attestation is made once.
    #[error("the App Attest key was used before (counter not 0)")]
    CounterNotZero,
    /// The App Attest environment (development / production) is not the configured one.
    #[error("the attestation comes from the wrong App Attest environment")]
    WrongEnvironment,
    /// The App Attest key id is not that of the attested key.
    #[error("the App Attest key id does not match the attested key")]
    KeyIdMismatch,
}
