#!/usr/bin/env bash
# Runs the Kotlin (JVM) tests in android/doorpass/src/test/kotlin/ against uniffi-generated Kotlin
# bindings and a real Rust cdylib, on this machine, with no Gradle:
#   scripts/kotlin-tests.sh BINDINGS_DIR LIB_DIR
# BINDINGS_DIR holds the output of `uniffi-bindgen generate --language kotlin`; LIB_DIR holds the
# cdylib (lib<cdylib_name>.so) that the bindings load through JNA.
# Installs what is missing: Debian's libjna-java and junit5, and kotlin-compiler from npm into
# ${DOORPASS_TOOLS:-$HOME/.cache/doorpass-tools}/kotlin. Closes with `kotlin: N passed, N failed`
# and exits non-zero when a test failed or none ran. DOORPASS_* environment variables reach the
# tests unchanged (the JVM inherits this environment; read them with System.getenv).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BINDINGS_DIR LIB_DIR" >&2; exit 2; }
bindings="$(realpath "$1")"
libdir="$(realpath "$2")"
repo="$(cd "$(dirname "$0")/.." && pwd)"
# The binding tests, and the shells' view models (plain Kotlin, no android.*) with their tests.
tests=("$repo/android/doorpass/src/test/kotlin" "$repo/android/passui/src/main/kotlin" "$repo/android/passui/src/test/kotlin")
tools="${DOORPASS_TOOLS:-$HOME/.cache/doorpass-tools}"
# The Kotlin version of the Android build (its Gradle plugin), so both compile with the same one.
kotlin_version="$(sed -nE 's/^kotlin = "([0-9.]+)"$/\1/p' "$repo/android/gradle/libs.versions.toml")"
[ -n "$kotlin_version" ] || { echo "kotlin-tests.sh: no 'kotlin = \"…\"' in android/gradle/libs.versions.toml" >&2; exit 1; }

# Debian packages: JNA (loads the cdylib) and JUnit 5 (API + console launcher).
"$repo/scripts/apt-install.sh" libjna-java junit5

# The Kotlin compiler (with kotlin-test, kotlin-test-junit5 and kotlinx-coroutines in its lib/).
kdir="$tools/kotlin/node_modules/kotlin-compiler"
if ! grep -q "\"version\": \"$kotlin_version\"" "$kdir/package.json" 2>/dev/null; then
  mkdir -p "$tools/kotlin"
  npm install --prefix "$tools/kotlin" --no-audit --no-fund --loglevel=error "kotlin-compiler@$kotlin_version" >&2
fi
klib="$kdir/lib"
cp="$klib/kotlin-stdlib.jar:$klib/kotlin-test.jar:$klib/kotlin-test-junit5.jar"
cp="$cp:$klib/kotlinx-coroutines-core-jvm.jar:/usr/share/java/jna.jar:/usr/share/java/junit-jupiter-api.jar"

mapfile -t sources < <(find "$bindings" "${tests[@]}" -name '*.kt' 2>/dev/null | sort)
[ "${#sources[@]}" -gt 0 ] || { echo "kotlin-tests.sh: no Kotlin sources in $bindings or ${tests[*]}" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "kotlin-tests.sh: compiling ${#sources[@]} Kotlin files" >&2
"$kdir/bin/kotlinc-jvm" -nowarn -jvm-target 17 -cp "$cp" -d "$work/classes" "${sources[@]}"

# JNA finds the cdylib through jna.library.path (Debian's jna.jar finds its own libjnidispatch).
# Every compiled class is a candidate, not only the launcher's default *Test/*Tests names (jars on
# the class path are not scanned). The XML report is where the counts are read from.
set +e
mkdir -p "$work/tmp" # the tests' wallet and door folders: removed with $work, not left in /tmp
java -Djna.library.path="$libdir" -Djava.io.tmpdir="$work/tmp" \
  -jar /usr/share/java/junit-platform-console-standalone.jar \
  --class-path "$work/classes:$cp" --scan-class-path "$work/classes" --include-classname='.*' \
  --fail-if-no-tests --disable-banner --disable-ansi-colors --details=tree --details-theme=ascii --reports-dir "$work/reports"
status=$?
set -e

# Sum the counts over the legacy XML reports (one <testsuite> per engine; the tests of a failed
# container, e.g. a failing @BeforeAll, count as errors). The launcher's exit code decides too.
read -r total failed skipped < <(cat "$work"/reports/*.xml 2>/dev/null |
  grep -o '<testsuite [^>]*>' |
  sed -E 's/.* tests="([0-9]+)".* skipped="([0-9]+)".* failures="([0-9]+)".* errors="([0-9]+)".*/\1 \2 \3 \4/' |
  awk '{ t += $1; s += $2; f += $3 + $4 } END { print t + 0, f + 0, s + 0 }')
passed=$((total - failed - skipped))
echo "kotlin: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
