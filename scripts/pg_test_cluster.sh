#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the test suite.
#   scripts/pg_test_cluster.sh start   -> prints the DATABASE_URL on stdout (one line, nothing else)
#   scripts/pg_test_cluster.sh stop    -> stops it and removes its directory
# The cluster lives in /tmp/shouwang-pg-<uid>-<checkout hash> (SHOUWANG_PG_DIR overrides),
# listens on 127.0.0.1 at the first free port from 54329 (SHOUWANG_PG_PORT overrides the start)
# and keeps its unix socket in its own directory. Trust authentication, user `postgres`.
# initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` system user
# (created by Debian's postgresql package).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR="${SHOUWANG_PG_DIR:-/tmp/shouwang-pg-$(id -u)-$(printf %s "$ROOT" | cksum | cut -d' ' -f1)}"
FIRST_PORT="${SHOUWANG_PG_PORT:-54329}"

die() { echo "pg_test_cluster: $*" >&2; exit 1; }
say() { echo "pg_test_cluster: $*" >&2; }

# The server binaries: the highest /usr/lib/postgresql/*/bin, else whatever initdb is on PATH.
bindir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$found" ] && [ -x "$found/initdb" ] && [ -x "$found/pg_ctl" ]; then
    echo "$found"; return
  fi
  if command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"; return
  fi
  die "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's 'postgresql' package (make system-deps, as root)"
}

# Runs a command as the cluster's owner, from the cluster directory (postgres may not be
# allowed into the caller's working directory).
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    (cd "$DIR" && runuser -u postgres -- "$@")
  else
    (cd "$DIR" && "$@")
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
  local port
  for ((port = FIRST_PORT; port < FIRST_PORT + 100; port++)); do
    port_in_use "$port" || { echo "$port"; return; }
  done
  die "no free port in $FIRST_PORT-$((FIRST_PORT + 99))"
}

start() {
  local bin port
  bin=$(bindir)
  stop 2>/dev/null || true # a cluster left over by an interrupted run
  mkdir -p "$DIR"
  chmod 700 "$DIR"
  if [ "$(id -u)" = 0 ]; then
    id -u postgres >/dev/null 2>&1 ||
      die "running as root but there is no 'postgres' system user to own the cluster (install Debian's 'postgresql' package)"
    chown postgres: "$DIR"
  fi

  say "initdb in $DIR/data ($bin)"
  if ! as_owner "$bin/initdb" -D "$DIR/data" --auth=trust -U postgres --encoding=UTF8 \
    --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1; then
    say "initdb with locale C.UTF-8 failed; trying locale C"
    cat "$DIR/initdb.log" >&2
    rm -rf "$DIR/data"
    as_owner "$bin/initdb" -D "$DIR/data" --auth=trust -U postgres --encoding=UTF8 \
      --locale=C >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
  fi

  # Retried on the next free port when another server takes this one between look and start.
  local tries started=""
  for ((tries = 0; tries < 5; tries++)); do
    port=$(free_port)
    echo "$port" >"$DIR/port"
    say "starting on 127.0.0.1:$port"
    if as_owner "$bin/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
      -o "-p $port -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c log_lock_waits=on -c log_min_duration_statement=30s" \
      start >&2; then
      started=1
      break
    fi
    grep -q -i 'address already in use' "$DIR/server.log" 2>/dev/null || break
    FIRST_PORT=$((port + 1))
  done
  if [ -z "$started" ]; then
    cat "$DIR/server.log" >&2 2>/dev/null || true
    die "PostgreSQL did not start (log above)"
  fi

  local i
  for ((i = 0; i < 60; i++)); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.5
  done
  "$bin/pg_isready" -h 127.0.0.1 -p "$port" >&2 || {
    cat "$DIR/server.log" >&2 2>/dev/null || true
    die "PostgreSQL started but does not accept connections on 127.0.0.1:$port"
  }
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres shouwang >&2 ||
    die "could not create database 'shouwang'"
  echo "postgres://postgres@127.0.0.1:$port/shouwang"
}

stop() {
  [ -d "$DIR" ] || return 0
  if [ -f "$DIR/data/postmaster.pid" ]; then
    local bin
    bin=$(bindir)
    as_owner "$bin/pg_ctl" -D "$DIR/data" -m immediate -w -t 30 stop >&2 ||
      say "pg_ctl stop failed; removing the directory anyway"
  fi
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 start|stop" ;;
esac
