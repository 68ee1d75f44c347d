//! The records that cross to Kotlin and Swift: copies of the core's records in owned, FFI-friendly
//! types. Times are Unix seconds; counts are `u32`.

use doorpass_format::pass::PassKind as CoreKind;
use doorpass_wallet::clock::ClockStatus as CoreClock;
use doorpass_wallet::trust_cache::TrustListStatus as CoreTrustStatus;
use doorpass_wallet::wallet::{
    PassRenewal as CoreRenewal, PassState as CoreState, PassSummary as CoreSummary,
    PendingEnrolment as CorePending, QrView as CoreQr, RenewalOutcome as CoreOutcome,
    RenewalPlan as CorePlan, StorageProblem as CoreProblem, WalletState as CoreWalletState,
};

/// What a pass attests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PassKind {
    /// Vaccination.
    Vaccination,
    /// Recovery from the illness.
    Recovery,
    /// Medical exemption.
    MedicalExemption,
    /// A negative test.
    NegativeTest,
}

impl From<CoreKind> for PassKind {
    fn from(k: CoreKind) -> Self {
        match k {
            CoreKind::Vaccination => PassKind::Vaccination,
            CoreKind::Recovery => PassKind::Recovery,
            CoreKind::MedicalExemption => PassKind::MedicalExemption,
            CoreKind::NegativeTest => PassKind::NegativeTest,
        }
    }
}

/// Where one pass stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PassState {
    /// Valid and not yet due for renewal.
    Active,
    /// Valid; renewal is due and happens quietly.
    RenewDue,
    /// Expired; a renewal may still bring a new one.
    Expired,
    /// Renewal was refused: authenticate again with a code. The pass is kept while valid.
    ReauthenticationRequired,
    /// The pass file was damaged and set aside; renewal fetches it again.
    Missing,
    /// The issuer has revoked the pass: no code is shown; authenticate again for a new one.
    Revoked,
}

impl From<CoreState> for PassState {
    fn from(s: CoreState) -> Self {
        match s {
            CoreState::Active => PassState::Active,
            CoreState::RenewDue => PassState::RenewDue,
            CoreState::Expired => PassState::Expired,
            CoreState::ReauthRequired => PassState::ReauthenticationRequired,
            CoreState::Missing => PassState::Missing,
            CoreState::Revoked => PassState::Revoked,
        }
    }
}

/// One pass in the wallet, for a list or a card.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PassSummary {
    /// Stable id of this pass in the wallet (survives renewals).
    pub id: String,
    /// Who it was issued to, as typed at enrolment (phone number or id).
    pub subject: String,
    /// Where it stands.
    pub state: PassState,
    /// Holder's name; empty when the pass file was damaged.
    pub holder_name: String,
    /// Holder's birth date (`YYYY-MM-DD` or `YYYY`); empty when damaged.
    pub birth_date: String,
    /// What it attests; `None` when damaged.
    pub kind: Option<PassKind>,
    /// Expiry (corrected time); 0 when damaged.
    pub expires_at: u64,
    /// When renewal becomes due (corrected time); 0 when damaged.
    pub renew_after: u64,
    /// Earliest next renewal attempt after a failure (device time), if one is scheduled.
    pub next_renewal_attempt: Option<u64>,
    /// Why the last renewal attempt failed, if it did.
    pub last_renewal_error: Option<String>,
}

impl From<CoreSummary> for PassSummary {
    fn from(s: CoreSummary) -> Self {
        let details = s.details;
        PassSummary {
            id: s.id,
            subject: s.subject,
            state: s.state.into(),
            holder_name: details
                .as_ref()
                .map(|d| d.display_name.clone())
                .unwrap_or_default(),
            birth_date: details
                .as_ref()
                .map(|d| d.birth_date.clone())
                .unwrap_or_default(),
            kind: details.as_ref().map(|d| d.kind.into()),
            expires_at: details.as_ref().map_or(0, |d| d.expires_at),
            renew_after: details.as_ref().map_or(0, |d| d.renew_after),
            next_renewal_attempt: s.next_renewal_attempt,
            last_renewal_error: s.last_renewal_error,
        }
    }
}

/// A QR code to draw, with everything the pass screen needs.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QrView {
    /// Which pass.
    pub pass_id: String,
    /// The modules, row by row, one byte each (1 dark, 0 light), `size × size` of them. Draw them
    /// with a light margin of `quiet_zone` modules on every side.
    pub modules: Vec<u8>,
    /// Modules per side, without the margin.
    pub size: u32,
    /// The light margin to draw around the code, in modules.
    pub quiet_zone: u32,
    /// QR version (1 to 40).
    pub version: u32,
    /// The text in the code (`DP1:…`).
    pub text: String,
    /// Seconds until the next code; 0 for a static code.
    pub seconds_until_rotation: u32,
    /// Whether this is a static (printed) code.
    pub is_static: bool,
    /// Where the pass stands.
    pub state: PassState,
    /// Holder's name.
    pub holder_name: String,
    /// Expiry (corrected time).
    pub expires_at: u64,
    /// A sentence for TalkBack and VoiceOver.
    pub accessibility_label: String,
}

impl From<CoreQr> for QrView {
    fn from(v: CoreQr) -> Self {
        QrView {
            pass_id: v.pass_id,
            modules: v.matrix.modules().iter().map(|&d| u8::from(d)).collect(),
            size: v.matrix.size(),
            quiet_zone: doorpass_format::qr::QUIET_ZONE,
            version: u32::from(v.matrix.version()),
            text: v.qr_text,
            seconds_until_rotation: u32::try_from(v.seconds_until_rotation).unwrap_or(u32::MAX),
            is_static: v.is_static,
            state: v.state.into(),
            holder_name: v.display_name,
            expires_at: v.expires_at,
            accessibility_label: v.accessible_label,
        }
    }
}

/// An enrolment waiting for its code.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PendingEnrolment {
    /// Who the code was sent to.
    pub subject: String,
    /// Digits in the code.
    pub code_length: u32,
    /// When the code expires (corrected time).
    pub expires_at: u64,
    /// Whether this re-authenticates a pass already in the wallet.
    pub reauthentication: bool,
}

impl From<CorePending> for PendingEnrolment {
    fn from(p: CorePending) -> Self {
        PendingEnrolment {
            subject: p.subject,
            code_length: p.code_length,
            expires_at: p.expires_at,
            reauthentication: p.reauthentication,
        }
    }
}

/// Where the wallet as a whole stands.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum WalletState {
    /// No pass and no enrolment under way.
    NotEnrolled,
    /// A code was sent; waiting for the person to type it.
    AwaitingCode {
        /// The enrolment.
        pending: PendingEnrolment,
    },
    /// At least one pass is held.
    Ready {
        /// How many.
        passes: u32,
    },
}

impl From<CoreWalletState> for WalletState {
    fn from(s: CoreWalletState) -> Self {
        match s {
            CoreWalletState::NotEnrolled => WalletState::NotEnrolled,
            CoreWalletState::AwaitingCode(p) => WalletState::AwaitingCode { pending: p.into() },
            CoreWalletState::Ready { passes } => WalletState::Ready {
                passes: u32::try_from(passes).unwrap_or(u32::MAX),
            },
        }
    }
}

/// What a renewal attempt came to. Times are device seconds; schedule the next attempt at `retry_at`
/// (plus a random fraction of a second), never sooner.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum RenewalOutcome {
    /// Not due yet.
    NotDue {
        /// When it becomes due (corrected time).
        renew_after: u64,
    },
    /// A new pass is stored.
    Renewed {
        /// Its expiry.
        expires_at: u64,
        /// When it becomes due for renewal.
        renew_after: u64,
    },
    /// Waiting out an earlier failure or a `Retry-After`; the issuer was not contacted.
    Waiting {
        /// Earliest next attempt.
        retry_at: u64,
    },
    /// The attempt failed; the pass in hand is kept.
    Deferred {
        /// Earliest next attempt.
        retry_at: u64,
        /// Why, for logs.
        reason: String,
        /// The issuer's `Retry-After` in seconds, if it gave one.
        retry_after_seconds: Option<u64>,
    },
    /// Renewal was refused: authenticate again. The pass in hand is kept while valid.
    ReauthenticationRequired {
        /// Why, for logs.
        reason: String,
    },
}

impl From<CoreOutcome> for RenewalOutcome {
    fn from(o: CoreOutcome) -> Self {
        match o {
            CoreOutcome::NotDue { renew_after } => RenewalOutcome::NotDue { renew_after },
            CoreOutcome::Renewed {
                expires_at,
                renew_after,
            } => RenewalOutcome::Renewed {
                expires_at,
                renew_after,
            },
            CoreOutcome::Waiting { retry_at } => RenewalOutcome::Waiting { retry_at },
            CoreOutcome::Deferred {
                retry_at,
                reason,
                retry_after,
            } => RenewalOutcome::Deferred {
                retry_at,
                reason,
                retry_after_seconds: retry_after,
            },
            CoreOutcome::ReauthRequired { reason } => {
                RenewalOutcome::ReauthenticationRequired { reason }
            }
        }
    }
}

/// A renewal outcome for one pass.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PassRenewal {
    /// Which pass.
    pub pass_id: String,
    /// What happened.
    pub outcome: RenewalOutcome,
}

impl From<CoreRenewal> for PassRenewal {
    fn from(r: CoreRenewal) -> Self {
        PassRenewal {
            pass_id: r.pass_id,
            outcome: r.outcome.into(),
        }
    }
}

/// When the background scheduler should renew next, and until when it may wait for good
/// conditions (Android: unmetered network and charging; iOS: external power). Device seconds;
/// `run_at <= relax_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct RenewalPlan {
    /// From then, run on good conditions: `next_renewal_at()`, or now if that has passed.
    pub run_at: u64,
    /// From then, run on any network: 12 h after the pass became due, at the latest 36 h before
    /// it expires, outside the issuer's busy hours; equal to `run_at` for a pass close to expiry.
    pub relax_at: u64,
}

impl From<CorePlan> for RenewalPlan {
    fn from(p: CorePlan) -> Self {
        RenewalPlan {
            run_at: p.run_at,
            relax_at: p.relax_at,
        }
    }
}

/// The cached trust list, for a status line ("trust list 2 h old").
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TrustListStatus {
    /// Its version.
    pub version: u64,
    /// Seconds since it was issued.
    pub age_seconds: u64,
    /// Whether the anchor's planned update time has passed: refresh when online.
    pub update_due: bool,
}

impl From<CoreTrustStatus> for TrustListStatus {
    fn from(s: CoreTrustStatus) -> Self {
        TrustListStatus {
            version: s.version,
            age_seconds: s.age_seconds,
            update_due: s.update_due,
        }
    }
}

/// The wallet's clock against the issuer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct ClockStatus {
    /// Issuer time minus device time in seconds, once known; the core adds it to every time given.
    pub offset_seconds: Option<i64>,
    /// Whether the offset is large enough to matter at a door (the core already corrects for it).
    pub skewed: bool,
    /// Whether the device clock was seen going backwards since the last sync.
    pub turned_back: bool,
    /// Device time of the last sync with the issuer.
    pub synced_at: Option<u64>,
    /// Set when the issuer's last answer put its time more than 400 days from the device's: issuer
    /// time minus device time of that answer, which was not used (the offset above is the last one
    /// accepted). Cleared by the next accepted sync.
    pub rejected_offset_seconds: Option<i64>,
    /// Set when the last code was drawn for the time kept by the boot clock since the issuer's last
    /// answer, because the device clock (corrected) differed from it by more than the doors'
    /// tolerance: by how many seconds (positive: the device clock is ahead). A screen may say "this
    /// phone's clock is wrong; the code uses the right time".
    pub device_clock_ignored_seconds: Option<i64>,
}

impl From<CoreClock> for ClockStatus {
    fn from(c: CoreClock) -> Self {
        ClockStatus {
            offset_seconds: c.offset_seconds,
            skewed: c.skewed,
            turned_back: c.turned_back,
            synced_at: c.synced_at,
            rejected_offset_seconds: c.rejected_offset_seconds,
            device_clock_ignored_seconds: c.device_clock_ignored_seconds,
        }
    }
}

/// A damaged file found and moved aside when the wallet was opened.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StorageProblem {
    /// The file.
    pub file: String,
    /// Where it was moved.
    pub moved_to: String,
    /// What was wrong.
    pub reason: String,
}

impl From<CoreProblem> for StorageProblem {
    fn from(p: CoreProblem) -> Self {
        StorageProblem {
            file: p.file,
            moved_to: p.moved_to,
            reason: p.reason,
        }
    }
}
