#!/usr/bin/env bash
# Measures the issuer's figures on this machine (issuer and load generator on the same host), loopback only:
#   1. sustainable enrolment rate (closed loop, 64 wallets at once);
#   2. latency at 80 % of that rate (open loop);
#   3. 5x that rate (open loop): only 503/429 with Retry-After, accepted p99, peak memory, and every
#      pass received is in the database.
# Each `loadgen run --db` exits non-zero (and says why) if a pass it received is missing from the
# database, was received twice, or the database records passes it did not receive; the script then
# stops with FAIL.
# Every run is bounded by --wallets and --duration. Usage: bash scripts/issuer-load.sh [SUSTAINABLE_RATE]
# PIN=1 pins the issuer to CPU 0 and the load generator to CPU 1 (taskset) for ALL three runs, so the
# sustainable rate and its 5x are both the issuer's rate on one dedicated core, and the generator has
# the other core to itself. Unpinned (default), both share both cores.
# Open-loop runs print the offered arrival rate, the arrivals launched per second, the arrivals the
# generator dropped (over --max-outstanding in progress), and the requests the issuer itself counted
# (its /metrics doorpass_requests_total, before and after the run).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p doorpass
bin=target/release/doorpass
work=$(mktemp -d)
port=${PORT:-18080}
url=http://127.0.0.1:$port
metrics_port=${METRICS_PORT:-$((port + 1))}
metrics_url=http://127.0.0.1:$metrics_port/metrics
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# Each wallet in progress holds at most one connection: stay under both processes' open-file limit.
max_outstanding=${MAX_OUTSTANDING:-5000}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$((max_outstanding + 1000))" -gt "$(ulimit -n)" ]; then
  max_outstanding=$(($(ulimit -n) - 1000))
fi
if [ "${PIN:-0}" = 1 ]; then
  pin_issuer=(taskset -c 0) pin_loadgen=(taskset -c 1)
  echo "(pinned: issuer on CPU 0, load generator on CPU 1, of $(nproc) CPUs)"
else
  pin_issuer=() pin_loadgen=()
  echo "(unpinned: issuer and load generator share all $(nproc) CPUs)"
fi
echo "(open loop: at most $max_outstanding wallets in progress; open-file limit $(ulimit -n))"

"$bin" issuer init --dir "$work/iss" --issuer-id KR-KDCA 2>/dev/null
"$bin" loadgen holders --count 400000 --out "$work/holders.csv" 2>/dev/null

start_issuer() {
  rm -f "$work"/iss/issuer.db*
  "$bin" issuer holders import --dir "$work/iss" "$work/holders.csv" 2>/dev/null
  "${pin_issuer[@]}" "$bin" issuer serve --dir "$work/iss" --listen "127.0.0.1:$port" --metrics-listen "127.0.0.1:$metrics_port" --dev --client-rate 0 --subject-starts 0 \
    >"$work/serve.log" 2>&1 &
  issuer_pid=$!
  for _ in $(seq 50); do curl -sf "$url/healthz" >/dev/null && return; sleep 0.1; done
  echo "issuer did not start" >&2; exit 1
}
stop_issuer() { kill -TERM "$issuer_pid"; wait "$issuer_pid" || true; }

echo "== 1. sustainable rate (closed loop, 64 wallets at once)"
start_issuer
"${pin_loadgen[@]}" "$bin" loadgen run --issuer "$url" --metrics "$metrics_url" --wallets 40000 --concurrency 64 --duration 20s \
  --db "$work/iss/issuer.db" --issuer-pid "$issuer_pid" --json >"$work/closed.json" \
  || fail "run 1: loadgen failed or the database disagrees with the passes received"
rate=${1:-$(python3 -c "import json;print(int(json.load(open('$work/closed.json'))['enrolments_per_second']))")}
python3 -c "import json;r=json.load(open('$work/closed.json'));print('  %d enrolments/s, enrolment p99 %.1f ms, peak %.1f MiB' % (r['enrolments_per_second'], r['enrolment_latency']['p99_ms'], r['issuer_peak_memory_mib']))"
stop_issuer

echo "== 2. open loop at 80 % of $rate/s"
start_issuer
"${pin_loadgen[@]}" "$bin" loadgen run --issuer "$url" --metrics "$metrics_url" --rate "$((rate * 8 / 10))" --wallets 400000 --duration 20s --max-outstanding "$max_outstanding" \
  --db "$work/iss/issuer.db" --issuer-pid "$issuer_pid" \
  || fail "run 2: loadgen failed or the database disagrees with the passes received"
stop_issuer

echo "== 3. open loop at 5x $rate/s"
start_issuer
"${pin_loadgen[@]}" "$bin" loadgen run --issuer "$url" --metrics "$metrics_url" --rate "$((rate * 5))" --wallets 400000 --duration 15s --max-outstanding "$max_outstanding" \
  --db "$work/iss/issuer.db" --issuer-pid "$issuer_pid" \
  || fail "run 3: loadgen failed or the database disagrees with the passes received"
curl -s "$metrics_url" | grep -E '^doorpass_shed_total'
stop_issuer
