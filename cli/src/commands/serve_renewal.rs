//! `doorpass issuer serve`'s renewal-timing options (docs/renewal-timing.md).

use anyhow::{Context, Result};
use clap::Args;
use doorpass_issuer::renew_timing::{HourRange, RenewTiming, parse_hour_ranges, time_zone};

/// When wallets renew.
#[derive(Args, Clone)]
pub struct RenewTimingArgs {
    /// Hours of the day (in --timezone) to draw each pass's renew-after in, e.g. 01-06: renewals
    /// then reach the issuer at night, spread evenly over the nights of each pass's renew window.
    /// Default: anywhere in the last third of the pass's life.
    #[arg(long, value_name = "HH-HH")]
    pub renew_hours: Option<HourRange>,
    /// The issuer's busy hours (in --timezone), e.g. 11-14,17-20, named in every issuance answer:
    /// wallets start no renewal in them unless their pass would expire within a day. Default: none.
    #[arg(long, value_name = "HH-HH,...")]
    pub peak_hours: Option<String>,
    /// The time zone of --renew-hours and --peak-hours (IANA name, e.g. Asia/Seoul).
    #[arg(long, default_value = "UTC")]
    pub timezone: String,
}

impl RenewTimingArgs {
    /// The issuer's renewal timing.
    pub fn config(&self) -> Result<RenewTiming> {
        let zone = time_zone(&self.timezone).context("--timezone")?;
        let peak = match &self.peak_hours {
            Some(text) => parse_hour_ranges(text).context("--peak-hours")?,
            None => Vec::new(),
        };
        Ok(RenewTiming {
            off_peak: self.renew_hours,
            peak,
            zone,
        })
    }

    /// One line for the start banner.
    pub fn describe(timing: &RenewTiming) -> String {
        let hours = |ranges: &[HourRange]| {
            ranges
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        let zone = timing.zone_name();
        match (timing.off_peak, timing.peak.is_empty()) {
            (None, true) => "renewals: anywhere in the last third of a pass's life".into(),
            (off_peak, _) => format!(
                "renewals: renew-after at {} ({zone}); busy hours {}",
                off_peak.map_or("any hour".into(), |h| h.to_string()),
                if timing.peak.is_empty() {
                    "none".into()
                } else {
                    hours(&timing.peak)
                }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        timing: RenewTimingArgs,
    }

    fn timing(args: &[&str]) -> Result<RenewTiming> {
        let mut argv = vec!["serve"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)?.timing.config()
    }

    #[test]
    fn off_by_default() {
        let t = timing(&[]).unwrap();
        assert_eq!((t.off_peak, t.peak.len(), t.zone_name()), (None, 0, "UTC"));
        assert_eq!(
            RenewTimingArgs::describe(&t),
            "renewals: anywhere in the last third of a pass's life"
        );
    }

    #[test]
    fn seoul_nights_and_busy_hours() {
        let t = timing(&[
            "--renew-hours",
            "01-06",
            "--peak-hours",
            "11-14,17-20",
            "--timezone",
            "Asia/Seoul",
        ])
        .unwrap();
        assert_eq!(t.off_peak, Some(HourRange { start: 1, end: 6 }));
        assert_eq!(t.peak.len(), 2);
        assert_eq!(
            RenewTimingArgs::describe(&t),
            "renewals: renew-after at 01-06 (Asia/Seoul); busy hours 11-14,17-20"
        );
    }

    #[test]
    fn bad_hours_and_unknown_zones_are_refused_by_name() {
        for (args, said) in [
            (vec!["--renew-hours", "6"], "renew-hours"),
            (vec!["--renew-hours", "03-03"], "renew-hours"),
            (vec!["--peak-hours", "11-14,25-02"], "25-02"),
            (vec!["--timezone", "Mars/Olympus"], "Mars/Olympus"),
        ] {
            let err = format!("{:#}", timing(&args).err().unwrap());
            assert!(err.contains(said), "{args:?}: {err}");
        }
    }
}
