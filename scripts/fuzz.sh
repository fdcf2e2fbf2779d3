#!/usr/bin/env bash
# Runs every native Go fuzz target in the module for the given time each (default 15s).
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-15s}"
grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do
  dir=$(dirname "$f")
  for fn in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    echo "== $dir $fn ($t)"
    go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$t" "./$dir"
  done
done
