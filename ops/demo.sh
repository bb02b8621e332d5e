#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian 12 machine as root: set up, start the daemon on a
# file-backed ZFS pool, import a busybox image built here, list and show it, export it and check it with
# actool; run pods from it (one that asks the metadata service who it is, one that keeps running, which
# we exec into and stop); then print the audit trail and its verification. Cleans up after itself.
# Usage: bash ops/demo.sh [--zfs EXISTING/DATASET] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (ZFS and, later, namespaces need it)" >&2; exit 1; }

zfs_root="" keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --zfs) zfs_root=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: demo.sh [--zfs DATASET] [--keep]" >&2; exit 2 ;;
  esac
done

bash ops/setup.sh
work=$(mktemp -d /var/tmp/jetpack-demo.XXXXXX)
root=$work/root
pool=""
daemon_pid=""
cleanup() {
  set +e
  if [ -n "$daemon_pid" ]; then
    # Pods outlive the daemon by design: the demo's go first.
    for uuid in $(node dist/api/cli/main.js --root "$root" pod list --json 2>/dev/null | grep -o '"uuid": *"[^"]*"' | cut -d'"' -f4); do
      node dist/api/cli/main.js --root "$root" pod destroy "$uuid" >/dev/null 2>&1
    done
    kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  fi
  ip link del jpdemo0 2>/dev/null
  if [ "$keep" = 0 ]; then
    [ -n "$pool" ] && zpool destroy -f "$pool"
    rm -rf "$work"
  else
    echo "demo: kept $work (pool ${pool:-none})"
  fi
}
trap cleanup EXIT

if [ -z "$zfs_root" ]; then
  pool="jpdemo$$"
  truncate -s 4G "$work/pool.img"
  zpool create -m none "$pool" "$work/pool.img"
  zfs_root="$pool/jetpack"
  echo "demo: made file-backed pool $pool on $work/pool.img"
fi

jetpack() { node dist/api/cli/main.js --root "$root" "$@"; }
step() { printf '\n\033[1m$ jetpack %s\033[0m\n' "$*"; jetpack "$@"; }

# Its own pod network and bridge, so the demo does not meet a jetpack already running on this host.
node dist/api/cli/main.js daemon --root "$root" --zfs "$zfs_root" --pod-network 172.30.99.0/24 --bridge jpdemo0 2>"$work/daemon.log" &
daemon_pid=$!
for _ in $(seq 1 150); do
  jetpack image list >/dev/null 2>&1 && break
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon.log"; exit 1; }
  sleep 0.2
done
echo "demo: daemon running (pid $daemon_pid, root $root, zfs $zfs_root)"

bash ops/images/busybox.sh "$work/busybox.aci" >/dev/null
step image import "$work/busybox.aci" --insecure-options=image
step image list
step image show jetpack.example/busybox
step image export jetpack.example/busybox "$work/exported.aci"
echo "\$ actool validate exported.aci" && actool validate "$work/exported.aci" && echo "valid"

# A pod whose app asks the metadata service who it is (AC_METADATA_URL carries the pod's own token).
cat > "$work/whoami.json" <<'JSON'
{"acVersion": "0.8.11", "acKind": "PodManifest",
 "apps": [{"name": "whoami", "image": {"name": "jetpack.example/busybox"},
   "app": {"exec": ["/bin/sh", "-c", "echo \"I am $AC_APP_NAME in pod $(wget -q -O - --header 'Metadata-Flavor: AppContainer' $AC_METADATA_URL/acMetadata/v1/pod/uuid)\""],
           "user": "0", "group": "0"}}],
 "annotations": [{"name": "demo", "value": "whoami"}]}
JSON
step run -f "$work/whoami.json" --rm

# A pod that keeps running: list it, run a command in it, stop it, destroy it.
cat > "$work/web.json" <<'JSON'
{"acVersion": "0.8.11", "acKind": "PodManifest",
 "apps": [{"name": "web", "image": {"name": "jetpack.example/busybox"},
   "app": {"exec": ["/bin/sh", "-c", "echo serving; trap 'echo bye; exit 0' TERM; while true; do sleep 1; done"], "user": "0", "group": "0"}}]}
JSON
step pod create -f "$work/web.json" --name web
step pod start web
step pod list
step pod exec web -- /bin/sh -c 'echo "in $(hostname) as $(id -un), pid 1 is $(cat /proc/1/comm)"'
step pod stop web --timeout 5s
step pod logs web
step pod destroy web

step history
step history --verify
