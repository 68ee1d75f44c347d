//! When wallets renew: each pass's renew-after is drawn at an off-peak hour of the issuer's time
//! zone, spread evenly over the nights of its renew window, and every answer names the busy hours in
//! which wallets start no renewal (docs/renewal-timing.md).

use std::fmt;
use std::str::FromStr;

use doorpass_format::api::PeakWindow;
use doorpass_format::pass::draw_renew_after;
use jiff::civil::Date;
pub use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use rand::Rng;

/// The longest a renew window keeps free before expiry for retries: a wallet whose off-peak
/// renewal fails has this long (at most) to succeed, nights and days alike.
pub const MAX_RETRY_MARGIN_SECONDS: u64 = 3 * 86_400;

/// Hours of the day in the issuer's time zone, `start` to `end` (whole hours, `0..=24`); an `end`
/// below `start` runs past midnight. Written `01-06` (one to six in the morning) or `22-02`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourRange {
    /// First hour.
    pub start: u8,
    /// Hour at which it ends.
    pub end: u8,
}

/// Why an hour range or a list of them did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not an hour range like 01-06 (hours 0 to 24, start and end differ)")]
pub struct HourRangeError {
    /// What was given.
    pub text: String,
}

impl FromStr for HourRange {
    type Err = HourRangeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || HourRangeError { text: text.into() };
        let (start, end) = text.trim().split_once('-').ok_or_else(error)?;
        let hour = |h: &str| h.parse::<u8>().ok().filter(|h| *h <= 24);
        let (start, end) = (hour(start).ok_or_else(error)?, hour(end).ok_or_else(error)?);
        if start % 24 == end % 24 {
            return Err(error());
        }
        Ok(HourRange { start, end })
    }
}

impl fmt::Display for HourRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.start, self.end)
    }
}

/// A time zone by its IANA name (e.g. `Asia/Seoul`), from the database built into the issuer.
pub fn time_zone(name: &str) -> Result<TimeZone, UnknownTimeZone> {
    TimeZone::get(name).map_err(|_| UnknownTimeZone { name: name.into() })
}

/// A time-zone name the database does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{name}' is not a time zone (an IANA name such as Asia/Seoul or UTC)")]
pub struct UnknownTimeZone {
    /// What was given.
    pub name: String,
}

/// Parses `11-14,17-20`.
pub fn parse_hour_ranges(text: &str) -> Result<Vec<HourRange>, HourRangeError> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(str::parse)
        .collect()
}

/// When the issuer wants renewals: off by default (renew-after drawn anywhere in the last third of
/// a pass's life, and no busy hours named).
#[derive(Debug, Clone)]
pub struct RenewTiming {
    /// The hours renew-after is drawn in, if any.
    pub off_peak: Option<HourRange>,
    /// The busy hours named to wallets.
    pub peak: Vec<HourRange>,
    /// The time zone both are in (UTC by default).
    pub zone: TimeZone,
}

impl Default for RenewTiming {
    fn default() -> Self {
        RenewTiming {
            off_peak: None,
            peak: Vec::new(),
            zone: TimeZone::UTC,
        }
    }
}

impl RenewTiming {
    /// A renew-after for a pass valid from `not_before` to `expires_at`: in the off-peak hours of
    /// the last third of its life, leaving [`retry_margin`] before expiry, uniformly over all the
    /// off-peak seconds of that window (so a window of seven nights gets a seventh of its passes
    /// each night, spread over the minutes of each). Without off-peak hours, or when the window
    /// holds none of them (a short-lived test pass), anywhere in the last third.
    pub fn draw_renew_after(&self, not_before: u64, expires_at: u64, rng: &mut impl Rng) -> u64 {
        let anywhere = |rng: &mut _| draw_renew_after(not_before, expires_at, rng);
        let Some(hours) = self.off_peak else {
            return anywhere(rng);
        };
        let lifetime = expires_at.saturating_sub(not_before);
        let start = not_before + lifetime - lifetime / 3;
        let end = expires_at.saturating_sub(retry_margin(lifetime));
        let stretches = self.stretches(hours, start, end);
        let total: u64 = stretches.iter().map(|(a, b)| b - a).sum();
        if total == 0 {
            return anywhere(rng);
        }
        let mut pick = rng.gen_range(0..total);
        for (a, b) in stretches {
            if pick < b - a {
                return a + pick;
            }
            pick -= b - a;
        }
        anywhere(rng)
    }

    /// The busy hours as daily windows in UTC, at `now`'s offset from UTC (a time zone with summer
    /// time shifts them by an hour for passes issued in the other season; docs/renewal-timing.md).
    pub fn peak_windows(&self, now: u64) -> Vec<PeakWindow> {
        let offset_minutes = Timestamp::from_second(i64::try_from(now).unwrap_or(i64::MAX))
            .map(|t| i64::from(self.zone.to_offset(t).seconds()) / 60)
            .unwrap_or(0);
        let utc_minute = |hour: u8| {
            u16::try_from((i64::from(hour) * 60 - offset_minutes).rem_euclid(1440)).unwrap_or(0)
        };
        self.peak
            .iter()
            .map(|h| PeakWindow {
                start_minute: utc_minute(h.start),
                end_minute: utc_minute(h.end),
            })
            .collect()
    }

    /// The off-peak stretches `[a, b)` of `hours`, local day by local day, cut to `[start, end)`.
    fn stretches(&self, hours: HourRange, start: u64, end: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let Some(mut day) = self.local_date(start).and_then(|d| d.yesterday().ok()) else {
            return out;
        };
        // One day more than the window covers, as a stretch may begin the evening before.
        let days = end.saturating_sub(start) / 86_400 + 3;
        for _ in 0..days {
            let from = self.at_hour(day, hours.start);
            let until_day = if hours.end <= hours.start {
                day.tomorrow().ok()
            } else {
                Some(day)
            };
            let until = until_day.and_then(|d| self.at_hour(d, hours.end));
            if let (Some(from), Some(until)) = (from, until) {
                let (a, b) = (from.max(start), until.min(end));
                if a < b {
                    out.push((a, b));
                }
            }
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        out
    }

    /// The zone's IANA name, or `UTC` for a zone without one.
    pub fn zone_name(&self) -> &str {
        self.zone.iana_name().unwrap_or("UTC")
    }

    fn local_date(&self, t: u64) -> Option<Date> {
        let t = Timestamp::from_second(i64::try_from(t).ok()?).ok()?;
        Some(t.to_zoned_datetime(self.zone.clone()).date())
    }

    /// `hour` o'clock (24 is the next midnight) on `day` in the zone, in Unix seconds.
    fn at_hour(&self, day: Date, hour: u8) -> Option<u64> {
        let (day, hour) = if hour >= 24 {
            (day.tomorrow().ok()?, 0)
        } else {
            (day, hour)
        };
        let midnight = day.to_zoned_datetime(self.zone.clone()).ok()?;
        let at = midnight.checked_add(i64::from(hour).hours()).ok()?;
        u64::try_from(at.timestamp().as_second()).ok()
    }
}

/// What a renew window keeps free before expiry: a tenth of the pass's life, at most
/// [`MAX_RETRY_MARGIN_SECONDS`].
pub fn retry_margin(lifetime: u64) -> u64 {
    (lifetime / 10).min(MAX_RETRY_MARGIN_SECONDS)
}

#[cfg(test)]
#[path = "renew_timing_tests.rs"]
mod tests;
