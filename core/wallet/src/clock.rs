//! The wallet's view of time: issuer time against device time at each sync, skew, and a clock that was
//! turned back.

use serde::{Deserialize, Serialize};

/// Offsets larger than this are reported as skew (the door tolerates 60 s; warn well before).
pub const SKEW_WARNING_SECONDS: u64 = 30;
/// The device clock going back by more than this since last seen is reported.
pub const TURNED_BACK_TOLERANCE_SECONDS: u64 = 120;

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

    /// Records the issuer's time (from an answer's `Date` header) against the device's.
    pub fn sync(&mut self, server_time: u64, device_now: u64) {
        let offset = i128::from(server_time) - i128::from(device_now);
        self.offset_seconds = Some(offset.clamp(i64::MIN.into(), i64::MAX.into()) as i64);
        self.synced_at = Some(device_now);
        self.latest_device_time = device_now;
        self.turned_back = false;
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
}
