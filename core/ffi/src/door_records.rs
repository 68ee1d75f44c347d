//! The records a door screen gets: the verdict on a scanned code, why a code was refused, what is
//! known of a pass's revocation and of its holder key, what the door signals and the minimal
//! display of a valid pass, and the status lists held.

use doorpass_format::RevocationCheck;
use doorpass_format::verifier::{Refusal, Verdict};
use doorpass_wallet::door_display::{DoorSignal as CoreSignal, MinimalDisplay as CoreMinimal};
use doorpass_wallet::status_cache::HeldStatusList;

use crate::records::PassKind;

/// Where a pass's holder key lives, as the issuer found from the phone's key attestation at
/// enrolment (the pass carries it; the issuer signed it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum KeyAssurance {
    /// No checked attestation: the key may be in software ("Key: not attested").
    Unattested,
    /// An Android Keystore key in the phone's trusted execution environment, attested.
    AndroidTee,
    /// An Android Keystore key in a StrongBox secure element, attested.
    AndroidStrongBox,
    /// A Secure Enclave key of a genuine app instance, vouched for by Apple App Attest.
    AppleAppAttest,
}

impl From<doorpass_format::KeyAssurance> for KeyAssurance {
    fn from(a: doorpass_format::KeyAssurance) -> Self {
        use doorpass_format::KeyAssurance as Core;
        match a {
            Core::Unattested => KeyAssurance::Unattested,
            Core::AndroidTee => KeyAssurance::AndroidTee,
            Core::AndroidStrongBox => KeyAssurance::AndroidStrongBox,
            Core::AppleAppAttest => KeyAssurance::AppleAppAttest,
        }
    }
}

/// Why a door refused a code: one case per message the door screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RefusalReason {
    /// Not a Doorpass code, or damaged.
    Malformed,
    /// Issued by a key this door does not trust.
    UnknownIssuer,
    /// The issuer signature is not valid (altered or forged).
    BadSignature,
    /// The issuer key was not trusted when the pass was issued.
    IssuerKeyNotValidAtIssuance,
    /// The pass is valid for longer than this door accepts (a sign of a misused issuer key).
    LifetimeTooLong,
    /// The pass is not valid yet.
    NotYetValid,
    /// The pass has expired.
    Expired,
    /// The code is too old: a screenshot, or a phone clock far behind.
    StaleCode,
    /// The code is for a later time: a phone clock far ahead.
    FutureCode,
    /// The code was not made by the phone the pass belongs to.
    NotFromHoldersPhone,
    /// A printed (static) code, and this door wants the live one.
    StaticNotAccepted,
    /// The issuer has revoked the pass.
    Revoked,
    /// This door requires a revocation check and has no recent status list for the pass.
    RevocationNotChecked,
    /// This door refuses passes that cannot be revoked, and this one names no status list.
    NotRevocable,
    /// This door requires a holder key shown to be in the phone's secure hardware, and this pass's
    /// key is not.
    KeyNotHardwareBound,
}

/// What a door plays and shows for a verdict (sound, haptic, colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DoorSignal {
    /// Valid: let the holder in.
    Valid,
    /// Valid, but compare a photo ID closely: a static (printed) code, or a pass whose
    /// revocation was not checked.
    CheckId,
    /// Refused.
    Refused,
}

impl From<CoreSignal> for DoorSignal {
    fn from(s: CoreSignal) -> Self {
        match s {
            CoreSignal::Valid => DoorSignal::Valid,
            CoreSignal::CheckId => DoorSignal::CheckId,
            CoreSignal::Refused => DoorSignal::Refused,
        }
    }
}

/// The minimal display of a valid pass: enough to match an ID without showing the name to the
/// queue. Show the full name and birth date only on a tap.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MinimalDisplay {
    /// The holder's initials: "J. D." for "Jane Doe"; a Hangul name keeps its first and last
    /// syllables, "홍*동" for "홍길동". Empty when the name has no letter to show.
    pub initials: String,
    /// Birth month (1–12); `None` when the pass carries only a birth year.
    pub birth_month: Option<u8>,
    /// Birth day (1–31); `None` when the pass carries only a birth year.
    pub birth_day: Option<u8>,
}

impl From<CoreMinimal> for MinimalDisplay {
    fn from(m: CoreMinimal) -> Self {
        MinimalDisplay {
            initials: m.initials,
            birth_month: m.birth_month,
            birth_day: m.birth_day,
        }
    }
}

/// What a door knows about a valid pass's revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RevocationStatus {
    /// The pass names no status list: it cannot be revoked.
    NotRevocable,
    /// Its list, this old, does not revoke it.
    NotRevoked {
        /// Seconds since the list was signed.
        list_age_seconds: u64,
    },
    /// Not checked: no list for the pass, or one older than this door accepts.
    NotChecked {
        /// Seconds since the list held was signed, if one is held.
        list_age_seconds: Option<u64>,
    },
}

impl From<RevocationCheck> for RevocationStatus {
    fn from(c: RevocationCheck) -> Self {
        match c {
            RevocationCheck::NotRevocable => RevocationStatus::NotRevocable,
            RevocationCheck::NotRevoked { list_age_seconds } => {
                RevocationStatus::NotRevoked { list_age_seconds }
            }
            RevocationCheck::NotChecked { list_age_seconds } => {
                RevocationStatus::NotChecked { list_age_seconds }
            }
        }
    }
}

/// A status list a door holds, for a status line ("revocation list 2 h old").
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StatusListStatus {
    /// The list's URI.
    pub uri: String,
    /// The issuer whose passes it speaks for.
    pub issuer_id: String,
    /// Seconds since it was signed.
    pub age_seconds: u64,
    /// Whether its `ttl` has passed: refresh when online.
    pub refresh_due: bool,
}

impl StatusListStatus {
    /// `held` as seen at `now`.
    pub fn at(held: &HeldStatusList, now: u64) -> Self {
        StatusListStatus {
            uri: held.uri.clone(),
            issuer_id: held.issuer_id.clone(),
            age_seconds: held.age_seconds(now),
            refresh_due: held.is_due(now),
        }
    }
}

/// What the door screen shows for a scanned code.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum VerificationResult {
    /// Valid now: show green, with the name and birth date to compare with an ID card.
    Valid {
        /// Holder's name.
        holder_name: String,
        /// Holder's birth date, `YYYY-MM-DD` or `YYYY`.
        birth_date: String,
        /// What the pass attests.
        kind: PassKind,
        /// When it expires.
        expires_at: u64,
        /// Who issued it.
        issuer_id: String,
        /// Whether it was a static (printed) code.
        was_static: bool,
        /// What the door's status lists say: show "revocation not checked — list N h old" when
        /// not checked.
        revocation: RevocationStatus,
        /// Where the holder key lives, as the issuer found from the phone's key attestation:
        /// show "Key: StrongBox, attested" or "Key: not attested".
        key_assurance: KeyAssurance,
        /// What to show by default: initials and birth day (the name and birth date on a tap).
        minimal: MinimalDisplay,
        /// `Valid`, or `CheckId` when staff must compare a photo ID closely (a static printed
        /// code, or revocation not checked).
        signal: DoorSignal,
    },
    /// Refused: show red with the reason (the signal is `DoorSignal::Refused`).
    Refused {
        /// Why, for the app's own localized message.
        reason: RefusalReason,
        /// The reason in English, for logs.
        message: String,
    },
}

impl From<Verdict> for VerificationResult {
    fn from(v: Verdict) -> Self {
        let signal = CoreSignal::of(&v).into();
        match v {
            Verdict::Valid(p) => VerificationResult::Valid {
                minimal: CoreMinimal::of(&p.display_name, &p.birth_date).into(),
                signal,
                holder_name: p.display_name,
                birth_date: p.birth_date,
                kind: p.kind.into(),
                expires_at: p.expires_at,
                issuer_id: p.issuer_id,
                was_static: p.was_static,
                revocation: p.revocation.into(),
                key_assurance: p.key_assurance.into(),
            },
            Verdict::Refused(r) => VerificationResult::Refused {
                reason: refusal_reason(&r),
                message: r.to_string(),
            },
        }
    }
}

fn refusal_reason(r: &Refusal) -> RefusalReason {
    match r {
        Refusal::Malformed { .. } => RefusalReason::Malformed,
        Refusal::UnknownIssuer { .. } => RefusalReason::UnknownIssuer,
        Refusal::BadSignature => RefusalReason::BadSignature,
        Refusal::IssuerKeyNotValidAtIssuance => RefusalReason::IssuerKeyNotValidAtIssuance,
        Refusal::LifetimeTooLong { .. } => RefusalReason::LifetimeTooLong,
        Refusal::NotYetValid { .. } => RefusalReason::NotYetValid,
        Refusal::Expired { .. } => RefusalReason::Expired,
        Refusal::StaleStep { .. } => RefusalReason::StaleCode,
        Refusal::FutureStep { .. } => RefusalReason::FutureCode,
        Refusal::BadHolderProof => RefusalReason::NotFromHoldersPhone,
        Refusal::StaticRefused => RefusalReason::StaticNotAccepted,
        Refusal::Revoked { .. } => RefusalReason::Revoked,
        Refusal::RevocationNotChecked { .. } => RefusalReason::RevocationNotChecked,
        Refusal::NotRevocable => RefusalReason::NotRevocable,
        Refusal::KeyNotHardwareBound => RefusalReason::KeyNotHardwareBound,
    }
}
