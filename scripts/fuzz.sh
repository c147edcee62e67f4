#!/usr/bin/env bash
# Runs every Go fuzz target for a short time each (default 10s).
# Usage: scripts/fuzz.sh [duration]
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-10s}
log=$(mktemp); trap 'rm -f "$log"' EXIT
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/func //'); do
    echo "fuzz: $pkg $f ($t)"
    if ! go test -run '^$' -fuzz "^${f}\$" -fuzztime "$t" "$pkg" >"$log" 2>&1; then
      cat "$log"; echo "fuzz: $pkg $f FAILED (the failing input is under $dir/testdata/fuzz/$f)"; exit 1
    fi
  done
done
