#!/usr/bin/env bash
# Measures the issuer's figures on this machine (issuer and load generator on the same host), loopback only:
#   1. sustainable enrolment rate (closed loop, 64 wallets at once);
#   2. latency at 80 % of that rate (open loop);
#   3. and 4. 5x and 10x that rate (open loop), each with the goal lines of admission by criticality:
#      completed enrolments/s as a share of the sustainable rate (goal >= 80 %), completions refused
#      per accepted start (<= 1 %), accepted p99 (< 1 s), peak memory (< 256 MiB), every pass received
#      in the database, and the requests shed by class and reason;
#   5. the sustainable renewal rate (closed loop, 64 wallets renewing at once from a pool of 5,000);
#   6. a renewal surge at 5x that rate (open loop, a pool of 40,000 due wallets), with the same goals.
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
# shellcheck source=scripts/max-outstanding.sh
. scripts/max-outstanding.sh
if [ "${PIN:-0}" = 1 ]; then
  pin_issuer=(taskset -c 0) pin_loadgen=(taskset -c 1)
  echo "(pinned: issuer on CPU 0, load generator on CPU 1, of $(nproc) CPUs)"
else
  pin_issuer=() pin_loadgen=()
  echo "(unpinned: issuer and load generator share all $(nproc) CPUs)"
fi
echo "(open loop: at most $max_outstanding wallets in progress; open-file limit $(ulimit -n))"

"$bin" issuer init --dir "$work/iss" --issuer-id KR-KDCA 2>/dev/null
"$bin" loadgen holders --count 700000 --out "$work/holders.csv" 2>/dev/null

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

# An open-loop run at FACTOR times the sustainable rate for 15 s, then its goal lines.
# Prints the goal lines of an open-loop run from its JSON report: REPORT SUSTAINABLE_RATE.
goals() {
  python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); sustainable = float(sys.argv[2])
o, routes, db, work = r["open_loop"], r["routes"], r["database"], r["work"]
def mark(ok): return "ok" if ok else "MISSED"
print("  offered %d arrivals/s; launched %d (%.0f/s); dropped by the generator %d"
      % (o["offered_arrivals_per_second"], o["arrivals_launched"], o["arrivals_launched_per_second"], o["arrivals_dropped"]))
share = r["passes_per_second"] / sustainable
print("  completed %ss: %.0f/s = %.0f %% of the sustainable %.0f/s  [goal >= 80 %%: %s]"
      % (work, r["passes_per_second"], 100 * share, sustainable, mark(share >= 0.8)))
if work == "enrolment":
    starts = routes["start"]["by_status"].get("202", 0)
    refused = routes["complete"]["refused"]
    print("  completions refused: %d of %d accepted starts = %.2f %%  [goal <= 1 %%: %s]"
          % (refused, starts, 100 * refused / max(starts, 1), mark(refused <= 0.01 * starts)))
else:
    renew = routes["renew"]
    print("  renewals refused (503 + Retry-After, retried later by the wallet): %d of %d" % (renew["refused"], sum(renew["by_status"].values())))
p99 = {k: v["accepted_latency"]["p99_ms"] for k, v in routes.items()}
print("  accepted p99: " + ", ".join("%s %.0f ms" % kv for kv in sorted(p99.items()))
      + "  [goal < 1 s: %s]" % mark(max(p99.values()) < 1000))
others = {k: {s: n for s, n in v["by_status"].items() if s[0] != "2" and s not in ("503", "429")} for k, v in routes.items()}
bare = sum(v["refused"] - v["refused_with_retry_after"] for v in routes.values())
print("  answers other than 2xx / 503 / 429: %s; refusals without Retry-After: %d" % ({k: v for k, v in others.items() if v} or "none", bare))
mem = r["issuer_peak_memory_mib"]
print("  issuer peak memory: %.0f MiB  [goal < 256 MiB: %s]" % (mem, mark(mem < 256)))
print("  database: %d passes received, %d present, %d missing  [%s]"
      % (db["received"], db["present"], db["missing"], mark(db["missing"] == 0 and db["received"] == db["passes_in_database"])))
PY
}

# An open-loop enrolment run at FACTOR times the sustainable rate for 15 s, then its goal lines.
overload() {
  local factor=$1 run=$2
  echo "== $run. open loop at ${factor}x $rate enrolments/s"
  start_issuer
  "${pin_loadgen[@]}" "$bin" loadgen run --issuer "$url" --metrics "$metrics_url" --rate "$((rate * factor))" --wallets 700000 --duration 15s \
    --max-outstanding "$max_outstanding" --db "$work/iss/issuer.db" --issuer-pid "$issuer_pid" --json >"$work/over$factor.json" \
    || fail "run $run: loadgen failed or the database disagrees with the passes received"
  curl -s "$metrics_url" | grep -E '^doorpass_(shed_by_class_total|goodput_total)' | grep -v ' 0$' | sed 's/^/  /'
  stop_issuer
  goals "$work/over$factor.json" "$rate"
}

overload 5 3
overload 10 4

echo "== 5. sustainable renewal rate (closed loop, 64 wallets at once, pool of 5000)"
start_issuer
"${pin_loadgen[@]}" "$bin" loadgen run --issuer "$url" --metrics "$metrics_url" --renewals --pool 5000 --concurrency 64 --duration 15s \
  --db "$work/iss/issuer.db" --issuer-pid "$issuer_pid" --json >"$work/renew-closed.json" \
  || fail "run 5: loadgen failed or the database disagrees with the passes received"
renew_rate=$(python3 -c "import json;print(int(json.load(open('$work/renew-closed.json'))['passes_per_second']))")
python3 -c "import json;r=json.load(open('$work/renew-closed.json'));print('  %d renewals/s, p99 %.1f ms, peak %.1f MiB' % (r['passes_per_second'], r['routes']['renew']['accepted_latency']['p99_ms'], r['issuer_peak_memory_mib']))"
stop_issuer

echo "== 6. renewal surge: open loop at 5x $renew_rate renewals/s (pool of 40000 due wallets)"
start_issuer
"${pin_loadgen[@]}" "$bin" loadgen run --issuer "$url" --metrics "$metrics_url" --renewals --pool 40000 --rate "$((renew_rate * 5))" --duration 15s \
  --db "$work/iss/issuer.db" --issuer-pid "$issuer_pid" --json >"$work/renew-surge.json" \
  || fail "run 6: loadgen failed or the database disagrees with the passes received"
curl -s "$metrics_url" | grep -E '^doorpass_(shed_by_class_total|goodput_total)' | grep -v ' 0$' | sed 's/^/  /'
stop_issuer
goals "$work/renew-surge.json" "$renew_rate"
