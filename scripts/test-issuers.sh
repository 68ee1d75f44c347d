#!/usr/bin/env bash
# Usage: scripts/test-issuers.sh DOORPASS_BIN WORK_DIR
#
# Starts, in the background on 127.0.0.1, the issuers that the Kotlin and Swift binding and view-model
# tests run against, and writes where they are to WORK_DIR/env as NAME=value lines: read them with
# `set -a; . WORK_DIR/env; set +a`, or append the file to $GITHUB_ENV in CI. Each issuer's process id
# is in WORK_DIR/<name>.pid; kill them when the tests are done (scripts/test-bindings.sh does; a CI
# job ends them with the job). DOORPASS_BIN is the `doorpass` program (cargo build -p doorpass).
#
# The issuers share one issuer folder (one anchor and key) and each has its own database:
#   DOORPASS_ISSUER_URL        a dev issuer (codes readable at /dev/otp/{subject})
#   DOORPASS_BUSY_ISSUER_URL   answers every issuance 503 + Retry-After (--inject-failure 1)
#   DOORPASS_SLOW_ISSUER_URL   adds 3 s to every issuance (--inject-latency 3s), for cancellation
#   DOORPASS_SHORT_ISSUER_URL  passes live 3 s and their refresh tokens no longer (re-authentication)
#   DOORPASS_DOWN_ISSUER_URL   a loopback port nothing listens on (offline)
#   DOORPASS_ATTESTING_ISSUER_URL   a dev issuer that requires key attestation (--attestation
#                              require): a phone that cannot attest its key gets attestation_required
#   DOORPASS_STOPPABLE_{KT,SW}_ISSUER_URL and _PID   a dev issuer each view-model suite stops itself
#   DOORPASS_TLS_ISSUER_URL    a dev issuer over HTTPS (https://127.0.0.1:PORT; its certificate also
#                              names localhost), signed by a test CA made here with openssl
#   DOORPASS_TEST_CA_PEM       that test CA's certificate (PEM), the root the HTTPS tests add
#   DOORPASS_TLS_ISSUER_KEY_PIN   the SPKI pin of the HTTPS issuer's key (base64 of the SHA-256 of its
#                              SubjectPublicKeyInfo, the format of issuer_key_pins)
#   DOORPASS_TLS_UNRELATED_KEY_PIN_A, _B   SPKI pins of two keys no issuer has (pin mismatches)
#   DOORPASS_ANCHOR_PEM, DOORPASS_TRUST_LIST   the anchor public key and the signed trust list
#   DOORPASS_VECTORS           tests/vectors (cases.json with expected verdicts)
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 DOORPASS_BIN WORK_DIR" >&2; exit 2; }
doorpass="$(realpath "$1")"
[ -x "$doorpass" ] || { echo "test-issuers.sh: $1 is not the doorpass program" >&2; exit 2; }
mkdir -p "$2"
work="$(realpath "$2")"
repo="$(cd "$(dirname "$0")/.." && pwd)"
# openssl makes the HTTPS issuer's test CA (a fresh Debian may lack it; macOS has its own).
command -v openssl >/dev/null || "$repo/scripts/apt-install.sh" openssl

"$doorpass" issuer init --dir "$work/issuer" --issuer-id KR-TEST >/dev/null
# Subjects of the shells' view-model tests (ui-kt-N in Kotlin, ui-sw-N in Swift) and of the HTTPS
# binding tests (https-kt-N, https-sw-N), besides the demo ones.
{
  echo "subject,name,birth_date,kind,eligible_until"
  for lang in kt sw; do
    for n in 1 2 3 4 5 6 7 8 9; do echo "ui-$lang-$n,UI Tester $n,1990-01-01,vaccination,2099-12-31"; done
    for n in 1 2 3; do echo "https-$lang-$n,HTTPS Tester $n,1990-01-01,vaccination,2099-12-31"; done
  done
} >"$work/ui-holders.csv"
for db in main short stoppable-kt stoppable-sw https; do
  "$doorpass" issuer holders import --dir "$work/issuer" --db "$work/$db.db" "$work/ui-holders.csv" >/dev/null
done

# A test CA and the HTTPS issuer's certificate signed by it, for localhost and 127.0.0.1: ECDSA P-256,
# the server certificate valid a year (Apple refuses TLS certificates valid much longer), made fresh
# on every run. The CA's key stays in WORK_DIR/tls, beside the issuer's; nothing else trusts this CA.
# Only options that OpenSSL 1.1 and 3 and macOS's LibreSSL share (the iOS workflow runs this too).
tls="$work/tls"
mkdir -p "$tls"
p256_key() {
  openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt
}
cat >"$tls/ca.cnf" <<'CNF'
[req]
distinguished_name = dn
x509_extensions = ca
prompt = no
[dn]
CN = Doorpass test CA
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF
cat >"$tls/issuer.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = localhost
[issuer]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
p256_key >"$tls/ca-key.pem"
p256_key >"$tls/issuer-key.pem"
openssl req -x509 -new -key "$tls/ca-key.pem" -config "$tls/ca.cnf" -days 3650 -out "$tls/ca.pem"
openssl req -new -key "$tls/issuer-key.pem" -config "$tls/issuer.cnf" -out "$tls/issuer.csr"
openssl x509 -req -in "$tls/issuer.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca-key.pem" \
  -set_serial "0x$(openssl rand -hex 16)" -days 365 -extfile "$tls/issuer.cnf" -extensions issuer \
  -out "$tls/issuer.pem" 2>/dev/null

# The SPKI pin of a public key (read from a private key's PEM on stdin): base64 of the SHA-256 of its
# SubjectPublicKeyInfo (DER), as issuer_key_pins and docs/security.md take it.
spki_pin() {
  openssl pkey -pubout -outform DER | openssl dgst -sha256 -binary | base64
}
issuer_pin="$(spki_pin <"$tls/issuer-key.pem")"
unrelated_pins=()
for _ in 1 2; do
  unrelated_pins+=("$(p256_key | spki_pin)")
done

# Starts `doorpass issuer serve --dev` on a free loopback port, without rate limits (both suites enrol
# the same demo subjects many times); prints its URL (it runs in a command substitution, so its
# process id goes to a file).
serve() {
  local name="$1"
  shift
  "$doorpass" issuer serve --dir "$work/issuer" --db "$work/$name.db" --listen 127.0.0.1:0 --dev \
    --client-rate 0 --subject-starts 0 "$@" >"$work/$name.log" 2>&1 &
  echo "$!" >"$work/$name.pid"
  for _ in $(seq 100); do
    local url
    url="$(sed -n 's/.* listening on \(https\{0,1\}:[^ ]*\).*/\1/p' "$work/$name.log" | head -n 1)"
    if [ -n "$url" ]; then
      echo "$url"
      return
    fi
    sleep 0.1
  done
  echo "test-issuers.sh: the $name issuer did not start:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

main_url="$(serve main)"
busy_url="$(serve busy --inject-failure 1)"
slow_url="$(serve slow --inject-latency 3s)"
short_url="$(serve short --pass-ttl 3s --refresh-grace 0s)"
attesting_url="$(serve attesting --attestation require)"
# One issuer for each view-model suite to stop (SIGTERM its process id) in the middle of a test.
stoppable_kt_url="$(serve stoppable-kt)"
stoppable_sw_url="$(serve stoppable-sw)"
# The dev issuer over HTTPS, serving the certificate above.
https_url="$(serve https --tls-cert "$tls/issuer.pem" --tls-key "$tls/issuer-key.pem")"
# A port that was free a moment ago: connections to it are refused.
down_url="http://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

settings=(
  "DOORPASS_ISSUER_URL=$main_url"
  "DOORPASS_BUSY_ISSUER_URL=$busy_url"
  "DOORPASS_SLOW_ISSUER_URL=$slow_url"
  "DOORPASS_SHORT_ISSUER_URL=$short_url"
  "DOORPASS_DOWN_ISSUER_URL=$down_url"
  "DOORPASS_ATTESTING_ISSUER_URL=$attesting_url"
  "DOORPASS_STOPPABLE_KT_ISSUER_URL=$stoppable_kt_url"
  "DOORPASS_STOPPABLE_KT_ISSUER_PID=$(cat "$work/stoppable-kt.pid")"
  "DOORPASS_STOPPABLE_SW_ISSUER_URL=$stoppable_sw_url"
  "DOORPASS_STOPPABLE_SW_ISSUER_PID=$(cat "$work/stoppable-sw.pid")"
  "DOORPASS_TLS_ISSUER_URL=$https_url"
  "DOORPASS_TEST_CA_PEM=$tls/ca.pem"
  "DOORPASS_TLS_ISSUER_KEY_PIN=$issuer_pin"
  "DOORPASS_TLS_UNRELATED_KEY_PIN_A=${unrelated_pins[0]}"
  "DOORPASS_TLS_UNRELATED_KEY_PIN_B=${unrelated_pins[1]}"
  "DOORPASS_ANCHOR_PEM=$work/issuer/anchor.pub.pem"
  "DOORPASS_TRUST_LIST=$work/issuer/trust-list.cose"
  "DOORPASS_VECTORS=$repo/tests/vectors"
)
# The file is read both by `.` and by GitHub Actions: no value may need quoting.
for setting in "${settings[@]}"; do
  [[ $setting =~ ^[A-Z_]+=[^[:space:]\"\'\$\`\\]+$ ]] ||
    { echo "test-issuers.sh: cannot write '$setting' unquoted (a space or quote in the folder name?)" >&2; exit 1; }
done
printf '%s\n' "${settings[@]}" >"$work/env"
