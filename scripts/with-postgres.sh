#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]
#
# Runs COMMAND against a private PostgreSQL server started for this run only, so that no test
# depends on a server that a fresh machine lacks, or on another run's data. Installs Debian's
# postgresql when initdb/pg_ctl are missing, initdb's a cluster in a fresh folder under /tmp
# (superuser `postgres`, trust auth, only 127.0.0.1 on a free port, unix sockets in that folder,
# durability settings left at their defaults: tests check crash safety), exports
#   DOORPASS_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/postgres
# (and DOORPASS_TEST_POSTGRES_LOG, the server's log file),
# runs COMMAND and exits with its status. On any exit the server is stopped and the folder removed.
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user the package
# creates; otherwise as the current user.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
die() { echo "with-postgres: $*" >&2; exit 1; }

# The newest Debian PostgreSQL (binaries in /usr/lib/postgresql/<version>/bin), else the one whose
# initdb is on PATH (followed to its real folder, where its other programs are).
find_bin() {
  local dir program
  dir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [ -x "$dir/initdb" ] || { dir=$(command -v initdb) && dir=$(dirname "$(readlink -f "$dir")"); } || return 1
  for program in initdb pg_ctl postgres pg_isready; do [ -x "$dir/$program" ] || return 1; done
  echo "$dir"
}
bin=$(find_bin) || { "$(dirname "$0")/apt-install.sh" postgresql && bin=$(find_bin); } ||
  die "no initdb/pg_ctl, even after installing postgresql"

# A free loopback port below Linux's ephemeral range (32768+), so no outgoing connection takes it.
port=
while [ -z "$port" ]; do
  candidate=$((20000 + RANDOM % 12000))
  (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null || port=$candidate
done

# /tmp rather than $TMPDIR: the postgres user must reach it, and socket paths must stay short.
tmp=$(mktemp -d /tmp/with-postgres.XXXXXX)
data="$tmp/data"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$tmp" || die "no postgres user to run the server as (PostgreSQL refuses root)"
  # setpriv execs (runuser/su would stay in between as the server's parent).
  as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups)
fi
# PostgreSQL's programs, as that user, from / (which it can read, unlike perhaps the current folder).
run_pg() { (cd / && exec "${as_pg[@]}" "$@"); }

server=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  if [ -n "$server" ]; then
    run_pg "$bin/pg_ctl" stop -D "$data" -m immediate -w >/dev/null 2>&1 || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail() {
  echo "with-postgres: $*; end of the server log:" >&2
  tail -n 20 "$tmp/server.log" >&2 || true
  exit 1
}

run_pg "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >"$tmp/initdb.log" 2>&1 ||
  { cat "$tmp/initdb.log" >&2; die "initdb failed"; }
cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$tmp'
max_connections = 300
shared_buffers = 128MB
EOF
# The server is this script's own child (pg_ctl start would orphan it), so it is reaped here even
# where PID 1 reaps no orphans (containers without an init).
(cd / && exec "${as_pg[@]}" "$bin/postgres" -D "$data") >"$tmp/server.log" 2>&1 &
server=$!
for ((i = 0; ; i++)); do
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres && break
  kill -0 "$server" 2>/dev/null || { wait "$server" || true; server=; fail "the server exited"; }
  ((i < 300)) || fail "the server accepts no connections on 127.0.0.1:$port after 30 s"
  sleep 0.1
done
echo "with-postgres: PostgreSQL $("$bin/postgres" -V | awk '{print $3}') on 127.0.0.1:$port (data in $data)" >&2

export DOORPASS_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
export DOORPASS_TEST_POSTGRES_LOG="$tmp/server.log"
status=0
"$@" || status=$?
exit "$status"
