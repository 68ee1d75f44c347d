//! The issuer's busy hours: a wallet starts no renewal in them, unless its pass would otherwise
//! expire within a day (docs/renewal-timing.md). Times here are the issuer's (corrected) clock.

use doorpass_format::api::PeakWindow;

/// A pass expiring within this many seconds renews even in busy hours.
pub const EXPIRY_OVERRIDES_PEAK_SECONDS: u64 = 86_400;
/// The most busy windows a wallet keeps from an answer (more are ignored).
pub const MAX_PEAK_WINDOWS: usize = 8;

const DAY: u64 = 86_400;
const MINUTES_PER_DAY: u16 = 1440;

/// The windows of an issuer's answer that make sense: minutes of a day, start and end differing,
/// at most [`MAX_PEAK_WINDOWS`]. Anything else is dropped rather than refused: busy hours only
/// ever delay a renewal, and a bad list must not keep a pass from renewing.
pub fn sanitize(windows: &[PeakWindow]) -> Vec<PeakWindow> {
    windows
        .iter()
        .filter(|w| {
            w.start_minute < MINUTES_PER_DAY
                && w.end_minute < MINUTES_PER_DAY
                && w.start_minute != w.end_minute
        })
        .take(MAX_PEAK_WINDOWS)
        .copied()
        .collect()
}

/// Whether `t` (Unix seconds) falls in `window`.
fn contains(window: &PeakWindow, t: u64) -> bool {
    let minute = (t % DAY) / 60;
    let (start, end) = (u64::from(window.start_minute), u64::from(window.end_minute));
    if start < end {
        (start..end).contains(&minute)
    } else {
        minute >= start || minute < end
    }
}

/// The end of the busy window holding `t`: the first second at or after `t` outside all windows.
/// `None` when `t` is not in a busy window, or when the windows leave no free moment in the next
/// day (then they are ignored).
pub fn busy_until(windows: &[PeakWindow], t: u64) -> Option<u64> {
    let mut at = t;
    // Each step leaves one window, so chained windows end within as many steps.
    for _ in 0..=windows.len() {
        let Some(window) = windows.iter().find(|w| contains(w, at)) else {
            return (at > t).then_some(at);
        };
        let day_start = at - at % DAY;
        let end = day_start + u64::from(window.end_minute) * 60;
        at = if end > at { end } else { end + DAY };
        if at > t + DAY {
            return None;
        }
    }
    None
}

/// When a renewal due at `now` should wait for the busy hours to end: `Some(end)` in a busy
/// window, unless the pass expires within [`EXPIRY_OVERRIDES_PEAK_SECONDS`] of `now` (or of the
/// window's end).
pub fn hold_renewal_until(windows: &[PeakWindow], now: u64, expires_at: u64) -> Option<u64> {
    if expires_at.saturating_sub(now) <= EXPIRY_OVERRIDES_PEAK_SECONDS {
        return None;
    }
    let until = busy_until(windows, now)?;
    (expires_at.saturating_sub(until) > EXPIRY_OVERRIDES_PEAK_SECONDS).then_some(until)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIDNIGHT: u64 = 1_796_083_200; // 2026-12-01 00:00 UTC
    const HOUR: u64 = 3600;

    fn w(start_hour: u16, end_hour: u16) -> PeakWindow {
        PeakWindow {
            start_minute: start_hour * 60,
            end_minute: end_hour * 60,
        }
    }

    #[test]
    fn inside_a_window_the_renewal_waits_for_its_end() {
        let lunch = [w(2, 5), w(8, 11)]; // Seoul's 11-14 and 17-20, in UTC
        let far = MIDNIGHT + 20 * DAY;
        assert_eq!(
            hold_renewal_until(&lunch, MIDNIGHT + 2 * HOUR, far),
            Some(MIDNIGHT + 5 * HOUR)
        );
        assert_eq!(
            hold_renewal_until(&lunch, MIDNIGHT + 10 * HOUR + 59 * 60, far),
            Some(MIDNIGHT + 11 * HOUR)
        );
        for free in [0, 1, 5, 7, 11, 23] {
            assert_eq!(
                hold_renewal_until(&lunch, MIDNIGHT + free * HOUR, far),
                None,
                "{free} h"
            );
        }
    }

    #[test]
    fn a_pass_expiring_within_a_day_renews_in_busy_hours() {
        let lunch = [w(2, 5)];
        let now = MIDNIGHT + 3 * HOUR;
        assert_eq!(hold_renewal_until(&lunch, now, now + DAY), None);
        assert_eq!(
            hold_renewal_until(&lunch, now, now + DAY + HOUR),
            None,
            "expires a day after the window ends"
        );
        assert_eq!(
            hold_renewal_until(&lunch, now, now + 2 * DAY),
            Some(MIDNIGHT + 5 * HOUR)
        );
    }

    #[test]
    fn windows_across_midnight_and_chained_windows_end_where_the_free_time_starts() {
        let night = [w(23, 1)];
        assert_eq!(
            busy_until(&night, MIDNIGHT + 23 * HOUR + 30 * 60),
            Some(MIDNIGHT + DAY + HOUR)
        );
        assert_eq!(
            busy_until(&night, MIDNIGHT + 30 * 60),
            Some(MIDNIGHT + HOUR)
        );
        let chained = [w(10, 12), w(12, 14)];
        assert_eq!(
            busy_until(&chained, MIDNIGHT + 11 * HOUR),
            Some(MIDNIGHT + 14 * HOUR)
        );
        let whole_day = [w(0, 12), w(12, 0)];
        assert_eq!(
            busy_until(&whole_day, MIDNIGHT + HOUR),
            None,
            "no free moment: ignored"
        );
    }

    #[test]
    fn nonsense_windows_are_dropped() {
        let given = [
            w(2, 5),
            PeakWindow {
                start_minute: 1440,
                end_minute: 10,
            },
            PeakWindow {
                start_minute: 10,
                end_minute: 9999,
            },
            w(7, 7),
        ];
        assert_eq!(sanitize(&given), vec![w(2, 5)]);
        let many = vec![w(1, 2); 20];
        assert_eq!(sanitize(&many).len(), MAX_PEAK_WINDOWS);
    }
}
