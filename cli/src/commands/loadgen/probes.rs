//! Measurements around a run: this process's CPU time, the requests the issuer says it answered,
//! and the issuer's peak memory.

/// CPU time (user + system) this process has used so far (Linux; `None` elsewhere).
pub(super) fn own_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the
    // whole line, in USER_HZ (100 per second on Linux).
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: f64 = rest.next()?.parse().ok()?;
    let stime: f64 = rest.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Requests the issuer says it has answered (its `/metrics` `doorpass_requests_total`, all routes
/// except `/metrics` and `/healthz`) from its metrics page at `url`; `None` if it could not be read.
pub(super) async fn issuer_requests_answered(http: &reqwest::Client, url: &str) -> Option<u64> {
    let response = http.get(url).send().await.ok()?.error_for_status().ok()?;
    let text = response.text().await.ok()?;
    let mut total = 0;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("doorpass_requests_total{") else {
            continue;
        };
        if rest.contains("route=\"/metrics\"") || rest.contains("route=\"/healthz\"") {
            continue;
        }
        total += rest.rsplit(' ').next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// Peak resident memory of a process, in KiB (Linux).
pub(super) fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
