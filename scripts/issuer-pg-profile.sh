#!/usr/bin/env bash
# Where an enrolment's time goes with one issuer node on PostgreSQL: 10 s of closed-loop
# enrolments (64 wallets at once) against one node, beside a private server
# (scripts/with-postgres.sh), reporting per completed enrolment:
#   - CPU of the issuer process and of all PostgreSQL server processes (from /proc);
#   - WAL flushes (fsync) and the time spent in them (pg_stat_wal, track_wal_io_timing on);
#   - transactions committed and serialization failures (pg_stat_database, the server log);
#   - the issuer's CPU by part (perf, when installed): signing (ed25519/curve25519/sha2),
#     the PostgreSQL client, HTTP (hyper/axum/tokio), the kernel.
# Usage: bash scripts/issuer-pg-profile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DOORPASS_TEST_POSTGRES:-}" ]; then exec bash scripts/with-postgres.sh bash "$0" "$@"; fi
cargo build --release -q -p doorpass
bin=target/release/doorpass
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
psql=$(printf '%s\n' /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)
sql() { "$psql" -qtAX "$DOORPASS_TEST_POSTGRES" -c "$1"; }
sql "ALTER SYSTEM SET track_wal_io_timing = on" && sql "SELECT pg_reload_conf()" >/dev/null
sql "CREATE DATABASE profile" >/dev/null
database=${DOORPASS_TEST_POSTGRES%/*}/profile
"$bin" issuer init --dir "$work/iss" --issuer-id KR-KDCA 2>/dev/null
"$bin" loadgen holders --count 100000 --out "$work/holders.csv" 2>/dev/null
"$bin" issuer holders import --dir "$work/iss" --database "$database" "$work/holders.csv" 2>/dev/null
"$bin" issuer serve --dir "$work/iss" --database "$database" --listen 127.0.0.1:18190 --dev \
  --client-rate 0 --subject-starts 0 >"$work/serve.log" 2>&1 &
issuer=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18190/healthz >/dev/null && break; sleep 0.1; done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() { local t=0 p; for p in $(pgrep -u postgres -x postgres); do t=$((t + $(ticks "$p"))); done; echo $t; }
stats() {
  sql "SELECT (SELECT wal_sync FROM pg_stat_wal), (SELECT wal_sync_time FROM pg_stat_wal),
              (SELECT xact_commit FROM pg_stat_database WHERE datname = 'profile')"
}
failures() { grep -c "could not serialize access" "${DOORPASS_TEST_POSTGRES_LOG:-/dev/null}" || true; }
before=$(stats) issuer_before=$(ticks "$issuer") pg_before=$(pg_ticks) failed_before=$(failures)
if command -v perf >/dev/null; then
  perf record -q -F 499 -p "$issuer" -o "$work/perf.data" -- sleep 10 2>/dev/null &
  perf_pid=$!
fi
"$bin" loadgen run --issuer http://127.0.0.1:18190 --wallets 100000 --concurrency 64 --duration 10s \
  --json >"$work/enrol.json"
[ -n "${perf_pid:-}" ] && wait "$perf_pid" || true
after=$(stats) issuer_after=$(ticks "$issuer") pg_after=$(pg_ticks) failed_after=$(failures)
hz=$(getconf CLK_TCK)
python3 - "$work/enrol.json" "$before" "$after" "$((issuer_after - issuer_before))" \
  "$((pg_after - pg_before))" "$hz" "$((failed_after - failed_before))" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
b = [float(x) for x in sys.argv[2].split("|")]
a = [float(x) for x in sys.argv[3].split("|")]
issuer_s, pg_s, hz, failed = int(sys.argv[4]) / int(sys.argv[6]), int(sys.argv[5]) / int(sys.argv[6]), int(sys.argv[6]), int(sys.argv[7])
n = report["passes"]
syncs, sync_ms, commits = a[0] - b[0], a[1] - b[1], a[2] - b[2]
print(f"enrolments: {n} in {report['seconds']:.1f} s = {report['passes_per_second']:.0f}/s "
      f"(p50 {report['enrolment_latency']['p50_ms']:.1f} ms, p99 {report['enrolment_latency']['p99_ms']:.1f} ms)")
print(f"per enrolment: issuer CPU {issuer_s / n * 1e6:.0f} us, PostgreSQL CPU {pg_s / n * 1e6:.0f} us, "
      f"{commits / n:.1f} transactions, {syncs / n:.2f} WAL flushes taking {sync_ms / n * 1000:.0f} us, "
      f"{failed / n:.3f} serialization failures ({failed} in all)")
PY
if [ -f "$work/perf.data" ]; then
  perf report -i "$work/perf.data" --no-children --sort dso,sym --stdio 2>/dev/null |
    python3 -c '
import re, sys
parts = {"signing (ed25519, curve25519, sha2)": ("ed25519", "curve25519", "sha2", "sha512"),
         "PostgreSQL client (tokio-postgres, deadpool)": ("tokio_postgres", "postgres_protocol", "deadpool", "postgres_types"),
         "HTTP (hyper, axum, h2)": ("hyper", "axum", "http::"),
         "async runtime (tokio)": ("tokio::",),
         "kernel": ("[k]",)}
share = {k: 0.0 for k in parts}; share["other"] = 0.0
for line in sys.stdin:
    m = re.match(r"\s*([\d.]+)%", line)
    if not m: continue
    pct = float(m.group(1))
    for name, keys in parts.items():
        if any(k in line for k in keys):
            share[name] += pct; break
    else:
        share["other"] += pct
print("issuer CPU by part (perf samples): " + ", ".join(f"{k} {v:.0f} %" for k, v in share.items()))
'
fi
kill -TERM "$issuer"; wait "$issuer" || true
