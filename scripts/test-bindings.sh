#!/usr/bin/env bash
# Tests the generated Kotlin and Swift bindings against the real core: builds the FFI library (host
# build) and the generator, generates both bindings (never committed), starts real issuers on
# 127.0.0.1 (scripts/test-issuers.sh, which lists the DOORPASS_* variables the tests read), runs the
# Kotlin tests on the JVM and the Swift tests in a Debian trixie root, then stops the issuers. Called
# by scripts/test.sh; prints `kotlin: N passed, N failed` and `swift: N passed, N failed`.
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

scripts/test-issuers.sh "$target/debug/doorpass" "$work"
set -a
# shellcheck disable=SC1091 # written by test-issuers.sh just above
. "$work/env"
set +a

status=0
# The JVM gets a kernel session keyring of its own: with no store from the app, the wallet uses the
# platform keystore (keyutils on Linux).
keyctl session - scripts/kotlin-tests.sh "$gen/kotlin" "$target/debug" || status=1
scripts/swift-tests.sh "$gen/swift" "$lib" || status=1
exit "$status"
