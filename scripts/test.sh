#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian machine: installs the independent QR decoder
# (zbar-tools), the kernel keyring tool (keyutils) and nginx (the edge, deploy/nginx/) when they are
# missing, runs the Rust test suite
# (beside a private PostgreSQL server, installed if missing) and the issuer's tests on PostgreSQL,
# then the generated Kotlin and Swift bindings against the real core and real issuers
# (scripts/test-bindings.sh, which also runs the shells' view models), then parses and cross-checks
# the Android and iOS app sources (scripts/check-shells.sh), then checks the FFI crate for the phone
# targets (scripts/check-mobile-targets.sh). Each script installs its own tools.
set -euo pipefail
cd "$(dirname "$0")/.."

# A full disk fails builds with misleading errors (a linker's bus error): say up front what there is.
echo "test.sh: $(df -h --output=avail . | tail -1 | tr -d ' ') free on $(df --output=target . | tail -1)"

scripts/apt-install.sh zbar-tools keyutils nginx

# The real kernel keyring store is used by the wallet tests; give them a session keyring of their own.
# A private PostgreSQL server (scripts/with-postgres.sh) serves the several-node surge test; then
# the issuer's API and cross-node tests run again with every test issuer on PostgreSQL. The edge test
# (cli/tests/edge.rs) fails rather than skips without nginx.
DOORPASS_REQUIRE_KEYRING=1 DOORPASS_REQUIRE_NGINX=1 bash scripts/with-postgres.sh bash -c '
  keyctl session - cargo test --workspace --locked &&
  DOORPASS_TEST_DATABASE=postgres cargo test --locked -p doorpass-issuer --tests'

# The uniffi bindings as apps use them: Kotlin on the JVM, Swift in a Debian trixie root.
bash scripts/test-bindings.sh

# The app sources that cannot be built here: parsed, and their Gradle, XcodeGen and string references.
bash scripts/check-shells.sh

# The FFI crate for Android and iOS targets (checked on stand-in headers: no NDK or Xcode here).
bash scripts/check-mobile-targets.sh

echo "test.sh: target/ holds $(du -sh "${CARGO_TARGET_DIR:-target}" | cut -f1); $(df -h --output=avail . | tail -1 | tr -d ' ') free"
