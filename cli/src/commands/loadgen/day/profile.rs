//! The day's assumptions: when holders visit doors (an hourly profile with a lunch and a dinner
//! peak), how many first enrolments a day brings, and how many door devices there are.
//!
//! None of these numbers comes from measured check-in data; they are stated assumptions
//! (docs/issuer.md, "A day, replayed"), chosen to be plain and easy to change.

use rand::Rng;

/// Relative door visits per local hour (0:00–1:00 first): quiet nights, a morning shoulder, a
/// lunch peak 11–14 and a dinner peak 17–20 (assumed, shaped like a restaurant's footfall).
pub(super) const VISIT_WEIGHTS: [f64; 24] = [
    0.4, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 2.5, 3.0, 3.5, 6.0, //  0–11
    10.0, 8.0, 4.0, 3.0, 3.5, 6.5, 9.0, 8.0, 5.0, 3.0, 1.5, 0.8, // 12–23
];

/// Door visits per holder per day, on average (assumed: one check-in a day).
pub(super) const VISITS_PER_HOLDER: f64 = 1.0;

/// The lunch hour the summary line compares: 12:00–13:00 local time.
pub(super) const LUNCH_HOUR: usize = 12;

/// Share of holders enrolling for the first time on an ordinary day (new phones: a phone replaced
/// every ~3 years is 0.09 % a day; rounded up).
pub(super) const STEADY_FIRST_ENROL_SHARE: f64 = 0.001;

/// Share of holders enrolling on day one (assumed: a third of the population on the first day).
pub(super) const DAY_ONE_ENROL_SHARE: f64 = 0.3;

/// Holders per door device (assumed: a venue's tablet sees about 100 distinct holders a day).
pub(super) const HOLDERS_PER_DOOR: usize = 100;

/// The busy hours the issuer is started with (local time), as `issuer serve --peak-hours`.
pub(super) const PEAK_HOURS: &str = "11-14,17-20";

/// The hours renew-after is drawn in (local time), as `issuer serve --renew-hours`.
pub(super) const RENEW_HOURS: &str = "01-06";

/// The issuer's time zone (no daylight saving time, so local hour = UTC + 9).
pub(super) const TIME_ZONE: &str = "Asia/Seoul";

/// Seconds `TIME_ZONE` is ahead of UTC.
pub(super) const ZONE_OFFSET_SECS: u64 = 9 * 3600;

/// The share of a day's visits in local hour `hour` (0..24).
pub(super) fn visit_share(hour: usize) -> f64 {
    let total: f64 = VISIT_WEIGHTS.iter().sum();
    VISIT_WEIGHTS.get(hour).map_or(0.0, |w| w / total)
}

/// A second of the day (local) drawn from the visit profile: an hour by its share, then a
/// second in it uniformly.
pub(super) fn draw_second_of_day(rng: &mut impl Rng) -> u64 {
    let mut x = rng.r#gen::<f64>();
    let mut hour = 23;
    for h in 0..24 {
        let share = visit_share(h);
        if x < share {
            hour = h;
            break;
        }
        x -= share;
    }
    hour as u64 * 3600 + rng.gen_range(0..3600)
}

/// How many door visits one holder makes in the day: `floor(v)` plus one more with probability
/// `frac(v)`, so the mean is `v`.
pub(super) fn draw_visits(rng: &mut impl Rng, v: f64) -> u32 {
    let whole = v.floor();
    whole as u32 + u32::from(rng.r#gen::<f64>() < v - whole)
}

/// Door devices for `holders` holders: at least one.
pub(super) fn door_count(holders: usize) -> usize {
    holders.div_ceil(HOLDERS_PER_DOOR).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_shares_sum_to_one_and_peak_at_lunch_and_dinner() {
        let total: f64 = (0..24).map(visit_share).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        let busiest = (0..24)
            .max_by(|a, b| visit_share(*a).total_cmp(&visit_share(*b)))
            .unwrap();
        assert_eq!(busiest, LUNCH_HOUR);
        let dinner = (17..20).map(visit_share).fold(0.0, f64::max);
        assert!(dinner > 2.5 * visit_share(15), "a dinner peak");
        assert!(
            visit_share(3) < visit_share(LUNCH_HOUR) / 50.0,
            "quiet nights"
        );
        assert_eq!(visit_share(24), 0.0);
    }

    #[test]
    fn drawn_seconds_follow_the_profile() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut per_hour = [0u32; 24];
        let n = 200_000;
        for _ in 0..n {
            let s = draw_second_of_day(&mut rng);
            assert!(s < 86_400);
            per_hour[(s / 3600) as usize] += 1;
        }
        for (h, count) in per_hour.iter().enumerate() {
            let expected = visit_share(h) * f64::from(n);
            assert!(
                (f64::from(*count) - expected).abs() < 5.0 * expected.sqrt() + 5.0,
                "hour {h}: {count} against {expected}"
            );
        }
    }

    #[test]
    fn visits_average_to_the_rate_asked() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let sum: u32 = (0..10_000).map(|_| draw_visits(&mut rng, 1.3)).sum();
        assert!((12_700..13_300).contains(&sum), "{sum}");
        assert_eq!(door_count(1), 1);
        assert_eq!(door_count(250), 3);
    }
}
