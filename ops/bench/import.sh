#!/usr/bin/env bash
# Benchmark: `jetpack image import` of a generated image of about 220 MB, gzip and plain, beside the
# floor: the same bytes through `gzip -dc | sha512sum | tar -x` into a fresh dataset, by hand, in the
# same run on the same pool. Prints both times and the ratio (target: within 1.2x of the floor).
# Usage: bash ops/bench/import.sh [SIZE_MB] [RUNS]   (as root; run ops/setup.sh first)
set -euo pipefail
cd "$(dirname "$0")/../.."
size=${1:-220}
runs=${2:-3}
work=$(mktemp -d /var/tmp/jetpack-bench.XXXXXX)
pool="jpbench$$"
daemon_pid=""
cleanup() {
  set +e
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  zpool destroy -f "$pool" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
jetpack() { node dist/api/cli/main.js --root "$work/root" "$@"; }

echo "bench: generating a ${size} MB image"
mkdir -p "$work/img/rootfs"
node ops/bench/gen-tree.mjs "$work/img/rootfs" "$size"
printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"bench.example/big","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}' >"$work/img/manifest"
tar --numeric-owner -C "$work/img" -cf "$work/plain.aci" manifest rootfs
gzip -c "$work/plain.aci" >"$work/gzip.aci"
rm -rf "$work/img"
ls -l "$work"/*.aci | awk '{printf "bench: %s %.1f MB\n", $9, $5/1048576}'

truncate -s 8G "$work/pool.img"
zpool create -m none -o cachefile=none "$pool" "$work/pool.img"
node dist/api/cli/main.js daemon --root "$work/root" --zfs "$pool/jetpack" 2>"$work/daemon.log" &
daemon_pid=$!
for _ in $(seq 1 150); do jetpack image list >/dev/null 2>&1 && break; sleep 0.2; done

# The floor's own zfs calls take the lock Jetpack takes on zfs-fuse (concurrent mounts wedge it) and
# retry a destroy that zfs-fuse calls busy for a moment after an unmount.
zfsl() { flock /run/lock/jetpack-zfs-fuse.lock zfs "$@"; }
destroy() { for _ in $(seq 1 20); do zfsl destroy -r "$1" 2>/dev/null && return 0; sleep 0.2; done; zfsl destroy -r "$1"; }
floor() { # $1 = decompressor command ("cat" or "gzip -dc"), $2 = file, $3 = run number
  local ds="$pool/floor/$3-$RANDOM" mnt="$work/floor-$3-$RANDOM"
  local t0; t0=$(now)
  zfsl create -p -o mountpoint="$mnt" "$ds"
  $1 "$2" | tee >(sha512sum >/dev/null) | tar -x -C "$mnt"
  zfsl snapshot "$ds@seal"
  awk -v a="$(now)" -v b="$t0" 'BEGIN { print a - b }'
  destroy "$ds"
}
ours() { # $1 = file
  local t0 id; t0=$(now)
  id=$(jetpack image import "$1" --insecure-options=image)
  awk -v a="$(now)" -v b="$t0" 'BEGIN { print a - b }'
  jetpack image destroy "$id" >/dev/null
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '\n%-8s %12s %12s %8s\n' kind "jetpack (s)" "floor (s)" ratio
for kind in gzip plain; do
  file="$work/$kind.aci"
  dec=$([ "$kind" = gzip ] && echo "gzip -dc" || echo "cat")
  j=(); f=()
  for r in $(seq 1 "$runs"); do
    sync; f+=("$(floor "$dec" "$file" "$r")")
    sync; j+=("$(ours "$file")")
  done
  jm=$(printf '%s\n' "${j[@]}" | median)
  fm=$(printf '%s\n' "${f[@]}" | median)
  printf '%-8s %12.2f %12.2f %8.2f\n' "$kind" "$jm" "$fm" "$(awk -v a="$jm" -v b="$fm" 'BEGIN { print a / b }')"
done
echo "(median of $runs runs each; jetpack = CLI import until the ID is printed, including the copy of the original ACI kept for export)"
