#!/usr/bin/env bash
# Runs the XCTest tests of the Swift package ios/ against uniffi-generated Swift bindings and a real
# Rust cdylib, on Linux, inside the Debian trixie root of scripts/swift-root.sh:
#   scripts/swift-tests.sh BINDINGS_DIR LIB_FILE
# BINDINGS_DIR holds the output of `uniffi-bindgen generate --language swift` (DoorpassCore.swift,
# DoorpassCoreFFI.h); LIB_FILE is the cdylib, e.g. target/debug/libdoorpass_ffi.so (the module map
# links the library named after it). Closes with `swift: N passed, N failed` and exits non-zero
# when a test failed or none ran. DOORPASS_* environment variables are passed to the tests, and
# DOORPASS_STRINGS names the app's string tables (ios/App/Resources, *.lproj/Localizable.strings)
# for the view-model tests. DOORPASS_TEST_CA_PEM, when set, is also added to the root's system CA
# bundle for the tests' own HTTPS requests (URLSession), not to the core's roots (see below).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BINDINGS_DIR LIB_FILE" >&2; exit 2; }
bindings="$(realpath "$1")"
lib="$(realpath "$2")"
libname="$(basename "$lib" .so)"
libname="${libname#lib}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
module=DoorpassCore
ffi=DoorpassCoreFFI
for f in "$bindings/$module.swift" "$bindings/$ffi.h" "$lib"; do
  [ -f "$f" ] || { echo "swift-tests.sh: missing $f" >&2; exit 1; }
done

root="$("$repo/scripts/swift-root.sh")"
tools="$(dirname "$root")"
# One run at a time uses the root's /work.
exec 9>"$tools/swift-tests.lock"
flock 9

# The package, fresh: ios/ plus the generated sources, the C module and the cdylib.
pkg="$root/work/pkg"
rm -rf --one-file-system "$root/work"
mkdir -p "$pkg" "$root/work/lib"
for part in Package.swift Sources Tests; do
  if [ -e "$repo/ios/$part" ]; then cp -r "$repo/ios/$part" "$pkg/"; fi
done
mkdir -p "$pkg/Sources/$module" "$pkg/Sources/$ffi"
cp "$bindings/$module.swift" "$pkg/Sources/$module/"
cp "$bindings/$ffi.h" "$pkg/Sources/$ffi/"
cat >"$pkg/Sources/$ffi/module.modulemap" <<MAP
module $ffi {
    header "$ffi.h"
    link "$libname"
    export *
}
MAP
cp "$lib" "$root/work/lib/"
# The core's HTTP client (reqwest + rustls-platform-verifier) will not even be built without the
# system's CA certificates, plain http to 127.0.0.1 included; the minbase root has none. Lend it the
# host's bundle, as /work/platform-roots.crt named by SSL_CERT_FILE (rustls-native-certs reads it on
# Linux).
# The root's own bundle, where libcurl looks, is the host's plus the test CA when DOORPASS_TEST_CA_PEM
# names one: URLSession on Linux is libcurl, which reads only that bundle (corelibs Foundation reads
# URLSessionCertificateAuthorityInfoFile on Android only), and the tests fetch the HTTPS dev issuer's
# codes with it. The core must not find the test CA among its platform roots: the HTTPS tests show
# that it trusts the CA when handed it (extraRootCertificatesPem) and refuses the issuer without.
# Written on every run; the host's bundle alone is put back on exit.
host_bundle=/etc/ssl/certs/ca-certificates.crt
[ -s "$host_bundle" ] || { echo "swift-tests.sh: no CA bundle at $host_bundle (Debian's ca-certificates)" >&2; exit 1; }
root_bundle="$root/etc/ssl/certs/ca-certificates.crt"
mkdir -p "$root/etc/ssl/certs"
cp "$host_bundle" "$root/work/platform-roots.crt"
{
  cat "$host_bundle"
  if [ -n "${DOORPASS_TEST_CA_PEM:-}" ]; then cat "$DOORPASS_TEST_CA_PEM"; fi
} >"$root_bundle"

# /proc for the toolchain; unmounted on exit, whatever happens.
mounted=()
cleanup() {
  for m in "${mounted[@]}"; do umount -l "$m" || true; done
  cp "$host_bundle" "$root_bundle" || true
  rm -rf "$root/work/tmp"
}
trap cleanup EXIT
if ! mountpoint -q "$root/proc"; then mount -t proc proc "$root/proc" && mounted+=("$root/proc"); fi

# A clean environment inside the root, plus every DOORPASS_* variable of ours. A variable naming a
# file or folder of the host (the anchor, the trust list, the vectors) is copied into the root and
# pointed at the copy: host paths do not exist inside the chroot.
envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
  SSL_CERT_FILE=/work/platform-roots.crt TMPDIR=/work/tmp) # TMPDIR: the tests' folders, removed on exit
export DOORPASS_STRINGS="${DOORPASS_STRINGS:-$repo/ios/App/Resources}"
mkdir -p "$root/work/data" "$root/work/tmp"
for v in $(compgen -e); do
  if [[ $v == DOORPASS_* ]]; then
    value="${!v}"
    if [[ $value == /* ]] && [ -e "$value" ]; then
      cp -r "$value" "$root/work/data/$v"
      value="/work/data/$v"
    fi
    envs+=("$v=$value")
  fi
done

log="$root/work/swift-test.log"
set +e
chroot "$root" /usr/bin/env -i "${envs[@]}" sh -c 'cd /work/pkg && exec swift test \
  -Xlinker -L/work/lib -Xlinker -rpath=/work/lib' 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# XCTest closes with the summary of 'All tests' ("Executed N tests, with [K tests skipped and] M
# failures ..."); swift-testing's own summary ("Test run with ...") is not counted. M counts failed
# assertions, not tests (one test can fail several): failed tests are the test cases that failed.
summary="$(grep -A1 -E "^Test Suite 'All tests' (passed|failed)" "$log" | grep -E '^\s*Executed ' | tail -n 1 || true)"
if [ -n "$summary" ]; then
  total="$(sed -nE 's/.*Executed ([0-9]+) tests?.*/\1/p' <<<"$summary")"
  failures="$(sed -nE 's/.* ([0-9]+) failures?.*/\1/p' <<<"$summary")"
  skipped="$(sed -nE 's/.* ([0-9]+) tests? skipped.*/\1/p' <<<"$summary")"
  failed="$(grep -cE "^Test Case '.*' failed" "$log" || true)"
  if [ "$failed" -eq 0 ] && [ "${failures:-0}" -gt 0 ]; then failed=1; fi
  passed=$((total - failed - ${skipped:-0}))
else
  # No summary: the build failed, no test ran, or a test crashed the runner. Count the test cases
  # that ended, and one that started without ending (the crash) as failed.
  passed="$(grep -cE "^Test Case '.*' passed" "$log" || true)"
  started="$(grep -cE "^Test Case '.*' started" "$log" || true)"
  ended="$(grep -cE "^Test Case '.*' (passed|failed|skipped)" "$log" || true)"
  failed=$(($(grep -cE "^Test Case '.*' failed" "$log" || true) + started - ended))
fi
echo "swift: $passed passed, ${failed:-0} failed"
[ "$status" -eq 0 ] && [ "${failed:-0}" -eq 0 ] && [ "$passed" -gt 0 ]
