//! The issuer's own count of the requests it received, read from its `/metrics` page
//! (`doorpass_requests_total` by route and status).

use anyhow::{Context, Result, bail};

use super::counting::{KINDS, kind_of_route};

/// The issuer's counts at one moment.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Received {
    /// Requests by kind (see [`KINDS`]), whatever their answer.
    pub(super) by_kind: [u64; KINDS.len()],
    /// Of those, answered 503 or 429 (shed by admission control or a limit).
    pub(super) shed: u64,
}

/// Reads the counts from a Prometheus text page.
pub(super) fn parse(text: &str) -> Received {
    let mut received = Received::default();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("doorpass_requests_total{") else {
            continue;
        };
        let Some((labels, value)) = rest.split_once("} ") else {
            continue;
        };
        let label = |name: &str| {
            labels.split(',').find_map(|kv| {
                kv.strip_prefix(name)?
                    .strip_prefix("=\"")?
                    .strip_suffix('"')
            })
        };
        let (Some(route), Some(status), Ok(n)) =
            (label("route"), label("status"), value.trim().parse::<u64>())
        else {
            continue;
        };
        if let Some(kind) = kind_of_route(route) {
            received.by_kind[kind] += n;
            if status == "503" || status == "429" {
                received.shed += n;
            }
        }
    }
    received
}

/// Fetches and reads `BASE/metrics`.
pub(super) async fn scrape(http: &reqwest::Client, base: &str) -> Result<Received> {
    let response = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .context("reading the issuer's /metrics")?;
    if !response.status().is_success() {
        bail!("the issuer's /metrics answered {}", response.status());
    }
    Ok(parse(&response.text().await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_requests_by_route_and_counts_shed_answers() {
        let text = "# HELP doorpass_requests_total x\n\
            doorpass_requests_total{route=\"/v1/renew\",status=\"200\"} 7\n\
            doorpass_requests_total{route=\"/v1/renew\",status=\"503\"} 2\n\
            doorpass_requests_total{route=\"/v1/status/{list}\",status=\"200\"} 40\n\
            doorpass_requests_total{route=\"/metrics\",status=\"200\"} 3\n";
        let r = parse(text);
        assert_eq!(r.by_kind[3], 9);
        assert_eq!(r.by_kind[5], 40);
        assert_eq!(
            r.by_kind.iter().sum::<u64>(),
            49,
            "/metrics itself is left out"
        );
        assert_eq!(r.shed, 2);
    }
}
