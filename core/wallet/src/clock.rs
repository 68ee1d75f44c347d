//! The wallet's view of time: issuer time against device time at each sync, skew, and a clock that was
//! turned back.
//!
//! The issuer's time is taken only from answers that cannot have come from a cache (the POST answers
//! of enrolment and renewal), and only within [`MAX_CORRECTION_SECONDS`] of the device's clock.

use serde::{Deserialize, Serialize};

/// Offsets larger than this are reported as skew (the door tolerates 60 s; warn well before).
pub const SKEW_WARNING_SECONDS: u64 = 30;
/// The device clock going back by more than this since last seen is reported.
pub const TURNED_BACK_TOLERANCE_SECONDS: u64 = 120;

/// The largest difference between issuer and device time the wallet corrects for: 400 days. An issuer
/// time further from the device's is ignored (and reported as
/// [`ClockStatus::rejected_offset_seconds`]).
///
/// Why 400 days: a publicly trusted TLS certificate is valid for at most 398 days (CA/Browser Forum
/// baseline requirements), and the wallet checks the issuer's certificate against the device clock.
/// A device whose clock is more than 398 days off cannot complete an honest https conversation with
/// the issuer at all, so an answer that claims such a difference says more about the answer (an
/// issuer host whose clock was reset, a tampering middlebox) than about the device. Trusting it would
/// move every code the wallet signs years away: codes made for a far-future time can be recorded now
/// and replayed at a door then, and a past time keeps an expired pass looking valid. Anything within
/// the bound (a phone set a few hours, days or months wrong) is still corrected.
pub const MAX_CORRECTION_SECONDS: u64 = 400 * 86_400;

/// What the wallet remembers about time (persisted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockRecord {
    /// Issuer time minus device time at the last sync, in seconds.
    pub offset_seconds: Option<i64>,
    /// Device time of the last sync.
    pub synced_at: Option<u64>,
    /// Latest device time seen.
    pub latest_device_time: u64,
    /// Set when the device clock was seen going backwards; cleared by the next sync.
    pub turned_back: bool,
    /// Issuer time minus device time of the last issuer answer that was ignored for being more than
    /// [`MAX_CORRECTION_SECONDS`] off; cleared by the next accepted sync.
    #[serde(default)]
    pub rejected_offset_seconds: Option<i64>,
}

/// The clock as shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockStatus {
    /// Issuer time minus device time, if ever synced.
    pub offset_seconds: Option<i64>,
    /// Whether the offset is large enough to matter at a door.
    pub skewed: bool,
    /// Whether the device clock went backwards since last seen.
    pub turned_back: bool,
    /// Device time of the last sync.
    pub synced_at: Option<u64>,
    /// Set when the last issuer time seen was ignored for differing from the device's by more than
    /// [`MAX_CORRECTION_SECONDS`]: issuer time minus device time of that answer. The offset above is
    /// still the last one accepted. Cleared by the next accepted sync.
    pub rejected_offset_seconds: Option<i64>,
}

impl ClockRecord {
    /// Notes a device time reading; flags a clock turned back. Returns whether anything changed.
    pub fn observe(&mut self, device_now: u64) -> bool {
        if device_now.saturating_add(TURNED_BACK_TOLERANCE_SECONDS) < self.latest_device_time
            && !self.turned_back
        {
            self.turned_back = true;
            return true;
        }
        if device_now > self.latest_device_time {
            self.latest_device_time = device_now;
        }
        false
    }

    /// Records the issuer's time (from the `Date` header of an answer no cache can have served: a
    /// POST) against the device's. A time more than [`MAX_CORRECTION_SECONDS`] from the device's is
    /// not used: it is kept as [`ClockRecord::rejected_offset_seconds`] and `false` is returned.
    pub fn sync(&mut self, server_time: u64, device_now: u64) -> bool {
        let offset = (i128::from(server_time) - i128::from(device_now))
            .clamp(i64::MIN.into(), i64::MAX.into()) as i64;
        if offset.unsigned_abs() > MAX_CORRECTION_SECONDS {
            log::warn!(
                "the issuer's time differs from this device's by {offset} s, more than the {} s the \
                 wallet corrects for: ignored",
                MAX_CORRECTION_SECONDS
            );
            self.rejected_offset_seconds = Some(offset);
            return false;
        }
        self.offset_seconds = Some(offset);
        self.synced_at = Some(device_now);
        self.latest_device_time = device_now;
        self.turned_back = false;
        self.rejected_offset_seconds = None;
        true
    }

    /// Device time corrected by the last known offset.
    pub fn corrected(&self, device_now: u64) -> u64 {
        match self.offset_seconds {
            Some(offset) => device_now.saturating_add_signed(offset),
            None => device_now,
        }
    }

    /// The status for people.
    pub fn status(&self) -> ClockStatus {
        ClockStatus {
            offset_seconds: self.offset_seconds,
            skewed: self
                .offset_seconds
                .is_some_and(|o| o.unsigned_abs() > SKEW_WARNING_SECONDS),
            turned_back: self.turned_back,
            synced_at: self.synced_at,
            rejected_offset_seconds: self.rejected_offset_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_correction_and_turned_back() {
        let mut c = ClockRecord::default();
        assert_eq!(c.corrected(1000), 1000);
        c.sync(1_100, 1_000);
        assert_eq!(c.corrected(2_000), 2_100);
        assert!(c.status().skewed);
        c.observe(5_000);
        assert!(!c.status().turned_back);
        assert!(c.observe(4_000), "an hour back is flagged");
        assert!(c.status().turned_back);
        c.sync(4_100, 4_095);
        assert!(!c.status().turned_back && !c.status().skewed);
    }

    #[test]
    fn an_issuer_time_beyond_the_bound_is_reported_not_used() {
        let mut c = ClockRecord::default();
        let device = 2_000_000_000;
        let far = MAX_CORRECTION_SECONDS + 1;
        assert!(!c.sync(device + far, device));
        assert_eq!(c.status().offset_seconds, None);
        assert_eq!(c.status().synced_at, None);
        assert_eq!(c.status().rejected_offset_seconds, Some(far as i64));
        assert_eq!(c.corrected(device), device);
        // The bound itself is still corrected, and an accepted sync clears the report.
        assert!(c.sync(device - MAX_CORRECTION_SECONDS, device));
        assert_eq!(
            c.status().offset_seconds,
            Some(-(MAX_CORRECTION_SECONDS as i64))
        );
        assert_eq!(c.status().rejected_offset_seconds, None);
        // A rejected answer leaves the last accepted offset in place.
        assert!(!c.sync(0, device));
        assert_eq!(
            c.status().offset_seconds,
            Some(-(MAX_CORRECTION_SECONDS as i64))
        );
        assert_eq!(c.status().rejected_offset_seconds, Some(-(device as i64)));
    }
}
