// Which ZFS is this, and is it answering? Native OpenZFS (kernel module) or zfs-fuse (a userspace daemon,
// /usr/sbin/zfs-fuse, that zfs and zpool reach through /var/run/zfs/zfs_socket).
//
// Detected once per backend by asking for what differs: `zfs list -p` works on OpenZFS and is refused by
// zfs-fuse ("invalid option 'p'"). zfs-fuse also lacks `zfs version`, but so does FreeBSD's pre-OpenZFS
// zfs, which does take `-p`; probing the feature we use is the honest test.
import { runUnchecked, type ExecResult } from "../exec.js";
import type { ZfsFlavor } from "./args.js";
import { flavorProbeArgs } from "./args.js";
import { classifyZfsFailure, zfsError, ZFS_CODES } from "./classify.js";

/** Pure. The flavor the probe's result shows, or undefined when zfs failed for another reason. */
export function flavorFromProbe(r: ExecResult): ZfsFlavor | undefined {
  if (r.code === 0) return "openzfs";
  if (/invalid option '?p'?/i.test(r.stderr)) return "zfs-fuse";
  return undefined;
}

/** Pure. Whether zfs/zpool failed because the zfs-fuse daemon (or the kernel module) is not there. */
export function isDaemonDown(stderr: string): boolean {
  return classifyZfsFailure(stderr).code === ZFS_CODES.daemonDown;
}

/** Effects. Runs the probe once; throws the classified error (e.g. daemon down) when zfs cannot answer. */
export async function detectZfsFlavor(zfsCommand = "zfs"): Promise<ZfsFlavor> {
  const args = flavorProbeArgs();
  const r = await runUnchecked(zfsCommand, args);
  const flavor = flavorFromProbe(r);
  if (flavor) return flavor;
  throw zfsError([zfsCommand, ...args], r);
}

/** Effects. `up` when `zpool list` answers, `down` when it cannot reach the daemon; throws on other failures. */
export async function probeZfsDaemon(zpoolCommand = "zpool"): Promise<"up" | "down"> {
  const args = ["list", "-H", "-o", "name"];
  const r = await runUnchecked(zpoolCommand, args);
  if (r.code === 0) return "up";
  if (isDaemonDown(r.stderr)) return "down";
  throw zfsError([zpoolCommand, ...args], r);
}
