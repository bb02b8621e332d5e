#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root): setup, typecheck, then every unit,
# conformance and integration test against real Redis, real ZFS (zfs-fuse) and real namespaces.
# Usage: bash ops/test.sh [test-file-or-dir...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "test: run as root (the tests create ZFS pools, mounts and namespaces)" >&2; exit 1; }

bash ops/setup.sh
echo "test: typecheck"
npx tsc -p tsconfig.json --noEmit

targets=("${@:-test}")
files=()
for t in "${targets[@]}"; do
  t="dist/${t%.ts}"
  if [ -d "$t" ]; then
    while IFS= read -r f; do files+=("$f"); done < <(find "$t" -name '*.test.js' | sort)
  else
    files+=("$t.js")
  fi
done
echo "test: ${#files[@]} test files"
# One file at a time: integration tests share zfs-fuse, and the 2 cores are better spent inside a test.
exec node --enable-source-maps --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
