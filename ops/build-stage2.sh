#!/usr/bin/env bash
# Builds the Linux pod helper (workers/host/linux/stage2.c) into dist/stage2/jetpack-stage2: static, so
# that it runs inside any app rootfs and in a pod root that holds nothing else. Rebuilds only when the
# source is newer than the binary. Usage: bash ops/build-stage2.sh
set -euo pipefail
cd "$(dirname "$0")/.."
src=workers/host/linux/stage2.c
out=dist/stage2/jetpack-stage2
if [ -x "$out" ] && [ "$out" -nt "$src" ]; then
  exit 0
fi
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
cc -static -O2 -Wall -Werror -o "$tmp" "$src"
chmod 0755 "$tmp"
mv -f "$tmp" "$out"
echo "build-stage2: built $out"
