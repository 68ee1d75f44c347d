//! One 10-minute bucket of the check log: its counts and its line on disk.
//!
//! A line has a fixed length ([`RECORD_LEN`]), so the bucket of the latest checks is rewritten in
//! place and the file grows by buckets, never by checks. Fields are separated by one space:
//! bucket start (Unix seconds, 20 digits), then valid, check_id, refused and one count per refusal
//! reason in [`REFUSAL_CODES`] order (10 digits each), then the trust-list age and the oldest
//! status-list age at the bucket's latest check (11 digits, or 11 `-` for none), then a checksum
//! (16 hex digits: the first 8 bytes of SHA-256 of everything before it). A line that does not
//! match this exactly is skipped when the log is read.

use doorpass_format::verifier::Refusal;
use sha2::{Digest, Sha256};

use super::check::Check;
use crate::door_display::DoorSignal;

/// Length of a bucket, seconds; buckets start at multiples of it (UTC-aligned).
pub const BUCKET_SECONDS: u64 = 600;

/// The stable names of the refusal reasons, in the order of their columns (the verifier's
/// [`Refusal::code`]).
pub const REFUSAL_CODES: [&str; 15] = [
    "malformed",
    "unknown_issuer",
    "bad_signature",
    "issuer_key_not_valid_at_issuance",
    "lifetime_too_long",
    "not_yet_valid",
    "expired",
    "stale_step",
    "future_step",
    "bad_holder_proof",
    "static_refused",
    "revoked",
    "revocation_not_checked",
    "not_revocable",
    "key_not_hardware_bound",
];

/// The column of `refusal` in [`REFUSAL_CODES`].
pub fn refusal_index(refusal: &Refusal) -> usize {
    match refusal {
        Refusal::Malformed { .. } => 0,
        Refusal::UnknownIssuer { .. } => 1,
        Refusal::BadSignature => 2,
        Refusal::IssuerKeyNotValidAtIssuance => 3,
        Refusal::LifetimeTooLong { .. } => 4,
        Refusal::NotYetValid { .. } => 5,
        Refusal::Expired { .. } => 6,
        Refusal::StaleStep { .. } => 7,
        Refusal::FutureStep { .. } => 8,
        Refusal::BadHolderProof => 9,
        Refusal::StaticRefused => 10,
        Refusal::Revoked { .. } => 11,
        Refusal::RevocationNotChecked { .. } => 12,
        Refusal::NotRevocable => 13,
        Refusal::KeyNotHardwareBound => 14,
    }
}

const START_WIDTH: usize = 20;
const COUNT_WIDTH: usize = 10;
const AGE_WIDTH: usize = 11;
const CHECKSUM_WIDTH: usize = 16;
/// Largest count a line holds (a bucket never sees that many checks).
const MAX_COUNT: u64 = 9_999_999_999;
/// Largest age a line holds (over 3,000 years).
const MAX_AGE: u64 = 99_999_999_999;

/// Length of one bucket's line on disk, newline included.
pub const RECORD_LEN: usize = START_WIDTH
    + (3 + REFUSAL_CODES.len()) * (1 + COUNT_WIDTH)
    + 2 * (1 + AGE_WIDTH)
    + (1 + CHECKSUM_WIDTH)
    + 1;

/// The counts of one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// Start of the bucket, Unix seconds (a multiple of [`BUCKET_SECONDS`]).
    pub start: u64,
    /// Checks with the signal [`DoorSignal::Valid`].
    pub valid: u64,
    /// Checks with the signal [`DoorSignal::CheckId`].
    pub check_id: u64,
    /// Checks refused.
    pub refused: u64,
    /// Refusals by reason, in [`REFUSAL_CODES`] order.
    pub refusals: [u64; 15],
    /// Age of the trust list at the bucket's latest check, seconds.
    pub trust_list_age_seconds: Option<u64>,
    /// Age of the oldest status list held at the bucket's latest check, seconds; `None` if none
    /// was held.
    pub status_list_age_seconds: Option<u64>,
}

impl Bucket {
    /// An empty bucket starting at `start`.
    pub fn empty(start: u64) -> Self {
        Bucket {
            start,
            valid: 0,
            check_id: 0,
            refused: 0,
            refusals: [0; 15],
            trust_list_age_seconds: None,
            status_list_age_seconds: None,
        }
    }

    /// The start of the bucket holding time `at`.
    pub fn start_of(at: u64) -> u64 {
        at - at % BUCKET_SECONDS
    }

    /// Checks counted.
    pub fn checked(&self) -> u64 {
        self.valid + self.check_id + self.refused
    }

    /// Counts `check` (the ages become the check's).
    pub fn add(&mut self, check: &Check) {
        let count = match check.signal {
            DoorSignal::Valid => &mut self.valid,
            DoorSignal::CheckId => &mut self.check_id,
            DoorSignal::Refused => &mut self.refused,
        };
        *count = count.saturating_add(1).min(MAX_COUNT);
        if let Some(i) = check.refusal {
            self.refusals[i] = self.refusals[i].saturating_add(1).min(MAX_COUNT);
        }
        self.trust_list_age_seconds = Some(check.trust_list_age_seconds.min(MAX_AGE));
        self.status_list_age_seconds = check.status_list_age_seconds.map(|a| a.min(MAX_AGE));
    }

    /// The bucket's line, [`RECORD_LEN`] bytes, newline included.
    pub fn to_line(&self) -> String {
        use std::fmt::Write;
        let mut line = String::with_capacity(RECORD_LEN);
        let _ = write!(line, "{:0START_WIDTH$}", self.start);
        let counts = [self.valid, self.check_id, self.refused];
        for n in counts.iter().chain(&self.refusals) {
            let _ = write!(line, " {:0COUNT_WIDTH$}", n.min(&MAX_COUNT));
        }
        for age in [self.trust_list_age_seconds, self.status_list_age_seconds] {
            match age {
                Some(a) => {
                    let _ = write!(line, " {:0AGE_WIDTH$}", a.min(MAX_AGE));
                }
                None => {
                    let _ = write!(line, " {}", "-".repeat(AGE_WIDTH));
                }
            }
        }
        let _ = writeln!(line, " {:016x}", checksum(line.as_bytes()));
        line
    }

    /// The bucket a line (without its newline) holds, or `None` if it is not exactly a line
    /// [`Bucket::to_line`] writes.
    pub fn from_line(line: &[u8]) -> Option<Self> {
        if line.len() + 1 != RECORD_LEN {
            return None;
        }
        let (body, sum) = line.split_at(RECORD_LEN - 1 - CHECKSUM_WIDTH - 1);
        let sum = std::str::from_utf8(sum.strip_prefix(b" ")?).ok()?;
        if sum.len() != CHECKSUM_WIDTH || u64::from_str_radix(sum, 16).ok()? != checksum(body) {
            return None;
        }
        let text = std::str::from_utf8(body).ok()?;
        let fields: Vec<&str> = text.split(' ').collect();
        if fields.len() != 1 + 3 + REFUSAL_CODES.len() + 2 {
            return None;
        }
        let number = |field: &str| -> Option<u64> {
            field
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| field.parse().ok())?
        };
        let start = number(fields[0])?;
        if !start.is_multiple_of(BUCKET_SECONDS) {
            return None;
        }
        let mut counts = [0u64; 18];
        for (slot, field) in counts.iter_mut().zip(&fields[1..19]) {
            *slot = number(field)?;
        }
        let age = |field: &str| -> Option<Option<u64>> {
            if field.bytes().all(|b| b == b'-') {
                Some(None)
            } else {
                number(field).map(Some)
            }
        };
        let mut refusals = [0u64; 15];
        refusals.copy_from_slice(&counts[3..]);
        Some(Bucket {
            start,
            valid: counts[0],
            check_id: counts[1],
            refused: counts[2],
            refusals,
            trust_list_age_seconds: age(fields[19])?,
            status_list_age_seconds: age(fields[20])?,
        })
    }
}

fn checksum(bytes: &[u8]) -> u64 {
    let digest = Sha256::digest(bytes);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}
