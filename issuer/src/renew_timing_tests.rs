use super::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

const DAY: u64 = 86_400;
/// 2026-12-01 00:00 in Seoul (UTC+9): 2026-11-30 15:00 UTC.
const SEOUL_MIDNIGHT: u64 = 1_796_050_800;

fn seoul(off_peak: &str, peak: &str) -> RenewTiming {
    RenewTiming {
        off_peak: Some(off_peak.parse().unwrap()),
        peak: parse_hour_ranges(peak).unwrap(),
        zone: TimeZone::get("Asia/Seoul").unwrap(),
    }
}

/// Hour of the day in Seoul.
fn seoul_hour(t: u64) -> u64 {
    ((t + 9 * 3600) % DAY) / 3600
}

#[test]
fn hour_ranges_parse_and_bad_ones_are_refused() {
    assert_eq!("01-06".parse(), Ok(HourRange { start: 1, end: 6 }));
    assert_eq!("22-02".parse(), Ok(HourRange { start: 22, end: 2 }));
    assert_eq!(
        parse_hour_ranges("11-14,17-20").unwrap(),
        vec![
            HourRange { start: 11, end: 14 },
            HourRange { start: 17, end: 20 }
        ]
    );
    for bad in [
        "", "1", "01-01", "00-24", "25-03", "a-b", "-3-4", "01-06-07",
    ] {
        assert!(bad.parse::<HourRange>().is_err(), "{bad:?} parsed");
    }
    assert_eq!(HourRange { start: 1, end: 6 }.to_string(), "01-06");
}

#[test]
fn the_midnight_constant_is_midnight_in_seoul() {
    let zone = TimeZone::get("Asia/Seoul").unwrap();
    let t = Timestamp::from_second(SEOUL_MIDNIGHT as i64).unwrap();
    let local = t.to_zoned_datetime(zone);
    assert_eq!(local.date().to_string(), "2026-12-01");
    assert_eq!(local.hour(), 0);
}

#[test]
fn renew_after_falls_in_the_off_peak_hours_spread_over_the_nights_of_the_window() {
    let timing = seoul("01-06", "11-14,17-20");
    let mut rng = StdRng::seed_from_u64(7);
    // A 30-day pass issued at 12:34 on 2026-12-01: its window is days 20 to 27 (3 days kept).
    let issued = SEOUL_MIDNIGHT + 12 * 3600 + 34 * 60;
    let expires = issued + 30 * DAY;
    let (start, end) = (issued + 20 * DAY, expires - retry_margin(30 * DAY));
    let mut per_night = std::collections::BTreeMap::new();
    let mut per_hour = [0u32; 24];
    let draws = 7_000;
    for _ in 0..draws {
        let t = timing.draw_renew_after(issued, expires, &mut rng);
        assert!((start..end).contains(&t), "{t} outside the window");
        let hour = seoul_hour(t);
        assert!((1..6).contains(&hour), "drawn at {hour} o'clock");
        per_hour[hour as usize] += 1;
        *per_night.entry((t + 9 * 3600) / DAY).or_insert(0u32) += 1;
    }
    // The window [day 20 12:34, day 27 12:34) holds 7 whole nights of 01-06.
    assert_eq!(per_night.len(), 7, "{per_night:?}");
    for (night, n) in &per_night {
        assert!((800..1_200).contains(n), "night {night}: {n} of {draws}");
    }
    for (hour, &n) in per_hour.iter().enumerate().take(6).skip(1) {
        assert!((1_100..1_700).contains(&n), "{hour} o'clock: {n}");
    }
}

#[test]
fn a_window_with_no_off_peak_hour_falls_back_to_the_whole_last_third() {
    let timing = seoul("01-06", "");
    let mut rng = StdRng::seed_from_u64(1);
    // A ten-minute QA pass issued at noon never meets the night.
    let issued = SEOUL_MIDNIGHT + 12 * 3600;
    let expires = issued + 600;
    for _ in 0..200 {
        let t = timing.draw_renew_after(issued, expires, &mut rng);
        assert!((issued + 400..expires).contains(&t), "{t}");
    }
}

#[test]
fn off_peak_hours_across_midnight_are_drawn_on_both_sides_of_it() {
    let timing = seoul("22-02", "");
    let mut rng = StdRng::seed_from_u64(3);
    let issued = SEOUL_MIDNIGHT;
    let expires = issued + 30 * DAY;
    let (mut before, mut after) = (0, 0);
    for _ in 0..2_000 {
        let hour = seoul_hour(timing.draw_renew_after(issued, expires, &mut rng));
        match hour {
            22 | 23 => before += 1,
            0 | 1 => after += 1,
            other => panic!("drawn at {other} o'clock"),
        }
    }
    assert!(before > 800 && after > 800, "{before} / {after}");
}

#[test]
fn without_off_peak_hours_the_draw_is_the_old_one() {
    let timing = RenewTiming::default();
    let mut rng = StdRng::seed_from_u64(5);
    let issued = SEOUL_MIDNIGHT;
    let expires = issued + 30 * DAY;
    let hours: std::collections::BTreeSet<u64> = (0..2_000)
        .map(|_| seoul_hour(timing.draw_renew_after(issued, expires, &mut rng)))
        .collect();
    assert_eq!(hours.len(), 24, "every hour of the day is drawn");
}

#[test]
fn peak_hours_are_named_in_utc() {
    let timing = seoul("01-06", "11-14,17-20,23-01");
    let windows = timing.peak_windows(SEOUL_MIDNIGHT);
    let utc = |h: u16| h * 60;
    assert_eq!(
        windows,
        vec![
            PeakWindow {
                start_minute: utc(2),
                end_minute: utc(5)
            },
            PeakWindow {
                start_minute: utc(8),
                end_minute: utc(11)
            },
            PeakWindow {
                start_minute: utc(14),
                end_minute: utc(16)
            },
        ]
    );
    assert!(
        RenewTiming::default()
            .peak_windows(SEOUL_MIDNIGHT)
            .is_empty()
    );
}
