#!/usr/bin/env bash
# Measures enrolments/s and renewals/s (closed loop, 64 wallets at once, 10 s each, p50/p99) for:
#   1. one node on SQLite (the issuer folder's file);
#   2. one node on PostgreSQL;
#   3. three nodes on one PostgreSQL, the load generator spreading wallets over them.
# All on this machine, loopback only, beside a private PostgreSQL server started for the run
# (scripts/with-postgres.sh). Each `loadgen run --db` exits 1 if a pass it received is missing from
# the database. Renewal runs go through the first node (loadgen renews through one URL).
# Usage: bash scripts/issuer-nodes-load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DOORPASS_TEST_POSTGRES:-}" ]; then exec bash scripts/with-postgres.sh bash "$0" "$@"; fi
cargo build --release -q -p doorpass
bin=target/release/doorpass
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" issuer init --dir "$work/iss" --issuer-id KR-KDCA 2>/dev/null
"$bin" loadgen holders --count 200000 --out "$work/holders.csv" 2>/dev/null
server=${DOORPASS_TEST_POSTGRES%/*}
pids=()

# start_nodes DATABASE N: imports the holders into DATABASE and starts N nodes on it.
start_nodes() {
  local database=$1 n=$2 i port
  "$bin" issuer holders import --dir "$work/iss" --database "$database" "$work/holders.csv" 2>/dev/null
  urls=() pids=()
  for i in $(seq "$n"); do
    port=$((18180 + i))
    "$bin" issuer serve --dir "$work/iss" --database "$database" --listen "127.0.0.1:$port" --dev \
      --client-rate 0 --subject-starts 0 --status-base-url "http://127.0.0.1:18181/v1/status/" \
      >"$work/serve$i.log" 2>&1 &
    pids+=($!) urls+=("http://127.0.0.1:$port")
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  done
}
stop_nodes() { kill -TERM "${pids[@]}"; wait "${pids[@]}" || true; }

# run LABEL DATABASE N
run() {
  local label=$1 database=$2 n=$3 joined
  start_nodes "$database" "$n"
  joined=$(IFS=,; echo "${urls[*]}")
  "$bin" loadgen run --issuer "$joined" --wallets 200000 --concurrency 64 --duration 10s \
    --prefix loadgen- --db "$database" --json >"$work/enrol.json" || { echo "FAIL: $label enrolments" >&2; exit 1; }
  "$bin" loadgen run --issuer "$joined" --renewals --pool 2000 --first 100000 --concurrency 64 \
    --duration 10s --json >"$work/renew.json" || { echo "FAIL: $label renewals" >&2; exit 1; }
  python3 - "$label" "$work/enrol.json" "$work/renew.json" <<'PY'
import json, sys
label, enrol, renew = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
e, r = enrol["enrolment_latency"], renew["enrolment_latency"]
print(f"{label:28} enrolments {enrol['passes_per_second']:7.0f}/s (p50 {e['p50_ms']:.1f} ms, p99 {e['p99_ms']:.1f} ms)"
      f"   renewals {renew['passes_per_second']:7.0f}/s (p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms)")
PY
  stop_nodes
}

new_pg() {
  local name=load_$RANDOM$RANDOM
  psql_bin=$(dirname "$(readlink -f "$(command -v initdb)")")/psql
  [ -x "$psql_bin" ] || psql_bin=$(printf '%s\n' /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)
  "$psql_bin" -q "$DOORPASS_TEST_POSTGRES" -c "CREATE DATABASE $name" >/dev/null
  echo "$server/$name"
}

run "1 node, SQLite" "$work/iss/issuer.db" 1
run "1 node, PostgreSQL" "$(new_pg)" 1
run "3 nodes, one PostgreSQL" "$(new_pg)" 3
