//! The wallet's view of time: issuer time against device time at each sync, skew, a clock that was
//! turned back, and the time codes are drawn for.
//!
//! The issuer's time is taken only from answers that cannot have come from a cache (the POST answers
//! of enrolment and renewal), and only within [`MAX_CORRECTION_SECONDS`] of the device's clock.
//!
//! Codes are drawn for the device's time corrected by the last offset, unless a boot clock (one that
//! counts sleep and that nobody sets, see [`crate::boot_clock`]) says otherwise: the wallet keeps the
//! issuer's time of the last accepted answer with the boot clock's reading then
//! ([`ClockRecord::boot_anchor`]), and when the corrected device time is further than
//! [`DEVICE_CLOCK_TOLERANCE_SECONDS`] (plus a drift allowance) from "issuer time then + elapsed
//! since", in either direction, the code is drawn for the latter. Someone holding the unlocked phone
//! for a minute can then set its clock ahead all they like: the codes they photograph are for now,
//! and doors refuse them later. After a restart (a smaller reading, or another boot id) the elapsed
//! time is unknown and the corrected device time is used until the next issuer answer.

use serde::{Deserialize, Serialize};

use crate::boot_clock::BootReading;
use doorpass_format::verifier::DEFAULT_CLOCK_TOLERANCE_SECONDS;

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

/// How far the corrected device time may be from the time kept by the boot clock before codes are
/// drawn for the latter: the doors' own tolerance, so a device clock that doors would accept anyway
/// is left alone.
pub const DEVICE_CLOCK_TOLERANCE_SECONDS: u64 = DEFAULT_CLOCK_TOLERANCE_SECONDS;

/// Allowance for the boot clock's own drift, added to [`DEVICE_CLOCK_TOLERANCE_SECONDS`]: one second
/// per this many seconds since the issuer's last answer (100 ppm; phone oscillators stay within
/// tens of ppm). A month without an answer allows 259 s more, so a device clock kept right by the
/// network is not overruled by a boot clock that has drifted.
pub const BOOT_CLOCK_DRIFT_DIVISOR: u64 = 10_000;

/// The issuer's time of the last accepted answer with the boot clock's reading taken then (persisted
/// in `state.json`; older files have none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootAnchor {
    /// The issuer's time of that answer, Unix seconds.
    pub issuer_time: u64,
    /// The boot clock's reading then, milliseconds since boot.
    pub boot_millis: u64,
    /// The boot it was read in; empty when unknown.
    #[serde(default)]
    pub boot_id: String,
}

/// The time a code is drawn for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeTime {
    /// Unix seconds.
    pub now: u64,
    /// Set when the device clock was overruled by the boot clock: corrected device time minus
    /// [`CodeTime::now`], in seconds (positive: the device clock is ahead).
    pub device_clock_ignored_seconds: Option<i64>,
}

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
    /// The issuer's time of the last accepted answer and the boot clock then; `None` in files
    /// written before it existed, or when no boot clock was ever read.
    #[serde(default)]
    pub boot_anchor: Option<BootAnchor>,
    /// Set while the last code was drawn from the boot clock because the device clock disagreed
    /// (see [`CodeTime::device_clock_ignored_seconds`]). Not persisted.
    #[serde(skip)]
    pub device_clock_ignored_seconds: Option<i64>,
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
    /// Set when the last code was drawn from the boot clock because the corrected device time
    /// disagreed with it: by how many seconds (positive: the device clock is ahead).
    pub device_clock_ignored_seconds: Option<i64>,
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
    /// POST) against the device's, and against the boot clock's reading `boot` taken when the answer
    /// came (kept as [`ClockRecord::boot_anchor`]; without a reading the previous anchor stays). A
    /// time more than [`MAX_CORRECTION_SECONDS`] from the device's is not used: it is kept as
    /// [`ClockRecord::rejected_offset_seconds`] and `false` is returned.
    pub fn sync(&mut self, server_time: u64, device_now: u64, boot: Option<&BootReading>) -> bool {
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
        if let Some(boot) = boot {
            self.boot_anchor = Some(BootAnchor {
                issuer_time: server_time,
                boot_millis: boot.elapsed_millis,
                boot_id: boot.boot_id.clone(),
            });
        }
        true
    }

    /// The issuer's time of the last answer plus the boot clock's time elapsed since, with that
    /// elapsed time in seconds; `None` without an anchor or a reading, and after a restart: a
    /// reading smaller than the anchor's, or a boot id other than the anchor's (when both are known).
    pub fn boot_time(&self, boot: Option<&BootReading>) -> Option<(u64, u64)> {
        let anchor = self.boot_anchor.as_ref()?;
        let boot = boot?;
        let restarted = boot.elapsed_millis < anchor.boot_millis
            || (!anchor.boot_id.is_empty()
                && !boot.boot_id.is_empty()
                && anchor.boot_id != boot.boot_id);
        if restarted {
            return None;
        }
        let elapsed = (boot.elapsed_millis - anchor.boot_millis) / 1000;
        Some((anchor.issuer_time.saturating_add(elapsed), elapsed))
    }

    /// The time to draw a code for: the corrected device time, unless it is further than the
    /// tolerance (plus drift allowance) from [`ClockRecord::boot_time`]; then the latter.
    pub fn code_time(&self, device_now: u64, boot: Option<&BootReading>) -> CodeTime {
        let corrected = self.corrected(device_now);
        let by_device = CodeTime {
            now: corrected,
            device_clock_ignored_seconds: None,
        };
        let Some((kept, elapsed)) = self.boot_time(boot) else {
            return by_device;
        };
        let difference = (i128::from(corrected) - i128::from(kept))
            .clamp(i64::MIN.into(), i64::MAX.into()) as i64;
        let allowed =
            DEVICE_CLOCK_TOLERANCE_SECONDS.saturating_add(elapsed / BOOT_CLOCK_DRIFT_DIVISOR);
        if difference.unsigned_abs() <= allowed {
            return by_device;
        }
        CodeTime {
            now: kept,
            device_clock_ignored_seconds: Some(difference),
        }
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
            device_clock_ignored_seconds: self.device_clock_ignored_seconds,
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
        c.sync(1_100, 1_000, None);
        assert_eq!(c.corrected(2_000), 2_100);
        assert!(c.status().skewed);
        c.observe(5_000);
        assert!(!c.status().turned_back);
        assert!(c.observe(4_000), "an hour back is flagged");
        assert!(c.status().turned_back);
        c.sync(4_100, 4_095, None);
        assert!(!c.status().turned_back && !c.status().skewed);
    }

    #[test]
    fn an_issuer_time_beyond_the_bound_is_reported_not_used() {
        let mut c = ClockRecord::default();
        let device = 2_000_000_000;
        let far = MAX_CORRECTION_SECONDS + 1;
        assert!(!c.sync(device + far, device, None));
        assert_eq!(c.status().offset_seconds, None);
        assert_eq!(c.status().synced_at, None);
        assert_eq!(c.status().rejected_offset_seconds, Some(far as i64));
        assert_eq!(c.corrected(device), device);
        // The bound itself is still corrected, and an accepted sync clears the report.
        assert!(c.sync(device - MAX_CORRECTION_SECONDS, device, None));
        assert_eq!(
            c.status().offset_seconds,
            Some(-(MAX_CORRECTION_SECONDS as i64))
        );
        assert_eq!(c.status().rejected_offset_seconds, None);
        // A rejected answer leaves the last accepted offset in place.
        assert!(!c.sync(0, device, None));
        assert_eq!(
            c.status().offset_seconds,
            Some(-(MAX_CORRECTION_SECONDS as i64))
        );
        assert_eq!(c.status().rejected_offset_seconds, Some(-(device as i64)));
    }

    /// A record synced at issuer time `t` with the boot clock at 1,000 s in boot "b1", the device
    /// clock then agreeing with the issuer.
    fn synced_at_boot(t: u64) -> ClockRecord {
        let mut c = ClockRecord::default();
        assert!(c.sync(t, t, Some(&reading(1_000, "b1"))));
        c
    }

    fn reading(seconds: u64, boot_id: &str) -> BootReading {
        BootReading {
            elapsed_millis: seconds * 1000,
            boot_id: boot_id.into(),
        }
    }

    #[test]
    fn a_device_clock_set_ahead_or_back_is_overruled_by_the_boot_clock() {
        let t = 2_000_000_000;
        let c = synced_at_boot(t);
        let boot = reading(1_000 + 600, "b1"); // ten minutes later
        for jump in [3_600_i64, 86_400, -3_600, -86_400] {
            let device = (t + 600).saturating_add_signed(jump);
            let time = c.code_time(device, Some(&boot));
            assert_eq!(time.now, t + 600, "jump {jump}");
            assert_eq!(time.device_clock_ignored_seconds, Some(jump));
        }
    }

    #[test]
    fn a_device_clock_within_the_tolerance_is_used() {
        let t = 2_000_000_000;
        let c = synced_at_boot(t);
        let boot = reading(1_000 + 600, "b1");
        for off in [0_i64, 59, -60, 60] {
            let device = (t + 600).saturating_add_signed(off);
            let time = c.code_time(device, Some(&boot));
            assert_eq!(
                (time.now, time.device_clock_ignored_seconds),
                (device, None)
            );
        }
        // A month later the boot clock may have drifted: up to 259 s more are allowed.
        let month = 30 * 86_400;
        let boot = reading(1_000 + month, "b1");
        let drifted = t + month + 200;
        assert_eq!(c.code_time(drifted, Some(&boot)).now, drifted);
        assert_eq!(c.code_time(t + month + 400, Some(&boot)).now, t + month);
    }

    #[test]
    fn after_a_restart_the_device_clock_is_used() {
        let t = 2_000_000_000;
        let c = synced_at_boot(t);
        let ahead = t + 86_400;
        // A smaller reading: the device restarted.
        let time = c.code_time(ahead, Some(&reading(30, "b1")));
        assert_eq!((time.now, time.device_clock_ignored_seconds), (ahead, None));
        // Another boot id, even with a larger reading.
        assert_eq!(c.code_time(ahead, Some(&reading(5_000, "b2"))).now, ahead);
        // An unknown boot id on either side counts as the same boot.
        assert_eq!(c.code_time(ahead, Some(&reading(5_000, ""))).now, t + 4_000);
        // No reading, or no anchor (a record written before anchors existed): the device clock.
        assert_eq!(c.code_time(ahead, None).now, ahead);
        let mut old = ClockRecord::default();
        old.sync(t, t, None);
        assert_eq!(old.code_time(ahead, Some(&reading(5_000, "b1"))).now, ahead);
    }

    #[test]
    fn the_anchor_follows_accepted_answers_only_and_old_records_still_load() {
        let t = 2_000_000_000;
        let mut c = synced_at_boot(t);
        let anchor = c.boot_anchor.clone();
        assert!(!c.sync(
            t + MAX_CORRECTION_SECONDS + 1,
            t,
            Some(&reading(2_000, "b1"))
        ));
        assert_eq!(c.boot_anchor, anchor, "a rejected answer moves nothing");
        assert!(c.sync(t + 100, t + 90, None));
        assert_eq!(c.boot_anchor, anchor, "no reading: the last anchor stays");
        let old: ClockRecord = serde_json::from_str(
            r#"{"offset_seconds":5,"synced_at":10,"latest_device_time":10,"turned_back":false}"#,
        )
        .unwrap();
        assert_eq!((old.offset_seconds, old.boot_anchor), (Some(5), None));
        let kept: ClockRecord = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(kept.boot_anchor, anchor);
    }
}
