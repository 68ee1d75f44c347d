//! Registered holders: who may be issued a pass, with what name, kind and eligibility.

/// A registered holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderRecord {
    /// Subject (e.g. phone number).
    pub subject: String,
    /// Name shown at the door.
    pub display_name: String,
    /// `YYYY-MM-DD` or `YYYY`.
    pub birth_date: String,
    /// DP1 pass kind code.
    pub kind: u64,
    /// Unix seconds after which no pass is issued and none outlives.
    pub eligible_until: u64,
}
