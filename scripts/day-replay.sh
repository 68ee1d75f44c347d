#!/usr/bin/env bash
# The full day replay (docs/day-replay.md): `doorpass loadgen day` for both scenarios (steady state
# and day one) against a real issuer in-process on 127.0.0.1 (fresh SQLite) in simulated time.
# Writes the chart of the steady state to docs/img/day-replay.png, day one's beside it
# (docs/img/day-replay-day-one.png), the figures to docs/img/day-replay.json and the printed tables
# and summary lines to docs/img/day-replay.txt.
#
# Usage: bash scripts/day-replay.sh [HOLDERS]      (default 100000)
# Every holder is a real wallet with a folder of its own under TMPDIR: /dev/shm by default when it
# is writable (about 30 KB a holder). PROFILE=dev uses the debug build instead of release (no
# optimised build of the workspace needed; the dependencies are optimised either way). DB=URL puts
# the issuer on an empty PostgreSQL database instead.
set -euo pipefail
cd "$(dirname "$0")/.."
holders=${1:-100000}
profile=${PROFILE:-release}
if [[ -z "${TMPDIR:-}" && -w /dev/shm ]]; then
  export TMPDIR=/dev/shm
fi
if [[ "$profile" == release ]]; then
  cargo build --release -q --locked -p doorpass
  bin=${CARGO_TARGET_DIR:-target}/release/doorpass
else
  cargo build -q --locked -p doorpass
  bin=${CARGO_TARGET_DIR:-target}/debug/doorpass
fi
mkdir -p docs/img
args=(loadgen day --holders "$holders" --scenario both --seed 25
  --chart docs/img/day-replay.png --json docs/img/day-replay.json)
if [[ -n "${DB:-}" ]]; then
  args+=(--db "$DB")
fi
echo "\$ doorpass ${args[*]}   (TMPDIR=${TMPDIR:-/tmp}, $profile build)" | tee docs/img/day-replay.txt
err=$(mktemp)
trap 'rm -f "$err"' EXIT
/usr/bin/time -v "$bin" "${args[@]}" 2>"$err" | tee -a docs/img/day-replay.txt
grep -E "replayed in|chart written|Maximum resident|Elapsed" "$err" | tee -a docs/img/day-replay.txt
