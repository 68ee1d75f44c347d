//! The door's check log as the door screen and an inspector see it (docs/door-log.md).

use doorpass_wallet::check_log::CheckLogSummary as CoreSummary;

/// Counts of the door's checks over a period, for the door screen ("today: 214 checked, 3
/// refused; lists 2 h old") and an inspector.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CheckLogSummary {
    /// Start of the period, Unix seconds.
    pub since: u64,
    /// Codes checked in the period.
    pub checked: u64,
    /// Of which valid.
    pub valid: u64,
    /// Of which valid with "check ID".
    pub check_id: u64,
    /// Of which refused.
    pub refused: u64,
    /// Age of the trust list at the latest check in the period, seconds.
    pub trust_list_age_seconds: Option<u64>,
    /// Age of the oldest status list at the latest check in the period, seconds; `None` if none
    /// was held.
    pub status_list_age_seconds: Option<u64>,
}

impl From<CoreSummary> for CheckLogSummary {
    fn from(s: CoreSummary) -> Self {
        CheckLogSummary {
            since: s.since,
            checked: s.checked,
            valid: s.valid,
            check_id: s.check_id,
            refused: s.refused,
            trust_list_age_seconds: s.trust_list_age_seconds,
            status_list_age_seconds: s.status_list_age_seconds,
        }
    }
}
