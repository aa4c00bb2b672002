#!/usr/bin/env bash
# Runs each part of `make test` even when an earlier one failed, then prints one line per part
# and fails if any part failed. A part that runs no test (pytest's exit 5) has failed too.
set -uo pipefail

results=()
failed=0
for part in "$@"; do
  echo "==> $part"
  start=$SECONDS
  make --no-print-directory "$part"
  status=$?
  took=$((SECONDS - start))
  if [ $status -eq 0 ]; then
    results+=("$(printf '  %-18s ok      (%ss)' "$part" "$took")")
  else
    failed=1
    results+=("$(printf '  %-18s FAILED  (%ss, exit %s)' "$part" "$took" "$status")")
  fi
done

echo
echo "make test summary:"
printf '%s\n' "${results[@]}"
exit $failed
