//! The one error type of the wallet, with variants a shell can act on.

use crate::issuer_client::IssuerError;
use crate::secret_store::SecretStoreError;
use crate::tls::TlsFailure;
use doorpass_format::StatusListUpdateError;

/// Why a wallet operation failed. Each variant says what the user or shell can do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    /// Files in the wallet folder could not be read or written. Nothing was lost; retry or free space.
    #[error("wallet storage failed: {detail}")]
    Storage {
        /// What failed.
        detail: String,
    },
    /// Secure storage is not reachable or failed; the shell may offer another store.
    #[error("secure storage: {detail}")]
    SecretStore {
        /// What failed.
        detail: String,
    },
    /// This folder holds no wallet yet; give the issuer URL and trust anchor to create one.
    #[error("no wallet in this folder yet; enrol first")]
    NotSetUp,
    /// The trust anchor given differs from the one this wallet was created with.
    #[error("this wallet was created for another trust anchor")]
    AnchorMismatch,
    /// The issuer URL given differs from the one this wallet recorded, and replacing it was not
    /// asked for. Open it with the recorded URL, or allow the replacement
    /// ([`crate::wallet::WalletSetup::replace_issuer`]) when the issuer really moved.
    #[error("this wallet talks to the issuer at {stored}; replacing it must be asked for")]
    IssuerMismatch {
        /// The issuer URL the wallet recorded.
        stored: String,
    },
    /// The issuer could not be reached (offline?). Passes in hand keep working.
    #[error("the issuer could not be reached: {detail}")]
    IssuerUnreachable {
        /// Why.
        detail: String,
    },
    /// The issuer's TLS certificate was refused, so nothing was sent. Passes in hand keep working.
    /// [`TlsFailure::clock_may_be_wrong`]: ask the user to check the device's date and time;
    /// otherwise the network may be intercepting (try another one), or the app's pins are out of
    /// date.
    #[error("{failure}: {detail}")]
    IssuerNotTrusted {
        /// Why.
        failure: TlsFailure,
        /// The TLS library's words, for logs.
        detail: String,
    },
    /// The issuer is busy; try again after the given number of seconds.
    #[error("the issuer is busy; try again in {retry_after_secs} s")]
    IssuerBusy {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The issuer refused for a reason not covered below.
    #[error("the issuer refused: {message}")]
    IssuerRefused {
        /// The issuer's error code.
        code: String,
        /// The issuer's sentence.
        message: String,
    },
    /// The code is wrong; ask again.
    #[error("wrong code; {attempts_left} tries left")]
    WrongCode {
        /// Tries left on this code.
        attempts_left: u32,
    },
    /// The code can no longer be used (expired, too many tries, or already used): start again.
    #[error("this code can no longer be used ({why}); ask for a new one")]
    CodeNoLongerValid {
        /// Why.
        why: CodeEnd,
    },
    /// No enrolment is waiting for a code.
    #[error("no enrolment is waiting for a code; start one first")]
    NoPendingEnrolment,
    /// The issuer will not issue a pass to this subject now.
    #[error("the issuer will not issue a pass to this person now")]
    NotEligible,
    /// The pass cannot be renewed any more; authenticate again with a code (same holder key).
    #[error("authentication is needed again for this pass")]
    ReauthRequired,
    /// No pass with this id.
    #[error("no pass with id {id}")]
    UnknownPass {
        /// The id asked for.
        id: String,
    },
    /// Several passes and none chosen.
    #[error("this wallet holds several passes; choose one")]
    PassNotChosen,
    /// The slot has no usable pass (its file was damaged); renewing fetches it again.
    #[error("the pass file was damaged and set aside; renew to fetch it again")]
    PassMissing,
    /// The issuer has revoked this pass: it shows no code. Authenticate again for a new one.
    #[error("the issuer has revoked this pass; authenticate again for a new one")]
    PassRevoked,
    /// Another process is talking to the issuer for this wallet right now (e.g. a background
    /// renewal); nothing was sent. Try again in a moment.
    #[error("another process is using this wallet's issuer connection; try again in a moment")]
    InUse,
    /// This wallet was wiped; open a new one.
    #[error("this wallet was wiped")]
    Wiped,
    /// This handle was closed ([`super::Wallet::close`]): nothing more is read or written through
    /// it. Use the handle opened after it (or open the folder again).
    #[error("this wallet handle was closed; use the one opened after it")]
    Closed,
    /// The device clock cannot be trusted to check passes: it was turned back since the wallet last
    /// saw it (until the next enrolment or renewal answer sets it against the issuer's time).
    #[error("the device clock cannot be trusted: {detail}")]
    ClockUntrustworthy {
        /// What is wrong with it.
        detail: String,
    },
    /// The issuer sent a pass or trust list that does not check out; it was not stored.
    #[error("the issuer sent something invalid: {detail}")]
    InvalidFromIssuer {
        /// What was wrong.
        detail: String,
    },
    /// A status list fetched for a pass was refused (signed for another issuer, naming another URI,
    /// dated ahead, expired, or older than the one held); the list held before stays. Passes keep
    /// working; try again later, or check the device clock when it says the list is from the future.
    #[error("the status list was not taken: {0}")]
    StatusListRefused(StatusListUpdateError),
    /// The holder key could not sign or be read: a platform key (Keystore, Secure Enclave) is gone,
    /// locked or failed, or gave a signature that does not match it; or this pass's key is kept by
    /// the platform but the wallet was opened without its signer. Passes with other keys keep
    /// working; authenticating again makes a new key.
    #[error("the holder key cannot sign: {detail}")]
    HolderKey {
        /// What failed.
        detail: String,
    },
    /// The issuer requires a holder key attested to be in the phone's secure hardware, and this
    /// phone gave no attestation (no secure hardware, or the app has no platform signer). The
    /// enrolment stays pending and any pass in hand keeps working; nothing on this phone can
    /// change it: "this issuer needs a phone with secure hardware".
    #[error("the issuer needs a phone with secure hardware (an attested holder key)")]
    AttestationRequired,
    /// The issuer refused this phone's key attestation (its chain, challenge, key, app or security
    /// level does not check). The enrolment stays pending; any pass in hand keeps working.
    #[error("the issuer refused this phone's key attestation: {reason}")]
    AttestationRefused {
        /// The issuer's reason, for logs and support.
        reason: String,
    },
    /// The input is not acceptable (e.g. an empty subject).
    #[error("{detail}")]
    InvalidInput {
        /// What is wrong.
        detail: String,
    },
}

/// Why a one-time code can no longer be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeEnd {
    /// It expired.
    Expired,
    /// Too many wrong tries locked it.
    TooManyTries,
    /// It was already used (or never existed).
    AlreadyUsed,
}

impl std::fmt::Display for CodeEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CodeEnd::Expired => "expired",
            CodeEnd::TooManyTries => "too many wrong tries",
            CodeEnd::AlreadyUsed => "already used",
        })
    }
}

impl WalletError {
    pub(crate) fn storage(what: &str, e: impl std::fmt::Display) -> Self {
        WalletError::Storage {
            detail: format!("{what}: {e}"),
        }
    }
}

impl From<SecretStoreError> for WalletError {
    fn from(e: SecretStoreError) -> Self {
        WalletError::SecretStore {
            detail: e.to_string(),
        }
    }
}

impl From<crate::holder_signer::HolderSignerError> for WalletError {
    fn from(e: crate::holder_signer::HolderSignerError) -> Self {
        WalletError::HolderKey {
            detail: e.to_string(),
        }
    }
}

impl From<IssuerError> for WalletError {
    fn from(e: IssuerError) -> Self {
        use doorpass_format::api::error_code as code;
        match e {
            IssuerError::Unreachable(detail) => WalletError::IssuerUnreachable { detail },
            IssuerError::Busy { retry_after, .. } => WalletError::IssuerBusy {
                retry_after_secs: retry_after.map_or(5, |d| d.as_secs().max(1)),
            },
            IssuerError::Refused {
                code: c,
                attempts_left,
                message,
                ..
            } => match c.as_str() {
                code::INVALID_CODE => WalletError::WrongCode {
                    attempts_left: attempts_left.unwrap_or(0),
                },
                code::CHALLENGE_EXPIRED => WalletError::CodeNoLongerValid {
                    why: CodeEnd::Expired,
                },
                code::CHALLENGE_LOCKED => WalletError::CodeNoLongerValid {
                    why: CodeEnd::TooManyTries,
                },
                code::UNKNOWN_CHALLENGE => WalletError::CodeNoLongerValid {
                    why: CodeEnd::AlreadyUsed,
                },
                code::NOT_ELIGIBLE => WalletError::NotEligible,
                code::ATTESTATION_REQUIRED => WalletError::AttestationRequired,
                code::ATTESTATION_INVALID => WalletError::AttestationRefused { reason: message },
                // The request did not reach the issuer in time: as good as unreachable; retried.
                code::REQUEST_TIMEOUT => WalletError::IssuerUnreachable { detail: message },
                code::INVALID_REFRESH_TOKEN
                | code::REFRESH_TOKEN_REUSED
                | code::REFRESH_TOKEN_EXPIRED => WalletError::ReauthRequired,
                _ => WalletError::IssuerRefused { code: c, message },
            },
            IssuerError::Protocol(detail) => WalletError::InvalidFromIssuer { detail },
            IssuerError::Untrusted { failure, detail } => {
                WalletError::IssuerNotTrusted { failure, detail }
            }
        }
    }
}
