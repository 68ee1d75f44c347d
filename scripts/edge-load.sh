#!/usr/bin/env bash
# Goodput through the edge (issue 21, part 4): the load generator -> nginx (HTTPS, the shipped
# deploy/nginx/ config rendered by deploy/nginx/render.sh, one upstream) -> one issuer node on SQLite,
# all on this machine, loopback only:
#   1. the sustainable enrolment rate through that path (closed loop, 64 wallets at once; the edge's
#      start rate left unlimited), or SUSTAINABLE_RATE given as the first argument;
#   2. and 3. 5x and 10x that rate offered (open loop) with the edge's start rate set to
#      START_SHARE (default 0.9) of the sustainable rate, each printing
#        edge goodput at 5x: N/s = P % of sustainable N/s; completions refused R of A accepted starts
#      and then its goal lines: goodput >= 80 % at 5x, >= 70 % at 10x; completions refused <= 1 % of
#      accepted starts; every refusal 503/429 with Retry-After; accepted p99; the node's peak memory;
#      every pass received in the database (`loadgen run --db` exits non-zero, and the script stops
#      with FAIL, if one is missing, doubled, or the database has passes it did not receive).
# After each open-loop run, the share of a CPU that the node, nginx and the load generator used
# while the load ran (sampled from /proc), which says what limited it.
# Each run starts a fresh database and a fresh nginx. Every run is bounded by --wallets and
# --duration. Knobs (environment): DURATION (open-loop runs, default 20s), SUSTAINABLE_DURATION
# (default DURATION), HOLDERS (default 700000), START_SHARE, MAX_OUTSTANDING (default 5000, kept
# under the open-file limit), PORT (nginx, 18443), NODE_PORT (18090; its metrics on NODE_PORT+1),
# PIN=1 (the node on CPU 0, nginx and the generator on CPU 1, as scripts/issuer-load.sh pins).
# A quick check that it runs: DURATION=3s HOLDERS=50000 bash scripts/edge-load.sh
# Usage: bash scripts/edge-load.sh [SUSTAINABLE_RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/apt-install.sh nginx
cargo build --release -q -p doorpass
bin=${CARGO_TARGET_DIR:-target}/release/doorpass
nginx=$(command -v nginx || echo /usr/sbin/nginx)
duration=${DURATION:-20s}
sustainable_duration=${SUSTAINABLE_DURATION:-$duration}
holders=${HOLDERS:-700000}
start_share=${START_SHARE:-0.9}
port=${PORT:-18443}
node_port=${NODE_PORT:-18090}
metrics_url=http://127.0.0.1:$((node_port + 1))/metrics
edge_url=https://127.0.0.1:$port
work=$(mktemp -d)
node_pid= edge_pid=
cleanup() {
  [ -z "$edge_pid" ] || kill -TERM "$edge_pid" 2>/dev/null || true
  [ -z "$node_pid" ] || kill -TERM "$node_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck source=scripts/max-outstanding.sh
. scripts/max-outstanding.sh
# PIN=1: the node on CPU 0; nginx and the load generator on CPU 1 (taskset), as a deployment puts the
# edge on machines of its own. Unpinned (default), all three share every CPU.
if [ "${PIN:-0}" = 1 ]; then
  pin_node=(taskset -c 0) pin_edge=(taskset -c 1)
  echo "(pinned: the node on CPU 0; nginx and the load generator on CPU 1)"
else
  pin_node=() pin_edge=()
fi
echo "(loadgen -> nginx $("$nginx" -v 2>&1 | sed 's/.*\///') over HTTPS -> one node on SQLite; $(nproc) CPUs shared; open loop: at most $max_outstanding wallets in progress)"

# A test CA and a certificate for 127.0.0.1 signed by it (loadgen trusts it with --ca-cert).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=edge-load-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
  -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$work/server.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -days 2 -extfile "$work/server.ext" -out "$work/server.pem" 2>/dev/null

"$bin" issuer init --dir "$work/iss" --issuer-id KR-KDCA 2>/dev/null
"$bin" loadgen holders --count "$holders" --out "$work/holders.csv" 2>/dev/null

# A fresh database and the node on it, trusting nginx (127.0.0.1) to name clients.
start_node() {
  rm -f "$work"/iss/issuer.db*
  "$bin" issuer holders import --dir "$work/iss" "$work/holders.csv" 2>/dev/null
  "${pin_node[@]}" "$bin" issuer serve --dir "$work/iss" --listen "127.0.0.1:$node_port" --metrics-listen "127.0.0.1:$((node_port + 1))" \
    --dev --client-rate 0 --subject-starts 0 --trusted-proxy 127.0.0.1/32 --status-base-url "$edge_url/v1/status/" \
    >"$work/serve.log" 2>&1 &
  node_pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$node_port/healthz" >/dev/null && return; sleep 0.1; done
  fail "the node did not start"
}

# nginx with the shipped config, starts limited to START_RATE/s (burst half a second of it); the
# load generator is one client address, so its connection cap is lifted.
start_edge() {
  local rate=$1
  rm -rf "$work/edge"
  deploy/nginx/render.sh --upstream "127.0.0.1:$node_port" --cert "$work/server.pem" --key "$work/server.key" \
    --listen "127.0.0.1:$port" --server-name localhost --prefix "$work/edge" --user "$(id -un)" \
    --start-rate "$rate" --start-burst "$(((rate + 1) / 2))" --conns-per-client 65535 --dev-paths on \
    --out "$work/edge.conf"
  "$nginx" -t -q -p "$work/edge" -c "$work/edge.conf" -e stderr
  "${pin_edge[@]}" "$nginx" -p "$work/edge" -c "$work/edge.conf" -e stderr 2>"$work/edge/logs/stderr.log" &
  edge_pid=$!
  for _ in $(seq 100); do curl -sf --cacert "$work/ca.pem" "$edge_url/healthz" >/dev/null && return; sleep 0.1; done
  cat "$work/edge/logs/stderr.log" >&2
  fail "nginx did not start"
}

stop_all() {
  kill -TERM "$edge_pid" "$node_pid"
  wait "$edge_pid" "$node_pid" || true
  edge_pid= node_pid=
}

echo "== 1. sustainable enrolment rate through the edge (closed loop, 64 wallets at once, $sustainable_duration)"
start_node
start_edge 1000000
"${pin_edge[@]}" "$bin" loadgen run --issuer "$edge_url" --ca-cert "$work/ca.pem" --metrics "$metrics_url" --wallets "$holders" \
  --concurrency 64 --duration "$sustainable_duration" --db "$work/iss/issuer.db" --issuer-pid "$node_pid" --json \
  >"$work/closed.json" || fail "run 1: loadgen failed or the database disagrees with the passes received"
stop_all
rate=${1:-$(python3 -c "import json;print(int(json.load(open('$work/closed.json'))['enrolments_per_second']))")}
[ "$rate" -gt 0 ] || fail "no enrolment completed through the edge"
python3 -c "import json;r=json.load(open('$work/closed.json'));print('  %d enrolments/s, enrolment p99 %.1f ms, node peak %.1f MiB' % (r['enrolments_per_second'], r['enrolment_latency']['p99_ms'], r['issuer_peak_memory_mib']))"
edge_rate=$(python3 -c "print(max(1, int($rate * $start_share)))")

# The two lines of the issue, then the goal lines, from an open-loop JSON report: REPORT FACTOR GOAL.
goals() {
  python3 - "$1" "$2" "$3" "$rate" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); factor, goal, sustainable = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
o, routes, db = r["open_loop"], r["routes"], r["database"]
def mark(ok): return "ok" if ok else "MISSED"
share = r["passes_per_second"] / sustainable
starts = routes["start"]["by_status"].get("202", 0)
refused = routes["complete"]["refused"]
print("edge goodput at %dx: %.0f/s = %.0f %% of sustainable %.0f/s; completions refused %d of %d accepted starts"
      % (factor, r["passes_per_second"], 100 * share, sustainable, refused, starts))
print("  [goodput goal >= %.0f %%: %s] [completions refused goal <= 1 %%: %s]"
      % (100 * goal, mark(share >= goal), mark(refused <= 0.01 * starts)))
print("  offered %d arrivals/s; launched %d (%.0f/s); dropped by the generator %d"
      % (o["offered_arrivals_per_second"], o["arrivals_launched"], o["arrivals_launched_per_second"], o["arrivals_dropped"]))
print("  starts answered: %s" % dict(sorted(routes["start"]["by_status"].items())))
p99 = {k: v["accepted_latency"]["p99_ms"] for k, v in routes.items()}
print("  accepted p99: " + ", ".join("%s %.0f ms" % kv for kv in sorted(p99.items()))
      + "  [goal < 1 s: %s]" % mark(max(p99.values()) < 1000))
others = {k: {s: n for s, n in v["by_status"].items() if s[0] != "2" and s not in ("503", "429")} for k, v in routes.items()}
bare = sum(v["refused"] - v["refused_with_retry_after"] for v in routes.values())
print("  answers other than 2xx / 503 / 429: %s; refusals without Retry-After: %d  [%s]"
      % ({k: v for k, v in others.items() if v} or "none", bare, mark(bare == 0 and not any(others.values()))))
mem = r["issuer_peak_memory_mib"]
print("  node peak memory: %.0f MiB  [goal < 256 MiB: %s]" % (mem, mark(mem < 256)))
print("  database: %d passes received, %d present, %d missing  [%s]"
      % (db["received"], db["present"], db["missing"], mark(db["missing"] == 0 and db["received"] == db["passes_in_database"])))
PY
}

# Where the CPU went while the load ran: samples the node, nginx (master and workers) and the load
# generator every 0.2 s from /proc, and reports each one's share of a CPU over DURATION from the
# moment the node starts working (the generator makes its holder keys first, before its clock).
cat >"$work/cpu_profile.py" <<'PY'
import os, re, sys, time
duration = float(re.match(r"([0-9.]+)s$", sys.argv[1]).group(1))
node, edge, loadgen = (int(p) for p in sys.argv[2:5])
tick = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / tick, int(f[1])
    except (OSError, IndexError, ValueError):
        return None, None
def sample():
    nginx = cpu(edge)[0] or 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            used, parent = cpu(int(entry))
            if parent == edge:
                nginx += used
    return time.monotonic(), cpu(node)[0], nginx, cpu(loadgen)[0]
first = sample()
while first[1] is not None and first[3] is not None:
    time.sleep(0.2)
    now = sample()
    if now[1] is None or now[3] is None:
        sys.exit(0)
    if now[1] - first[1] > 0.05:
        break
    first = now
last = first
while last[0] - first[0] < duration:
    time.sleep(0.2)
    now = sample()
    if now[1] is None or now[3] is None:
        break
    last = now
span = last[0] - first[0]
if span > 0:
    shares = [(last[i] - first[i]) / span for i in (1, 2, 3)]
    print("  CPU over %.0f s of load, in CPUs: node %.2f, nginx %.2f, load generator %.2f" % (span, *shares))
PY

# An open-loop run at FACTOR times the sustainable rate through an edge admitting starts at
# edge_rate/s: overload FACTOR GOAL RUN
overload() {
  local factor=$1 goal=$2 run=$3
  echo "== $run. open loop at ${factor}x $rate enrolments/s through the edge (starts admitted at $edge_rate/s), $duration"
  start_node
  start_edge "$edge_rate"
  "${pin_edge[@]}" "$bin" loadgen run --issuer "$edge_url" --ca-cert "$work/ca.pem" --metrics "$metrics_url" --rate "$((rate * factor))" \
    --wallets "$holders" --duration "$duration" --max-outstanding "$max_outstanding" --db "$work/iss/issuer.db" \
    --issuer-pid "$node_pid" --json >"$work/over$factor.json" &
  local loadgen_pid=$!
  python3 "$work/cpu_profile.py" "$duration" "$node_pid" "$edge_pid" "$loadgen_pid" >"$work/cpu$factor.txt" &
  local profile_pid=$!
  wait "$loadgen_pid" || fail "run $run: loadgen failed or the database disagrees with the passes received"
  wait "$profile_pid" || true
  echo "  shed at the edge (nginx limit_req): $(grep -c 'limiting requests' "$work/edge/logs/error.log" || true)"
  stop_all
  goals "$work/over$factor.json" "$factor" "$goal"
  cat "$work/cpu$factor.txt"
}

overload 5 0.8 2
overload 10 0.7 3
