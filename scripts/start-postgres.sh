#!/usr/bin/env bash
# Starts (or stops) a local PostgreSQL for wharf's scale-out mode: several wharf
# replicas with --database set to the DSN this prints. For development and
# manual testing; production points wharf at a managed PostgreSQL instead.
#
#   scripts/start-postgres.sh [DIR] [PORT]   init DIR/data if needed, start, print the DSN
#   scripts/start-postgres.sh --stop [DIR]   stop it
#
# DIR defaults to ${TMPDIR:-/tmp}/wharf-postgres, PORT to 5433. Trust auth on
# 127.0.0.1 only. As root, the server runs as the system user wharftest (created
# when missing): PostgreSQL refuses to run as root.
set -euo pipefail

find_bin() {
  local d
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v initdb)"; return
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -rn); do
    [[ -x $d/initdb && -x $d/pg_ctl ]] && { echo "$d"; return; }
  done
  echo "start-postgres: PostgreSQL binaries not found; install the Debian package postgresql (scripts/install-deps.sh)" >&2
  exit 1
}

stop=0
if [[ ${1:-} == --stop ]]; then stop=1; shift; fi
dir=${1:-${TMPDIR:-/tmp}/wharf-postgres}
port=${2:-5433}
bin=$(find_bin)
psql=$bin/psql
[[ -x $psql ]] || psql=$(command -v psql) || { echo "start-postgres: psql not found" >&2; exit 1; }

as_server() { "$@"; }
if [[ $(id -u) -eq 0 ]]; then
  if ! id wharftest >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin wharftest
  fi
  as_server() { runuser -u wharftest -- "$@"; }
fi

if [[ $stop -eq 1 ]]; then
  as_server "$bin/pg_ctl" -D "$dir/data" -m fast stop
  exit 0
fi

mkdir -p "$dir"
if [[ $(id -u) -eq 0 ]]; then chown wharftest: "$dir"; fi
if [[ ! -f $dir/data/PG_VERSION ]]; then
  as_server "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
fi
if ! as_server "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
fi
# One database for all replicas; creating it twice is fine.
"$psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtAc \
  "SELECT 1 FROM pg_database WHERE datname = 'wharf'" | grep -q 1 ||
  "$psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE wharf"
echo "postgres://postgres@127.0.0.1:$port/wharf?sslmode=disable"
