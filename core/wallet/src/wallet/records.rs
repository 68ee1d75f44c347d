//! Plain records the wallet hands to shells (and, later, across the FFI boundary).

use std::sync::Arc;
use std::time::Duration;

use crate::tls::TlsTrust;
use crate::transport::HttpTransport;

use crate::boot_clock::BootClock;
use crate::holder_signer::NewHolderKeys;
use crate::retry::RetryPolicy;
use doorpass_format::keys::VerifyingKey;
use doorpass_format::pass::PassKind;
use doorpass_format::qr::QrMatrix;

/// What a new wallet needs: where its issuer is and which trust anchor it pins.
#[derive(Debug, Clone)]
pub struct WalletSetup {
    /// Issuer base URL.
    pub issuer_url: String,
    /// The trust anchor public key, pinned at build time in apps.
    pub anchor: VerifyingKey,
    /// Whether `issuer_url` may replace a different URL an existing wallet recorded. Without it,
    /// opening that wallet fails with [`crate::wallet::WalletError::IssuerMismatch`]: its refresh
    /// tokens and proofs would otherwise go to another server on a caller's word alone.
    pub replace_issuer: bool,
}

/// Tunables, with production defaults.
#[derive(Clone)]
pub struct WalletOptions {
    /// Time limit for each issuer call.
    pub http_timeout: Duration,
    /// Backoff for failed renewals.
    pub retry: RetryPolicy,
    /// Allow plain http to an issuer on another machine (QA only; loopback is always allowed).
    pub allow_plain_http: bool,
    /// How requests reach the issuer; `None` uses the built-in reqwest transport (feature `http`).
    pub transport: Option<Arc<dyn HttpTransport>>,
    /// How the built-in transport checks the issuer's certificate: the platform's roots, plus a
    /// test build's extra roots, and optional SPKI pins (ignored with a transport of the app's).
    pub tls: TlsTrust,
    /// The clock that counts since boot, asleep or awake, read with each issuer answer and each
    /// code: codes are drawn for "issuer time then + elapsed since" when the device clock disagrees
    /// (see [`crate::clock`]). The default is the system's
    /// ([`crate::boot_clock::system_boot_clock`]); `None` draws codes from the device clock alone.
    pub boot_clock: Option<Arc<dyn BootClock>>,
    /// Which holder key a new enrolment makes: software Ed25519 (the default), software P-256, or
    /// the platform's key (a [`crate::holder_signer::PlatformSigner`]). Passes keep the kind they
    /// were issued with; with a platform signer, a pass with a software key moves to the platform's
    /// key at its next authentication. A pass whose key the platform keeps needs this signer to show
    /// a code or renew.
    pub holder_keys: NewHolderKeys,
}

impl std::fmt::Debug for WalletOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalletOptions")
            .field("http_timeout", &self.http_timeout)
            .field("retry", &self.retry)
            .field("allow_plain_http", &self.allow_plain_http)
            .field("transport", &self.transport.as_ref().map(|_| "custom"))
            .field("boot_clock", &self.boot_clock.as_ref().map(|_| "set"))
            .field("tls", &self.tls)
            .field("holder_keys", &self.holder_keys)
            .finish()
    }
}

impl Default for WalletOptions {
    fn default() -> Self {
        WalletOptions {
            http_timeout: crate::issuer_client::DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            allow_plain_http: false,
            transport: None,
            tls: TlsTrust::default(),
            boot_clock: crate::boot_clock::system_boot_clock(),
            holder_keys: NewHolderKeys::default(),
        }
    }
}

/// Where the wallet as a whole stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalletState {
    /// No pass and no enrolment under way.
    NotEnrolled,
    /// A code was sent; waiting for the user to type it.
    AwaitingCode(PendingEnrolment),
    /// At least one pass is held.
    Ready {
        /// How many passes.
        passes: usize,
    },
}

/// An enrolment waiting for its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEnrolment {
    /// Who the code was sent to.
    pub subject: String,
    /// Digits in the code.
    pub code_length: u32,
    /// When the code expires (corrected time).
    pub expires_at: u64,
    /// Whether this re-authenticates an existing pass (same holder key).
    pub reauthentication: bool,
}

/// Where one pass stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassState {
    /// Valid and not yet due for renewal.
    Active,
    /// Valid; renewal is due (it happens quietly).
    RenewDue,
    /// Expired; renewal may still bring a new one.
    Expired,
    /// The issuer refused to renew: authenticate again with a code. The pass is kept while valid.
    ReauthRequired,
    /// The pass file was damaged and set aside; renewal fetches it again.
    Missing,
    /// The issuer has revoked the pass (its status list says so): no code is shown; authenticate
    /// again for a new pass.
    Revoked,
}

/// What a pass says, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassDetails {
    /// The current pass's id (changes with each renewal), hex.
    pub pass_id: String,
    /// Holder's name.
    pub display_name: String,
    /// Holder's birth date.
    pub birth_date: String,
    /// What it attests.
    pub kind: PassKind,
    /// Issue time.
    pub issued_at: u64,
    /// Expiry.
    pub expires_at: u64,
    /// When renewal becomes due.
    pub renew_after: u64,
}

/// One pass in the wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassSummary {
    /// Stable id of this pass in the wallet (survives renewals), for `current_qr` etc.
    pub id: String,
    /// Who it was issued to (as typed at enrolment).
    pub subject: String,
    /// Where it stands.
    pub state: PassState,
    /// What it says; `None` when the file was damaged.
    pub details: Option<PassDetails>,
    /// When the next renewal attempt may be made, if one is scheduled after a failure.
    pub next_renewal_attempt: Option<u64>,
    /// Why the last renewal attempt failed, if it did.
    pub last_renewal_error: Option<String>,
}

/// A QR code to show, with everything the screen needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrView {
    /// Which pass.
    pub pass_id: String,
    /// The text in the code (`DP1:…`).
    pub qr_text: String,
    /// The modules to draw (add a 4-module light margin).
    pub matrix: QrMatrix,
    /// Rotation step the code is for.
    pub step: u64,
    /// Seconds until a new code is due (0 for static codes).
    pub seconds_until_rotation: u64,
    /// Whether this is a static code.
    pub is_static: bool,
    /// Where the pass stands.
    pub state: PassState,
    /// Holder's name.
    pub display_name: String,
    /// Expiry.
    pub expires_at: u64,
    /// A sentence for screen readers.
    pub accessible_label: String,
}

/// What a renewal attempt came to.
///
/// Times are device seconds. A shell that schedules the next attempt should wake at `retry_at` plus a
/// random fraction of a second: thousands of wallets told the same second must not all arrive at its
/// first millisecond.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenewalOutcome {
    /// Not due yet.
    NotDue {
        /// When it becomes due.
        renew_after: u64,
    },
    /// A new pass is stored.
    Renewed {
        /// The new expiry.
        expires_at: u64,
        /// The new renew-after.
        renew_after: u64,
    },
    /// Waiting out an earlier failure or a `Retry-After`; the issuer was not contacted.
    Waiting {
        /// Earliest next attempt.
        retry_at: u64,
    },
    /// The issuer was contacted and the attempt failed; the pass in hand is kept.
    Deferred {
        /// Earliest next attempt.
        retry_at: u64,
        /// Why.
        reason: String,
        /// The issuer's `Retry-After`, in seconds, if it gave one.
        retry_after: Option<u64>,
    },
    /// The issuer refused the refresh token: authenticate again. The pass in hand is kept.
    ReauthRequired {
        /// Why.
        reason: String,
    },
}

/// A renewal outcome for one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassRenewal {
    /// Which pass.
    pub pass_id: String,
    /// What happened.
    pub outcome: RenewalOutcome,
}

pub use crate::trust_cache::TrustListStatus;

/// A damaged file found and moved aside when the wallet was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageProblem {
    /// The file that was damaged.
    pub file: String,
    /// Where it was moved.
    pub moved_to: String,
    /// What was wrong.
    pub reason: String,
}
