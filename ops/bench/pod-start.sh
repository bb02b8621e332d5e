#!/usr/bin/env bash
# Benchmark: `jetpack run -f pod.json --rm` of a busybox pod running /bin/true, beside the floor (the same
# host steps by hand: zfs clone of the image's seal, unshare+chroot /bin/true, zfs destroy) and beside
# `runc run` of the same root filesystem, interleaved in one run on one pool. Prints median / p90 / min
# wall-clock ms of each, the ratios (target: jetpack within 1.5x of the floor), and where Jetpack's time
# goes (pod create / start / wait / destroy as separate CLI calls, and the CLI's own cost).
# Sets up its own file-backed pool, daemon root, pod network and bridge, and removes them all at the end,
# even on failure or Ctrl-C. Installs Debian's runc if it is missing (skips runc if it cannot run here).
# Usage: bash ops/bench/pod-start.sh [RUNS] [PHASE_RUNS]   (as root; RUNS default 20, PHASE_RUNS default 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "bench: run as root (ZFS and namespaces need it)" >&2; exit 1; }
runs=${1:-20}
phase_runs=${2:-5}
warmup=2
pod_net=${JETPACK_BENCH_NET:-10.254.77.0/24}
bridge=${JETPACK_BENCH_BRIDGE:-jpbench$(($$ % 10000))}

# Setup only when something is missing: setup.sh recompiles the tree, which others may be editing.
if [ ! -x dist/api/cli/main.js ] || [ ! -x dist/stage2/jetpack-stage2 ] || ! zpool list >/dev/null 2>&1; then
  bash ops/setup.sh
fi
if ip link show "$bridge" >/dev/null 2>&1; then
  echo "bench: the bridge $bridge exists already (another run?); set JETPACK_BENCH_BRIDGE to another name" >&2
  exit 1
fi
if ip route | grep -q "^${pod_net%.*}\."; then
  echo "bench: the host already routes ${pod_net}; set JETPACK_BENCH_NET to a free /24" >&2
  exit 1
fi

work=$(mktemp -d /var/tmp/jetpack-bench-pod.XXXXXX)
root=$work/root
pool="jpbpod$$"
pool_made=0
daemon_pid=""
runc_state=$work/runc-state
zfsl() { flock /run/lock/jetpack-zfs-fuse.lock zfs "$@"; }
jetpack() { node dist/api/cli/main.js --root "$root" "$@"; }

cleanup() {
  set +e
  trap - INT TERM
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    # Pods a failed or interrupted run left behind go through Jetpack (it stops their supervisors).
    for uuid in $(jetpack pod list --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{for(const p of JSON.parse(s))console.log(p.uuid)}catch{}})'); do
      jetpack pod destroy "$uuid" >/dev/null 2>&1
    done
    kill "$daemon_pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$daemon_pid" 2>/dev/null && kill -9 "$daemon_pid"
    wait "$daemon_pid" 2>/dev/null
  fi
  if [ -d "$runc_state" ] && command -v runc >/dev/null; then
    for id in $(runc --root "$runc_state" list -q 2>/dev/null); do runc --root "$runc_state" delete -f "$id" >/dev/null 2>&1; done
  fi
  ip link show "$bridge" >/dev/null 2>&1 && ip link del "$bridge"
  if [ "$pool_made" = 1 ]; then
    for _ in $(seq 1 20); do flock /run/lock/jetpack-zfs-fuse.lock zpool destroy -f "$pool" 2>/dev/null && break; sleep 0.3; done
    zpool list "$pool" >/dev/null 2>&1 && echo "bench: could not destroy pool $pool (zpool destroy -f $pool)" >&2
  fi
  # Mount points may outlive a pool for a moment on zfs-fuse; never follow into a mount that is still there.
  grep -q " $work/" /proc/mounts && echo "bench: something is still mounted under $work; left it in place" >&2 || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s%N; }
ms_since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.1f\n", (a - b) / 1e6 }'; }
# Median, p90 (nearest rank) and min of numbers on stdin, as "median p90 min".
stats() { sort -n | awk '{a[NR]=$1} END { if (NR == 0) { print "- - -"; exit } m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; r = int(0.9 * NR + 0.999999); printf "%.1f %.1f %.1f\n", m, a[r], a[1] }'; }

# --- pool, daemon, image -------------------------------------------------------------------------------
truncate -s 2G "$work/pool.img"
flock /run/lock/jetpack-zfs-fuse.lock zpool create -m none -o cachefile=none "$pool" "$work/pool.img"
pool_made=1
node dist/api/cli/main.js daemon --root "$root" --zfs "$pool/jetpack" --pod-network "$pod_net" --bridge "$bridge" 2>"$work/daemon.log" &
daemon_pid=$!
for _ in $(seq 1 150); do
  jetpack image list >/dev/null 2>&1 && break
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon.log" >&2; exit 1; }
  sleep 0.2
done
bash ops/images/busybox.sh "$work/busybox.aci" jetpack.example/busybox 1.0.0 >/dev/null
image_id=$(jetpack image import "$work/busybox.aci" --insecure-options=image)
seal="$pool/jetpack/images/$image_id@seal"
zfs list -H -o name "$seal" >/dev/null || { echo "bench: no snapshot $seal after the import" >&2; exit 1; }
echo "bench: pool $pool, daemon pid $daemon_pid (root $root, pod network $pod_net, bridge $bridge), image $image_id"

cat >"$work/pod.json" <<'JSON'
{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"main",
 "image":{"name":"jetpack.example/busybox","labels":[{"name":"version","value":"1.0.0"}]},
 "app":{"exec":["/bin/true"],"user":"0","group":"0"}}]}
JSON

# --- the three ways ------------------------------------------------------------------------------------
ours() {
  local t0; t0=$(now)
  jetpack run -f "$work/pod.json" --rm >/dev/null 2>"$work/run.err" || { echo "bench: jetpack run failed:" >&2; cat "$work/run.err" >&2; return 1; }
  ms_since "$t0"
}

# The floor's zfs calls take the lock Jetpack takes on zfs-fuse, and retry a destroy that zfs-fuse calls
# busy for a moment after an unmount.
zfsl create -o mountpoint=none "$pool/floor"
destroy() { for _ in $(seq 1 20); do zfsl destroy -r "$1" 2>/dev/null && return 0; sleep 0.05; done; zfsl destroy -r "$1"; }
floor_n=0
floor() {
  floor_n=$((floor_n + 1))
  local ds="$pool/floor/f$floor_n" mnt="$work/floor/f$floor_n" t0
  t0=$(now)
  zfsl clone -o mountpoint="$mnt" "$seal" "$ds"
  unshare --pid --fork --mount --uts --ipc --net chroot "$mnt" /bin/true
  destroy "$ds"
  ms_since "$t0"
  rmdir "$mnt" 2>/dev/null || true
}

runc_ok=0
runc_why=""
runc_setup() {
  if ! command -v runc >/dev/null; then
    echo "bench: installing Debian's runc"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends runc >/dev/null; } 2>"$work/apt.err" \
      || { runc_why="apt-get could not install runc: $(tail -n 3 "$work/apt.err" | tr '\n' ' ')"; return 0; }
  fi
  local bundle=$work/runc-bundle
  mkdir -p "$bundle" "$runc_state"
  cp -a "$root/images/$image_id/rootfs" "$bundle/rootfs"
  (cd "$bundle" && runc spec)
  node -e '
    const fs = require("fs"); const f = process.argv[1]; const c = JSON.parse(fs.readFileSync(f, "utf8"));
    c.process.args = ["/bin/true"]; c.process.terminal = false; c.root.readonly = true;
    fs.writeFileSync(f, JSON.stringify(c, null, 2));' "$bundle/config.json"
  if runc --root "$runc_state" run --bundle "$bundle" "jpbench-$$-probe" </dev/null >"$work/runc.out" 2>&1; then
    runc_ok=1
  else
    runc_why="runc run failed on this host: $(tail -n 3 "$work/runc.out" | tr '\n' ' ')"
  fi
}
runc_n=0
runc_one() {
  runc_n=$((runc_n + 1))
  local t0; t0=$(now)
  runc --root "$runc_state" run --bundle "$work/runc-bundle" "jpbench-$$-$runc_n" </dev/null >/dev/null 2>"$work/runc.err" \
    || { echo "bench: runc run failed:" >&2; cat "$work/runc.err" >&2; return 1; }
  ms_since "$t0"
}

runc_setup
[ "$runc_ok" = 1 ] || echo "bench: skipping runc: $runc_why"

# --- measure, interleaved so that drift on the host hits all three alike --------------------------------
echo "bench: $warmup warm-up runs each, then $runs measured runs each (interleaved)"
for _ in $(seq 1 "$warmup"); do
  ours >/dev/null
  floor >/dev/null
  if [ "$runc_ok" = 1 ]; then runc_one >/dev/null; fi
done
j=(); f=(); r=()
for _ in $(seq 1 "$runs"); do
  x=$(floor); f+=("$x")
  x=$(ours); j+=("$x")
  if [ "$runc_ok" = 1 ]; then x=$(runc_one); r+=("$x"); fi
done
read -r jm jp jmin < <(printf '%s\n' "${j[@]}" | stats)
read -r fm fp fmin < <(printf '%s\n' "${f[@]}" | stats)
if [ "$runc_ok" = 1 ]; then read -r rm_ rp rmin < <(printf '%s\n' "${r[@]}" | stats); else rm_=- rp=- rmin=-; fi
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "-" || b == 0) print "-"; else printf "%.2f\n", a / b }'; }

# --- where Jetpack's time goes --------------------------------------------------------------------------
# A few more `jetpack run --rm`, each with its start and end (ms) noted here; the pods' events in the log
# carry the daemon's times of each step in between (same host clock).
phase_since=$(date +%Y-%m-%dT%H:%M:%S)
sleep 1
: >"$work/phases.txt"
cli=()
for _ in $(seq 1 "$phase_runs"); do
  t0=$(now); jetpack pod list >/dev/null; x=$(ms_since "$t0"); cli+=("$x")
  t0=$(date +%s%3N)
  jetpack run -f "$work/pod.json" --rm >/dev/null
  echo "$t0 $(date +%s%3N)" >>"$work/phases.txt"
done
jetpack history --type 'pod.*' --since "$phase_since" --limit 100000 --json >"$work/phases.ndjson"
med() { printf '%s\n' "$@" | stats | cut -d' ' -f1; }

# --- report ---------------------------------------------------------------------------------------------
printf '\n%-26s %10s %10s %10s\n' "pod running /bin/true" "median ms" "p90 ms" "min ms"
printf '%-26s %10s %10s %10s\n' "jetpack run --rm" "$jm" "$jp" "$jmin"
printf '%-26s %10s %10s %10s\n' "floor (clone+unshare+rm)" "$fm" "$fp" "$fmin"
printf '%-26s %10s %10s %10s\n' "runc run" "$rm_" "$rp" "$rmin"
[ "$runc_ok" = 1 ] || echo "(runc: $runc_why)"
jf=$(ratio "$jm" "$fm")
printf '\njetpack / floor: %sx (median)   target: within 1.5x of the floor -> %s\n' "$jf" \
  "$(awk -v x="$jf" 'BEGIN { print (x <= 1.5 ? "met" : "NOT met") }')"
printf 'jetpack / runc:  %sx (median)\n' "$(ratio "$jm" "$rm_")"
printf '(%d runs each after %d warm-up runs, interleaved; wall clock per run, from the command to its exit)\n' "$runs" "$warmup"

printf '\nWhere one jetpack run --rm spends its time (median of %d runs, ms; times from the pods'"'"' events):\n' "$phase_runs"
printf '  %-58s %8s\n' "CLI alone, for scale (node start + one request: pod list)" "$(med "${cli[@]}")"
node - "$work/phases.txt" "$work/phases.ndjson" <<'NODE'
const fs = require("fs");
const [runsFile, eventsFile] = process.argv.slice(2);
const runs = fs.readFileSync(runsFile, "utf8").trim().split("\n").map((l) => l.split(" ").map(Number));
const byPod = new Map();
for (const line of fs.readFileSync(eventsFile, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const rec = JSON.parse(line);
  if (!rec.stream.startsWith("pod/")) continue;
  if (!byPod.has(rec.stream)) byPod.set(rec.stream, {});
  byPod.get(rec.stream)[rec.type] ??= Date.parse(rec.time);
}
const pods = [...byPod.values()].filter((e) => e["pod.create.requested"] && e["pod.destroyed"]).sort((a, b) => a["pod.create.requested"] - b["pod.create.requested"]);
if (pods.length !== runs.length) { console.log(`  (the log holds ${pods.length} whole pods for ${runs.length} runs; no breakdown)`); process.exit(0); }
const steps = [
  ["CLI start until the create request is logged", (p, r) => p["pod.create.requested"] - r[0]],
  ["create: queued until the job starts", (p) => p["pod.prepare.started"] - p["pod.create.requested"]],
  ["create: prepare (clone the rootfs)", (p) => p["pod.prepared"] - p["pod.prepare.started"]],
  ["CLI sees it prepared, asks to start", (p) => p["pod.start.requested"] - p["pod.prepared"]],
  ["start: queued until the job starts", (p) => p["pod.start.started"] - p["pod.start.requested"]],
  ["start: network, cgroups, supervisor, stage2", (p) => p["pod.started"] - p["pod.start.started"]],
  ["app runs /bin/true until the pod is exited", (p) => p["pod.exited"] - p["pod.started"]],
  ["CLI sees it exited, asks to destroy", (p) => p["pod.destroy.requested"] - p["pod.exited"]],
  ["destroy: queued until the job starts", (p) => p["pod.destroy.started"] - p["pod.destroy.requested"]],
  ["destroy: datasets, directories", (p) => p["pod.destroyed"] - p["pod.destroy.started"]],
  ["CLI sees it destroyed, exits", (p, r) => r[1] - p["pod.destroyed"]],
  ["total (wall clock)", (p, r) => r[1] - r[0]],
];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
for (const [label, f] of steps) {
  const xs = pods.map((p, i) => f(p, runs[i])).filter((x) => Number.isFinite(x));
  console.log(`  ${label.padEnd(58)} ${xs.length ? median(xs).toFixed(0).padStart(8) : "       -"}`);
}
NODE
