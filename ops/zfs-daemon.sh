#!/usr/bin/env bash
# Starts zfs-fuse when the host has no ZFS running (native OpenZFS needs nothing). Leaves a running one alone.
#
# Debian's zfs-fuse package starts the daemon from its postinst (when the host lets it), and zfs-fuse writes
# /run/zfs-fuse.pid. A daemon that died, or a machine image that kept /run, leaves that file behind, and
# zfs-fuse then refuses to start, silently (it logs to syslog only). So: wait for a daemon that is coming
# up, remove a pidfile whose process is gone, and on failure print what zfs-fuse and the host said.
set -euo pipefail
pidfile=/run/zfs-fuse.pid
log=/run/jetpack-zfs-fuse.log

answers() { zpool list >/dev/null 2>&1; }
wait_for_answer() { # $1: tenths of a second
  for _ in $(seq 1 "$1"); do
    answers && return 0
    sleep 0.1
  done
  return 1
}
diagnose() {
  echo "zfs-daemon: zfs-fuse did not start. What it and the host said:" >&2
  [ -s "$log" ] && sed 's/^/  zfs-fuse: /' "$log" >&2
  ls -l /dev/fuse >&2 2>&1 || echo "  /dev/fuse is missing: this host gives no FUSE device (load the fuse module, or give the container /dev/fuse)" >&2
  command -v journalctl >/dev/null && journalctl -q -n 20 -t zfs-fuse >&2 2>/dev/null || true
  [ -r /var/log/syslog ] && grep zfs-fuse /var/log/syslog | tail -n 20 >&2 || true
}

if answers; then exit 0; fi
if [ -e /sys/module/zfs ]; then
  echo "zfs-daemon: native ZFS module loaded but zpool does not answer" >&2
  exit 1
fi
command -v zfs-fuse >/dev/null || { echo "zfs-daemon: zfs-fuse is not installed (run ops/setup.sh)" >&2; exit 1; }

if pgrep -x zfs-fuse >/dev/null; then
  echo "zfs-daemon: waiting for the running zfs-fuse to answer"
  wait_for_answer 150 && exit 0
  echo "zfs-daemon: a zfs-fuse process runs (pid $(pgrep -x zfs-fuse | tr '\n' ' ')) but does not answer; stop it and run this again" >&2
  exit 1
fi
if [ -e "$pidfile" ]; then
  echo "zfs-daemon: removing the stale $pidfile (pid $(cat "$pidfile" 2>/dev/null) is not running)"
  rm -f "$pidfile"
fi
if [ ! -e /dev/fuse ]; then
  modprobe fuse 2>/dev/null || mknod -m 0666 /dev/fuse c 10 229 2>/dev/null || true
fi

echo "zfs-daemon: starting zfs-fuse"
if ! zfs-fuse --pidfile "$pidfile" >"$log" 2>&1; then
  diagnose
  exit 1
fi
wait_for_answer 150 && exit 0
diagnose
exit 1
