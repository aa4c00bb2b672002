#!/usr/bin/env bash
# Runs each part of `make test` (each a make target) even when an earlier one failed, then prints
# one line per part and exits 1 if any part failed. Any non-zero exit is a failure, including
# pytest's 5 (no tests collected): a part that tests nothing has not passed.
#   scripts/test.sh lint typecheck migrations-check test-sqlite test-postgres test-browser
set -uo pipefail
cd "$(dirname "$0")/.."

[ $# -gt 0 ] || { echo "usage: $0 PART..." >&2; exit 2; }

log=$(mktemp "${TMPDIR:-/tmp}/shouwang-test.XXXXXX")
trap 'rm -f "$log"' EXIT

results=()
failed=0
for part in "$@"; do
  echo
  echo "==> make $part ($(date -u +%H:%M:%S) UTC)"
  start=$SECONDS
  make --no-print-directory "$part" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  took=$((SECONDS - start))
  width=$((22 - ${#part}))
  [ "$width" -ge 3 ] || width=3
  dots=$(printf '%*s' "$width" '' | tr ' ' '.')
  if [ "$status" -eq 0 ]; then
    results+=("  $part $dots ok (${took}s)")
  else
    failed=1
    # make reports the failing recipe's own exit code as "Error N".
    code=$(grep -o -E '\] Error [0-9]+' "$log" | tail -n 1 | grep -o -E '[0-9]+$' || true)
    case "$code" in
      5) why="exit 5: no tests collected" ;;
      "") why="exit $status" ;;
      *) why="exit $code" ;;
    esac
    results+=("  $part $dots FAILED (${took}s, $why)")
  fi
done

echo
echo "make test summary:"
printf '%s\n' "${results[@]}"
if [ "$failed" -ne 0 ]; then
  echo "make test: FAILED" >&2
  exit 1
fi
echo "make test: all parts passed"
