#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the test suite.
#   scripts/pg_test_cluster.sh start   -> prints the DATABASE_URL on stdout (nothing else)
#   scripts/pg_test_cluster.sh stop    -> stops it and removes its directory
# initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` system user.
set -euo pipefail

DIR="${SHOUWANG_PG_DIR:-/tmp/shouwang-pg-$(id -u)}"
PORT="${SHOUWANG_PG_PORT:-54329}"

die() { echo "pg_test_cluster: $*" >&2; exit 1; }

bindir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$found" ] && [ -x "$found/initdb" ]; then echo "$found"; return; fi
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return; }
  die "PostgreSQL server binaries (initdb) not found: install the 'postgresql' package"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin; bin=$(bindir)
  stop >/dev/null 2>&1 || true
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "no 'postgres' system user to run the cluster as"
    chown postgres "$DIR"
  fi
  as_owner "$bin/initdb" -D "$DIR/data" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 \
    >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
  as_owner "$bin/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >&2 || { cat "$DIR/server.log" >&2 || true; die "the server did not start"; }
  "$bin/pg_isready" -h 127.0.0.1 -p "$PORT" -t 30 >&2 || die "the server is not answering"
  echo "postgres://postgres@127.0.0.1:$PORT/shouwang"
}

stop() {
  local bin; bin=$(bindir)
  if [ -f "$DIR/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || true
  fi
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 start|stop" ;;
esac
