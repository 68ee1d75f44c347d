#!/usr/bin/env bash
# Renders deploy/nginx/doorpass-edge.conf.template into a complete nginx configuration, and
# creates the folders it names under --prefix. The production edge, the test (cli/tests/edge.rs)
# and scripts/edge-load.sh all run this one template, each with its own values.
#
#   deploy/nginx/render.sh --upstream HOST:PORT [--upstream HOST:PORT...] --cert PEM --key PEM \
#       [--listen 443] [--server-name NAME] [--prefix DIR] [--user USER] [--start-rate N] \
#       [--start-burst N] [--conns-per-client N] [--dev-paths on|off] --out FILE
#
# Then: nginx -t -p DIR -c FILE, and run `nginx -p DIR -c FILE` (it stays in the foreground).
# Defaults are production's: listen 443, user www-data, prefix /var/lib/doorpass-edge, 100 new
# enrolment starts/s (burst 50), 32 connections per client address, /dev/ blocked.
set -euo pipefail
die() { echo "render.sh: $*" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
listen=443 server_name=_ prefix=/var/lib/doorpass-edge user=www-data
start_rate=100 start_burst=50 conns_per_client=32 dev_paths=off
cert= key= out= upstreams=()
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "$1 needs a value"
  case $1 in
    --upstream) upstreams+=("$2") ;;
    --cert) cert=$2 ;;
    --key) key=$2 ;;
    --listen) listen=$2 ;;
    --server-name) server_name=$2 ;;
    --prefix) prefix=$2 ;;
    --user) user=$2 ;;
    --start-rate) start_rate=$2 ;;
    --start-burst) start_burst=$2 ;;
    --conns-per-client) conns_per_client=$2 ;;
    --dev-paths) dev_paths=$2 ;;
    --out) out=$2 ;;
    *) die "unknown option $1" ;;
  esac
  shift 2
done
((${#upstreams[@]})) || die "give at least one --upstream HOST:PORT (an issuer node)"
[ -n "$cert" ] && [ -n "$key" ] || die "give --cert and --key (PEM files)"
[ -n "$out" ] || die "give --out FILE"
case $dev_paths in on | off) ;; *) die "--dev-paths is on or off" ;; esac
for number in "$start_rate" "$start_burst" "$conns_per_client"; do
  [[ $number =~ ^[1-9][0-9]*$ ]] || die "rates, bursts and connection counts are whole numbers > 0: $number"
done
# nginx's own bound on limit_conn.
((conns_per_client < 65536)) || die "--conns-per-client is at most 65535"
# Absolute paths: nginx reads relative ones from its prefix, not from here.
absolute() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
prefix=$(absolute "$prefix") cert=$(absolute "$cert") key=$(absolute "$key")

servers=""
for upstream in "${upstreams[@]}"; do
  servers+="        server $upstream max_fails=1 fail_timeout=5s;"$'\n'
done
config=$(<"$here/doorpass-edge.conf.template")
config=${config//@UPSTREAMS@/${servers%$'\n'}}
config=${config//@LISTEN@/$listen}
config=${config//@SERVER_NAME@/$server_name}
config=${config//@PREFIX@/$prefix}
config=${config//@USER@/$user}
config=${config//@TLS_CERT@/$cert}
config=${config//@TLS_KEY@/$key}
config=${config//@START_RATE@/$start_rate}
config=${config//@START_BURST@/$start_burst}
config=${config//@CONNS_PER_CLIENT@/$conns_per_client}
config=${config//@DEV_PATHS@/$dev_paths}
[[ $config != *@[A-Z_]*@* ]] || die "a placeholder is left: $(grep -o '@[A-Z_]*@' <<<"$config" | head -n 1)"
mkdir -p "$prefix/logs" "$prefix/temp" "$prefix/cache"
printf '%s\n' "$config" >"$out"
