#!/usr/bin/env bash
# Benchmark of the appc metadata service beside bare fastify (see ops/bench/mds.ts for what it measures).
# Builds dist/ when the sources it runs have changed since this script last built them, then runs it.
# Needs no root, no pool and no daemon: everything listens on 127.0.0.1 and stops at the end.
# Usage: bash ops/bench/mds.sh [RATE] [SECONDS] [MAX_SECONDS] [CONNECTIONS]   (defaults 1000 10 5 32)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=dist/ops/bench/mds.js
stamp=dist/ops/bench/.mds.sources.sha256
# A digest of the sources rather than file times: others build the same tree at the same time, and a
# build that read the old source can write its output after the source changed.
digest=$(cat ops/bench/mds.ts api/mds/*.ts machines/projections/*.ts machines/errors.ts | sha256sum | cut -d' ' -f1)
if [ ! -f "$out" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  echo "bench: building (npx tsc -p tsconfig.json)" >&2
  # tsc still writes its output when other files have type errors (others' work in progress); only a
  # missing script stops the run.
  npx tsc -p tsconfig.json >&2 || echo "bench: tsc reported errors; running what it built" >&2
  [ -f "$out" ] && echo "$digest" >"$stamp"
fi
[ -f "$out" ] || { echo "bench: $out was not built" >&2; exit 1; }
exec node "$out" "$@"
