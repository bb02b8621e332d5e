// One zfs-fuse change at a time, machine-wide. Pure.
//
// Found the hard way (test/conformance, four suites in parallel with other engineers' tests): zfs-fuse
// registers every new mount with its FUSE listener by two separate write()s into one pipe
// (zfs-fuse/fuse_listener.c, zfsfuse_newfs). Two mounts at once from different clients interleave
// those writes; the listener then reads a path as a struct, waits forever for ~1.9 GB that never come,
// while holding the mutex all 40 FUSE threads need. From then on every file access on every zfs-fuse
// mount of the machine hangs (processes in D state), until the daemon is restarted.
//
// Anything that may mount (create, clone, mount, rename, set mountpoint/readonly, receive) therefore
// runs under `flock(1)` on one lock file shared by every Jetpack process and test. Changes that cannot
// mount take it too: simpler, and they are ~20 ms each. Reads (list, get) and send do not. Native
// OpenZFS mounts in the kernel and needs none of this.
import type { ZfsFlavor } from "./args.js";

export const DEFAULT_MOUNT_LOCK_FILE = "/run/lock/jetpack-zfs-fuse.lock";
/** How long a zfs call waits for the lock before failing `unavailable`. */
export const MOUNT_LOCK_WAIT_SECONDS = 120;
/** flock's exit code when the wait runs out (EX_TEMPFAIL), told apart from zfs's own codes. */
export const MOUNT_LOCK_TIMEOUT_EXIT = 75;

const CHANGES: ReadonlySet<string> = new Set([
  "create",
  "clone",
  "snapshot",
  "destroy",
  "rename",
  "set",
  "inherit",
  "mount",
  "unmount",
  "umount",
  "receive",
  "recv",
  "promote",
  "rollback",
]);

/** Pure. Whether a zfs call must hold the mount lock on this flavor. */
export function needsMountLock(flavor: ZfsFlavor, args: readonly string[]): boolean {
  return flavor === "zfs-fuse" && CHANGES.has(args[0] ?? "");
}

/** Pure. The command line to run: `zfs args...` itself, or wrapped in `flock -w N -E 75 <file>`. */
export function lockedCommand(
  flavor: ZfsFlavor,
  lockFile: string,
  command: string,
  args: readonly string[],
): { cmd: string; args: string[] } {
  if (!needsMountLock(flavor, args)) return { cmd: command, args: [...args] };
  return {
    cmd: "flock",
    args: ["-w", String(MOUNT_LOCK_WAIT_SECONDS), "-E", String(MOUNT_LOCK_TIMEOUT_EXIT), lockFile, command, ...args],
  };
}
