#!/usr/bin/env bash
# Starts zfs-fuse when the host has no ZFS running (native OpenZFS needs nothing). Leaves a running one alone.
set -euo pipefail
if zpool list >/dev/null 2>&1; then exit 0; fi
if [ -e /sys/module/zfs ]; then
  echo "zfs-daemon: native ZFS module loaded but zpool does not answer" >&2
  exit 1
fi
command -v zfs-fuse >/dev/null || { echo "zfs-daemon: zfs-fuse is not installed (run ops/setup.sh)" >&2; exit 1; }
[ -e /dev/fuse ] || modprobe fuse 2>/dev/null || true
echo "zfs-daemon: starting zfs-fuse"
zfs-fuse --pidfile /run/zfs-fuse.pid
for _ in $(seq 1 100); do
  zpool list >/dev/null 2>&1 && exit 0
  sleep 0.1
done
echo "zfs-daemon: zfs-fuse did not answer" >&2
exit 1
