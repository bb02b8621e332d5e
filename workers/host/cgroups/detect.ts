// Which cgroup hierarchy the host has and where the memory and cpu controllers live. Effects
// (detectCgroups), with the reading of /proc/self/mounts kept pure.
//
// v2 ("unified") is recognised only when it is mounted at /sys/fs/cgroup itself: a hybrid host (systemd's
// /sys/fs/cgroup/unified beside v1 controllers) keeps its controllers in v1, and that is where limits work.
import { readFile } from "node:fs/promises";

export const CGROUP_ROOT = "/sys/fs/cgroup";

export type CgroupVersion = 1 | 2;

export interface CgroupHost {
  version: CgroupVersion | null;
  controllers: { memory: boolean; cpu: boolean };
  /** Where each controller's hierarchy is mounted: one directory per controller on v1, the unified root on v2. */
  paths: { memory: string | null; cpu: string | null };
}

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  options: string[];
}

/** Pure. Undoes the octal escapes the kernel writes in /proc/mounts (`\040` for a space). */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Pure. The cgroup and cgroup2 mounts listed in /proc/self/mounts. */
export function parseCgroupMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const [, mountPoint, fsType, options] = line.split(" ");
    if (mountPoint === undefined || (fsType !== "cgroup" && fsType !== "cgroup2")) continue;
    out.push({ mountPoint: unescapeMountField(mountPoint), fsType, options: (options ?? "").split(",") });
  }
  return out;
}

/**
 * Pure. Decides the host's cgroup setup from its cgroup mounts and, for v2, the text of the root's
 * cgroup.controllers (null when that file is absent).
 */
export function cgroupHostFrom(mounts: readonly MountEntry[], unifiedControllers: string | null, root: string = CGROUP_ROOT): CgroupHost {
  const unified = mounts.find((m) => m.fsType === "cgroup2" && m.mountPoint === root);
  if (unified !== undefined && unifiedControllers !== null) {
    const available = new Set(unifiedControllers.trim().split(/\s+/));
    const memory = available.has("memory");
    const cpu = available.has("cpu");
    return { version: 2, controllers: { memory, cpu }, paths: { memory: memory ? root : null, cpu: cpu ? root : null } };
  }
  const v1 = (controller: string) => mounts.find((m) => m.fsType === "cgroup" && m.options.includes(controller))?.mountPoint ?? null;
  const memory = v1("memory");
  const cpu = v1("cpu");
  if (memory === null && cpu === null) return { version: null, controllers: { memory: false, cpu: false }, paths: { memory: null, cpu: null } };
  return { version: 1, controllers: { memory: memory !== null, cpu: cpu !== null }, paths: { memory, cpu } };
}

let detected: Promise<CgroupHost> | undefined;

/** Effects. Detects the host's cgroups once per process (the layout does not change while we run). */
export function detectCgroups(): Promise<CgroupHost> {
  detected ??= (async () => {
    const mounts = parseCgroupMounts(await readFile("/proc/self/mounts", "utf8").catch(() => ""));
    const controllers = await readFile(`${CGROUP_ROOT}/cgroup.controllers`, "utf8").catch(() => null);
    return cgroupHostFrom(mounts, controllers);
  })();
  return detected;
}
