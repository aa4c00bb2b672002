#!/usr/bin/env bash
# Runs the given test command (from `make test-postgres`) against PostgreSQL:
#   - DATABASE_URL, when it is a postgres:// or postgresql:// URL of a server that answers;
#   - otherwise a throw-away cluster (scripts/pg_test_cluster.sh) in a directory of this run's
#     own, stopped afterwards even when the tests fail or are interrupted.
#   scripts/test_postgres.sh .venv/bin/pytest -m "not e2e" -q
set -uo pipefail
cd "$(dirname "$0")/.."

[ $# -gt 0 ] || { echo "usage: $0 COMMAND..." >&2; exit 2; }

# Does the server in $1 accept connections? Tries the URL's own database, then `postgres`
# (Django's test runner connects there to create the test database).
reachable() {
  .venv/bin/python - "$1" <<'EOF'
import sys

import psycopg
from psycopg.conninfo import make_conninfo

url = sys.argv[1]
for conninfo in (url, make_conninfo(url, dbname="postgres")):
    try:
        psycopg.connect(conninfo, connect_timeout=5).close()
    except psycopg.Error as exc:
        last = exc
    else:
        sys.exit(0)
print(f"test-postgres: DATABASE_URL does not answer: {str(last).strip()}", file=sys.stderr)
sys.exit(1)
EOF
}

url="${DATABASE_URL:-}"
case "$url" in
  postgres://* | postgresql://*)
    if reachable "$url"; then
      echo "test-postgres: using DATABASE_URL ($(sed -E 's#//[^@/]*@#//***@#' <<<"$url"))" >&2
      DATABASE_URL="$url" "$@"
      exit $?
    fi
    echo "test-postgres: falling back to a throw-away cluster" >&2
    ;;
  "") ;;
  *) echo "test-postgres: DATABASE_URL is not PostgreSQL; using a throw-away cluster" >&2 ;;
esac

# A directory of this run's own, so a concurrent run (or a cluster started by hand) is untouched.
export SHOUWANG_PG_DIR
SHOUWANG_PG_DIR=$(mktemp -u "/tmp/shouwang-pg-$(id -u)-run.XXXXXX")
# On a failure (or when stopped), the server's lock waits and statements over 30 s are printed
# before the cluster goes: a test hanging on a lock another connection holds names both.
finish() {
  local status=$?
  if [ "$status" -ne 0 ] && [ -f "$SHOUWANG_PG_DIR/server.log" ]; then
    local waits
    waits=$(grep -E -A2 'still waiting|deadlock detected|canceling statement|duration: ' \
      "$SHOUWANG_PG_DIR/server.log" | tail -n 60)
    [ -z "$waits" ] || printf 'test-postgres: lock waits and slow statements in the server log:\n%s\n' "$waits" >&2
  fi
  bash scripts/pg_test_cluster.sh stop
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
url=$(bash scripts/pg_test_cluster.sh start) || {
  echo "test-postgres: FAILED: could not start a PostgreSQL cluster (see above)" >&2
  exit 1
}
echo "test-postgres: throw-away cluster at $url" >&2
DATABASE_URL="$url" "$@"
