#!/usr/bin/env bash
# Tests the generated Kotlin and Swift bindings against the real core: builds the FFI library (host
# build) and the generator, generates both bindings (never committed), starts real issuers on
# 127.0.0.1, runs the Kotlin tests on the JVM and the Swift tests in a Debian trixie root, then stops
# the issuers. Called by scripts/test.sh; prints `kotlin: N passed, N failed` and
# `swift: N passed, N failed`.
#
# The issuers share one issuer folder (one anchor and key) and each has its own database:
#   DOORPASS_ISSUER_URL        a dev issuer (codes readable at /dev/otp/{subject})
#   DOORPASS_BUSY_ISSUER_URL   answers every issuance 503 + Retry-After (--inject-failure 1)
#   DOORPASS_SLOW_ISSUER_URL   adds 3 s to every issuance (--inject-latency 3s), for cancellation
#   DOORPASS_SHORT_ISSUER_URL  passes live 3 s and their refresh tokens no longer (re-authentication)
#   DOORPASS_DOWN_ISSUER_URL   a loopback port nothing listens on (offline)
#   DOORPASS_ANCHOR_PEM, DOORPASS_TRUST_LIST   the anchor public key and the signed trust list
#   DOORPASS_VECTORS           tests/vectors (cases.json with expected verdicts)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

cargo build --locked -p doorpass-ffi -p uniffi-bindgen -p doorpass
target="${CARGO_TARGET_DIR:-$repo/target}"
lib="$target/debug/libdoorpass_ffi.so"
gen="$target/bindings"
rm -rf "$gen"
for language in kotlin swift; do
  "$target/debug/uniffi-bindgen" generate --no-format --library "$lib" --language "$language" \
    --out-dir "$gen/$language" >/dev/null
done

work="$(mktemp -d)"
stop() {
  for pidfile in "$work"/*.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  sleep 0.2
  rm -rf "$work"
}
trap stop EXIT

doorpass="$target/debug/doorpass"
"$doorpass" issuer init --dir "$work/issuer" --issuer-id KR-TEST >/dev/null
# Subjects of the shells' view-model tests (ui-kt-N in Kotlin, ui-sw-N in Swift), besides the demo ones.
{
  echo "subject,name,birth_date,kind,eligible_until"
  for lang in kt sw; do
    for n in 1 2 3 4 5 6; do echo "ui-$lang-$n,UI Tester $n,1990-01-01,vaccination,2099-12-31"; done
  done
} >"$work/ui-holders.csv"
for db in main short; do
  "$doorpass" issuer holders import --dir "$work/issuer" --db "$work/$db.db" "$work/ui-holders.csv" >/dev/null
done

# Starts `doorpass issuer serve --dev` on a free loopback port, without rate limits (both suites enrol
# the same demo subjects many times); prints its URL (it runs in a command
# substitution, so its process id goes to a file for `stop`).
serve() {
  local name="$1"
  shift
  "$doorpass" issuer serve --dir "$work/issuer" --db "$work/$name.db" --listen 127.0.0.1:0 --dev \
    --client-rate 0 --subject-starts 0 "$@" >"$work/$name.log" 2>&1 &
  echo "$!" >"$work/$name.pid"
  for _ in $(seq 100); do
    local url
    url="$(sed -n 's/.* listening on \(http:[^ ]*\).*/\1/p' "$work/$name.log" | head -n 1)"
    if [ -n "$url" ]; then
      echo "$url"
      return
    fi
    sleep 0.1
  done
  echo "test-bindings.sh: the $name issuer did not start:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

DOORPASS_ISSUER_URL="$(serve main)"
DOORPASS_BUSY_ISSUER_URL="$(serve busy --inject-failure 1)"
DOORPASS_SLOW_ISSUER_URL="$(serve slow --inject-latency 3s)"
DOORPASS_SHORT_ISSUER_URL="$(serve short --pass-ttl 3s --refresh-grace 0s)"
# A port that was free a moment ago: connections to it are refused.
DOORPASS_DOWN_ISSUER_URL="http://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
DOORPASS_ANCHOR_PEM="$work/issuer/anchor.pub.pem"
DOORPASS_TRUST_LIST="$work/issuer/trust-list.cose"
DOORPASS_VECTORS="$repo/tests/vectors"
export DOORPASS_ISSUER_URL DOORPASS_BUSY_ISSUER_URL DOORPASS_SLOW_ISSUER_URL DOORPASS_SHORT_ISSUER_URL \
  DOORPASS_DOWN_ISSUER_URL DOORPASS_ANCHOR_PEM DOORPASS_TRUST_LIST DOORPASS_VECTORS

status=0
# The JVM gets a kernel session keyring of its own: with no store from the app, the wallet uses the
# platform keystore (keyutils on Linux).
keyctl session - scripts/kotlin-tests.sh "$gen/kotlin" "$target/debug" || status=1
scripts/swift-tests.sh "$gen/swift" "$lib" || status=1
exit "$status"
