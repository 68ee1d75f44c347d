#!/usr/bin/env bash
# Measures GET /v1/status/{list}: the issuer pinned to CPU 0, the load generators to CPU 1, on
# loopback. First lists alone (64 door devices at once, 10 s), then 16 devices beside an enrolment
# surge at SURGE_RATE arrivals/s (default 24770, 5x this machine's sustainable rate; see
# scripts/issuer-load.sh) for 15 s. Usage: bash scripts/status-list-load.sh [SURGE_RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p doorpass
bin=target/release/doorpass
work=$(mktemp -d)
port=${PORT:-18280}
url=http://127.0.0.1:$port
metrics=http://127.0.0.1:$((port + 1))/metrics
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
"$bin" issuer init --dir "$work/iss" --issuer-id KR-KDCA 2>/dev/null
"$bin" loadgen holders --count 700000 --out "$work/holders.csv" 2>/dev/null
"$bin" issuer holders import --dir "$work/iss" "$work/holders.csv" 2>/dev/null
taskset -c 0 "$bin" issuer serve --dir "$work/iss" --listen "127.0.0.1:$port" \
  --metrics-listen "127.0.0.1:$((port + 1))" --dev --client-rate 0 --subject-starts 0 >/dev/null 2>&1 &
for _ in $(seq 50); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done
echo "== lists alone"
taskset -c 1 "$bin" loadgen status --issuer "$url" --concurrency 64 --duration 10s
echo "== beside an enrolment surge at ${1:-24770} arrivals/s"
taskset -c 1 "$bin" loadgen status --issuer "$url" --concurrency 16 --duration 15s &
lists=$!
taskset -c 1 "$bin" loadgen run --issuer "$url" --metrics "$metrics" --rate "${1:-24770}" \
  --wallets 700000 --duration 15s --max-outstanding 5000 --json >"$work/surge.json" 2>/dev/null
wait "$lists"
python3 -c "import json,sys;r=json.load(open(sys.argv[1]));print('surge: %.0f enrolments/s completed; accepted p99 %s' % (r['passes_per_second'], {k: v['accepted_latency']['p99_ms'] for k, v in r['routes'].items()}))" "$work/surge.json"
