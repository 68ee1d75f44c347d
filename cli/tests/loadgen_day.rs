//! `doorpass loadgen day` in its short form: a few hundred holders, both scenarios, against the real
//! in-process issuer on 127.0.0.1 in simulated time; bounded to two minutes.

mod common;

use std::time::Duration;

use common::doorpass_within;

/// Route kinds in the order of the JSON's `issuer` and `sent` arrays.
const RENEW: usize = 3;
const START: usize = 0;
const PEAK_HOURS: [usize; 6] = [11, 12, 13, 17, 18, 19];

/// The numbers of `day replay (WORDS): lunch hour Doorpass N req/s vs per-door-fetch M req/s = R×`.
fn parse_summary(out: &str, words: &str) -> (f64, f64, f64) {
    let prefix = format!("day replay ({words}): lunch hour Doorpass ");
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no summary line for {words} in:\n{out}"));
    let (n, rest) = line.split_once(" req/s vs per-door-fetch ").unwrap();
    let (m, r) = rest.split_once(" req/s = ").unwrap();
    let r = r.strip_suffix('×').unwrap();
    (n.parse().unwrap(), m.parse().unwrap(), r.parse().unwrap())
}

#[test]
fn a_short_day_replay_prints_both_summaries_that_add_up_and_draws_the_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("day.png");
    let json = tmp.path().join("day.json");
    let out = doorpass_within(
        &[
            "loadgen",
            "day",
            "--holders",
            "300",
            "--scenario",
            "both",
            "--seed",
            "3",
            "--chart",
            chart.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
        Duration::from_secs(150),
    )
    .expect("the short replay finishes within 150 s");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let days = report.as_array().unwrap();
    assert_eq!(days.len(), 2);

    for (day, words) in days.iter().zip(["steady state", "day one"]) {
        let hours = day["hours"].as_array().unwrap();
        assert_eq!(hours.len(), 24);
        let kinds = |h: &serde_json::Value, what: &str| -> Vec<u64> {
            h[what]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect()
        };
        // The issuer counted exactly what the phones and doors sent, hour by hour, kind by kind.
        for (i, h) in hours.iter().enumerate() {
            assert_eq!(kinds(h, "issuer"), kinds(h, "sent"), "{words}, hour {i}");
        }
        // The summary line is the lunch hour's row, divided.
        let lunch = &hours[12];
        let doorpass: u64 = kinds(lunch, "issuer").iter().sum();
        let per_door_fetch = lunch["per_door_fetch"].as_u64().unwrap();
        assert!(per_door_fetch > 0 && doorpass > 0, "{lunch}");
        let (n, m, r) = parse_summary(&stdout, words);
        assert!(
            (n - doorpass as f64 / 3600.0).abs() <= 0.006 * n,
            "{n} vs {doorpass}"
        );
        assert!(
            (m - per_door_fetch as f64 / 3600.0).abs() <= 0.006 * m,
            "{m}"
        );
        let ratio = per_door_fetch as f64 / doorpass as f64;
        assert!(
            (r - ratio).abs() <= 0.05 + 0.005 * ratio,
            "R {r} from the table is {ratio}"
        );
        assert!(
            stdout.contains(&format!(
                "day replay ({words}, phones only): lunch hour Doorpass "
            )),
            "{stdout}"
        );
    }

    // Steady state: the wallets renewed during the day, never in the issuer's busy hours.
    let steady = days[0]["hours"].as_array().unwrap();
    let renewals = |h: &serde_json::Value| h["issuer"][RENEW].as_u64().unwrap();
    let renewed: u64 = steady.iter().map(renewals).sum();
    assert!(renewed > 0, "renewals happen in a steady-state day");
    for h in PEAK_HOURS {
        assert_eq!(renewals(&steady[h]), 0, "renewal in busy hour {h}");
    }
    assert!(days[0]["enrolled_before"].as_u64().unwrap() >= 290);

    // Day one: a third enrols, most of it around lunch rather than at night.
    let day_one = days[1]["hours"].as_array().unwrap();
    let starts = |h: &serde_json::Value| h["issuer"][START].as_u64().unwrap();
    let total: u64 = day_one.iter().map(starts).sum();
    assert!(total >= 90, "{total} enrolment starts");
    assert!(starts(&day_one[12]) > starts(&day_one[3]));
    assert_eq!(days[1]["enrolled"].as_u64().unwrap(), 90);

    // The chart decodes as the PNG drawn.
    let img = image::open(&chart).expect("the chart is a PNG").to_rgb8();
    assert_eq!(img.dimensions(), (960, 420));
    let day_one_chart = tmp.path().join("day-day-one.png");
    assert!(image::open(day_one_chart).is_ok());
}
