//! The one error an app sees, with the variants it reacts to differently. The mapping from the
//! core's errors lives here and nowhere else; reasons never carry secrets.

use doorpass_wallet::door::DoorError;
use doorpass_wallet::secret_store::SecretStoreError;
use doorpass_wallet::tls::TlsFailure;
use doorpass_wallet::wallet::{CodeEnd, WalletError};

/// Why a Doorpass call failed, and what the app can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum DoorpassError {
    /// The issuer could not be reached (no network, refused, timed out). Passes in hand keep working:
    /// say "offline — this pass still works".
    #[error("the issuer could not be reached: {detail}")]
    Offline {
        /// What failed, for logs.
        detail: String,
    },
    /// The issuer's certificate is not trusted (unknown authority, or issued for another name):
    /// the network may be intercepting the connection. Say so and suggest another network
    /// (Wi-Fi off, or another Wi-Fi). Passes in hand keep working.
    #[error("the issuer's certificate is not trusted: {detail}")]
    UntrustedCertificate {
        /// What the TLS check said, for logs.
        detail: String,
    },
    /// The issuer's certificate chains to a trusted authority but carries a key this app does not
    /// pin: as above, or the app's pins are out of date (update the app).
    #[error("the issuer's certificate key is not pinned: {detail}")]
    CertificatePinMismatch {
        /// What the TLS check said, for logs.
        detail: String,
    },
    /// The issuer's certificate is expired or not yet valid by this phone's clock: ask the user to
    /// check the phone's date and time.
    #[error("the issuer's certificate is not valid at this phone's time: {detail}")]
    CertificateNotValidNow {
        /// What the TLS check said, for logs.
        detail: String,
    },
    /// The issuer is busy or rate limiting: try again after this many seconds, not sooner.
    #[error("the issuer is busy; try again in {retry_after_seconds} s")]
    RateLimited {
        /// Seconds to wait.
        retry_after_seconds: u64,
    },
    /// The pass can no longer be renewed: the person must authenticate again with a code. The pass in
    /// hand stays until it expires.
    #[error("authentication is needed again")]
    ReauthenticationRequired,
    /// The code is wrong; ask again.
    #[error("wrong code; {attempts_left} tries left")]
    InvalidCode {
        /// Tries left on this code.
        attempts_left: u32,
    },
    /// The code expired or was already used: offer to send a new one.
    #[error("this code can no longer be used; ask for a new one")]
    CodeExpired,
    /// Too many wrong codes: this code is locked. Offer to send a new one.
    #[error("too many wrong codes; ask for a new one")]
    CodeAttemptsExhausted,
    /// The issuer will not issue a pass to this person now.
    #[error("the issuer will not issue a pass to this person now")]
    NotEligible,
    /// The issuer refused for a reason not listed here.
    #[error("the issuer refused: {detail}")]
    IssuerRefused {
        /// The issuer's sentence.
        detail: String,
    },
    /// The issuer sent a pass or trust list that does not check out; nothing was stored.
    #[error("the issuer sent something invalid: {detail}")]
    InvalidPassFromIssuer {
        /// What was wrong.
        detail: String,
    },
    /// The app's files could not be read or written. Nothing was lost; retry or free space.
    #[error("storage failed: {detail}")]
    Storage {
        /// What failed.
        detail: String,
    },
    /// Secure storage (Keystore, Keychain, the app's secret store) is not reachable or failed.
    #[error("secure storage is unavailable: {detail}")]
    KeystoreUnavailable {
        /// What failed.
        detail: String,
    },
    /// The device clock is too far from the issuer's to check passes: set the clock, or connect once.
    #[error("the device clock cannot be trusted: {detail}")]
    ClockUntrustworthy {
        /// What is wrong with it.
        detail: String,
    },
    /// No pass yet: enrol first.
    #[error("no pass yet; enrol first")]
    NotEnrolled,
    /// No enrolment is waiting for a code: start one first.
    #[error("no enrolment is waiting for a code")]
    NoEnrolmentInProgress,
    /// No pass with this id.
    #[error("no pass with id {pass_id}")]
    UnknownPass {
        /// The id asked for.
        pass_id: String,
    },
    /// The wallet holds several passes and none was chosen.
    #[error("several passes; choose one")]
    PassNotChosen,
    /// The pass file was damaged and set aside; renewing fetches it again.
    #[error("the pass file was damaged; renew to fetch it again")]
    PassMissing,
    /// The issuer has revoked this pass: no code is shown. Authenticate again for a new one.
    #[error("the issuer has revoked this pass; authenticate again")]
    PassRevoked,
    /// Another process (e.g. a background renewal) is talking to the issuer for this wallet; nothing
    /// was sent. Try again in a moment. Also the answer of every call on a `Wallet` handle after its
    /// `close()`: try again through the handle that replaced it.
    #[error("the wallet is busy with another renewal; try again in a moment")]
    InUse,
    /// This wallet was wiped; open a new one.
    #[error("this wallet was wiped")]
    Wiped,
    /// The door verifier has no trust list yet: connect once or load one.
    #[error("no trust list yet; connect once or load one")]
    NoTrustList,
    /// The issuer needs a phone with secure hardware (a holder key the phone attests) and this
    /// phone gave no attestation: say "this issuer needs a phone with secure hardware". The
    /// enrolment stays waiting for its code; a pass in hand keeps working.
    #[error("the issuer needs a phone with secure hardware")]
    AttestationRequired,
    /// The issuer refused this phone's key attestation: say "this phone's secure hardware could not
    /// be verified" and offer support. The enrolment stays waiting; a pass in hand keeps working.
    #[error("the issuer refused this phone's key attestation: {reason}")]
    AttestationRefused {
        /// The issuer's reason, for logs and support.
        reason: String,
    },
    /// The input is not acceptable (an empty subject, a code of the wrong length, a bad URL).
    #[error("{detail}")]
    InvalidInput {
        /// What is wrong, in words for people.
        detail: String,
    },
    /// Anything else; report it.
    #[error("internal error: {reason}")]
    Internal {
        /// What happened.
        reason: String,
    },
}

impl From<WalletError> for DoorpassError {
    fn from(e: WalletError) -> Self {
        match e {
            WalletError::Storage { detail } => DoorpassError::Storage { detail },
            WalletError::SecretStore { detail } => DoorpassError::KeystoreUnavailable { detail },
            // A platform holder key (Keystore, Secure Enclave) that cannot sign is the app's keystore
            // failing: the same advice (unlock, or authenticate again for a new key).
            WalletError::HolderKey { detail } => DoorpassError::KeystoreUnavailable { detail },
            WalletError::NotSetUp => DoorpassError::NotEnrolled,
            WalletError::AnchorMismatch | WalletError::IssuerMismatch { .. } => {
                DoorpassError::InvalidInput {
                    detail: e.to_string(),
                }
            }
            WalletError::IssuerUnreachable { detail } => DoorpassError::Offline { detail },
            WalletError::IssuerNotTrusted { failure, detail } => match failure {
                TlsFailure::UntrustedCertificate | TlsFailure::WrongHostName => {
                    DoorpassError::UntrustedCertificate { detail }
                }
                TlsFailure::PinMismatch => DoorpassError::CertificatePinMismatch { detail },
                TlsFailure::CertificateExpired | TlsFailure::CertificateNotYetValid => {
                    DoorpassError::CertificateNotValidNow { detail }
                }
            },
            WalletError::IssuerBusy { retry_after_secs } => DoorpassError::RateLimited {
                retry_after_seconds: retry_after_secs,
            },
            WalletError::IssuerRefused { message, .. } => {
                DoorpassError::IssuerRefused { detail: message }
            }
            WalletError::WrongCode { attempts_left } => {
                DoorpassError::InvalidCode { attempts_left }
            }
            WalletError::CodeNoLongerValid {
                why: CodeEnd::TooManyTries,
            } => DoorpassError::CodeAttemptsExhausted,
            WalletError::CodeNoLongerValid { .. } => DoorpassError::CodeExpired,
            WalletError::NoPendingEnrolment => DoorpassError::NoEnrolmentInProgress,
            WalletError::NotEligible => DoorpassError::NotEligible,
            WalletError::ReauthRequired => DoorpassError::ReauthenticationRequired,
            WalletError::UnknownPass { id } => DoorpassError::UnknownPass { pass_id: id },
            WalletError::PassNotChosen => DoorpassError::PassNotChosen,
            WalletError::PassMissing => DoorpassError::PassMissing,
            WalletError::PassRevoked => DoorpassError::PassRevoked,
            WalletError::InUse => DoorpassError::InUse,
            // A closed handle (`Wallet.close`): the app calls through the handle that replaced it.
            // `InUse` (retry, through the current handle) keeps the error set the apps handle.
            WalletError::Closed => DoorpassError::InUse,
            WalletError::Wiped => DoorpassError::Wiped,
            WalletError::ClockUntrustworthy { detail } => {
                DoorpassError::ClockUntrustworthy { detail }
            }
            WalletError::InvalidFromIssuer { detail } => {
                DoorpassError::InvalidPassFromIssuer { detail }
            }
            WalletError::StatusListRefused(e) => DoorpassError::InvalidPassFromIssuer {
                detail: e.to_string(),
            },
            WalletError::AttestationRequired => DoorpassError::AttestationRequired,
            WalletError::AttestationRefused { reason } => {
                DoorpassError::AttestationRefused { reason }
            }
            WalletError::InvalidInput { detail } => DoorpassError::InvalidInput { detail },
        }
    }
}

impl From<DoorError> for DoorpassError {
    fn from(e: DoorError) -> Self {
        match e {
            DoorError::NoTrustList => DoorpassError::NoTrustList,
            DoorError::TrustList(e) => match e {
                doorpass_wallet::trust_cache::TrustCacheError::Invalid { detail } => {
                    DoorpassError::InvalidPassFromIssuer { detail }
                }
                doorpass_wallet::trust_cache::TrustCacheError::Storage { detail } => {
                    DoorpassError::Storage { detail }
                }
            },
            DoorError::Issuer(e) => WalletError::from(e).into(),
            DoorError::StatusList(e) => DoorpassError::InvalidPassFromIssuer {
                detail: e.to_string(),
            },
            DoorError::Storage { detail } => DoorpassError::Storage { detail },
            DoorError::ClockBehind { detail } => DoorpassError::ClockUntrustworthy { detail },
        }
    }
}

/// Why an app's secret store failed (thrown by a [`crate::SecretStore`] written in Kotlin or Swift).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum SecretStoreFailure {
    /// The store cannot be reached at all (locked device, no key, permission denied).
    #[error("secure storage is not reachable: {detail}")]
    Unavailable {
        /// What happened.
        detail: String,
    },
    /// The store was reached but the operation failed.
    #[error("secure storage failed: {detail}")]
    Failed {
        /// What happened.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for SecretStoreFailure {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        SecretStoreFailure::Failed { detail: e.reason }
    }
}

impl From<SecretStoreFailure> for SecretStoreError {
    fn from(e: SecretStoreFailure) -> Self {
        match e {
            SecretStoreFailure::Unavailable { detail } => SecretStoreError::Unavailable(detail),
            SecretStoreFailure::Failed { detail } => SecretStoreError::Failed(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use doorpass_wallet::issuer_client::IssuerError;

    #[test]
    fn issuer_answers_become_the_variants_an_app_acts_on() {
        let busy = IssuerError::Busy {
            status: 503,
            retry_after: Some(std::time::Duration::from_secs(7)),
        };
        assert_eq!(
            DoorpassError::from(WalletError::from(busy)),
            DoorpassError::RateLimited {
                retry_after_seconds: 7
            }
        );
        let locked = IssuerError::Refused {
            status: 410,
            code: doorpass_format::api::error_code::CHALLENGE_LOCKED.into(),
            message: "locked".into(),
            attempts_left: None,
        };
        assert_eq!(
            DoorpassError::from(WalletError::from(locked)),
            DoorpassError::CodeAttemptsExhausted
        );
        let down = IssuerError::Unreachable("could not connect".into());
        assert!(matches!(
            DoorpassError::from(DoorError::Issuer(down)),
            DoorpassError::Offline { .. }
        ));
    }

    #[test]
    fn the_issuers_attestation_refusals_become_errors_a_screen_can_act_on() {
        let refused = |code: &str, message: &str| {
            DoorpassError::from(WalletError::from(IssuerError::Refused {
                status: 403,
                code: code.into(),
                message: message.into(),
                attempts_left: None,
            }))
        };
        use doorpass_format::api::error_code;
        assert_eq!(
            refused(error_code::ATTESTATION_REQUIRED, "no attestation"),
            DoorpassError::AttestationRequired
        );
        assert_eq!(
            refused(error_code::ATTESTATION_INVALID, "wrong challenge"),
            DoorpassError::AttestationRefused {
                reason: "wrong challenge".into()
            }
        );
    }

    #[test]
    fn refused_certificates_become_what_the_user_can_do_about_them() {
        let refused = |failure| {
            DoorpassError::from(DoorError::Issuer(IssuerError::Untrusted {
                failure,
                detail: "x".into(),
            }))
        };
        let untrusted = DoorpassError::UntrustedCertificate { detail: "x".into() };
        assert_eq!(refused(TlsFailure::UntrustedCertificate), untrusted);
        assert_eq!(refused(TlsFailure::WrongHostName), untrusted);
        assert_eq!(
            refused(TlsFailure::PinMismatch),
            DoorpassError::CertificatePinMismatch { detail: "x".into() }
        );
        for clock in [
            TlsFailure::CertificateExpired,
            TlsFailure::CertificateNotYetValid,
        ] {
            assert_eq!(
                refused(clock),
                DoorpassError::CertificateNotValidNow { detail: "x".into() }
            );
        }
    }

    #[test]
    fn a_wallet_opened_for_another_issuer_is_bad_input_naming_the_recorded_one() {
        let moved = WalletError::IssuerMismatch {
            stored: "https://issuer.example".into(),
        };
        assert!(matches!(
            DoorpassError::from(moved),
            DoorpassError::InvalidInput { detail } if detail.contains("https://issuer.example")
        ));
    }
}
