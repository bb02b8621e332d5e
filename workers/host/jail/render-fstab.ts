// The fstab that jail(8) mounts for a pod (jail.conf's `mount.fstab`), as Jetpack wrote it
// (reference/jetpack.md §3). Pure.
//
// Order matters: jail(8) mounts the lines top to bottom and unmounts them bottom to top, so the host
// volumes are in place under `<root>/vol/` before any app's mount stacks on them. Empty volumes have no
// line of their own: each is a ZFS dataset that ZFS mounts at its directory.
import { posix } from "node:path";
import { fail } from "../../../machines/errors.js";
import { isACName } from "../../../machines/appc/names.js";
import type { PodRunSpec, RunApp, RunVolume } from "../../../machines/pod/run-spec.js";

export const DEVFS_RULESET_ANNOTATION = "jetpack/devfs-ruleset";
/** `devfsrules_jail` in FreeBSD's /etc/defaults/devfs.rules. */
export const DEFAULT_DEVFS_RULESET = 4;
// devfs keeps ruleset numbers in 16 bits.
const MAX_DEVFS_RULESET = 65535;

export interface FstabLine {
  source: string;
  target: string;
  type: "nullfs" | "devfs" | "linprocfs" | "linsysfs";
  options: string;
}

function badPath(message: string): never {
  throw fail("invalid", "JP_ERR_JAIL_FSTAB_PATH", message);
}

/**
 * Pure. One fstab field: octal escapes (`\040` for a space) for every byte that would split the line or
 * start a comment (jail(8) cuts lines at `#` before anything else), for the backslash itself and for
 * control characters; jail(8) and getfsent(3) undo them with strunvis(3). A NUL cannot be written.
 */
export function escapeFstabField(field: string, what: string): string {
  if (field.includes("\0")) badPath(`${what} ${JSON.stringify(field)} holds a NUL byte, which no path can carry`);
  return field.replace(/[\x00-\x20\x7f#\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

/** Pure. Where the pod's fstab lives: beside its jail.conf, in the pod directory. */
export function fstabPath(spec: PodRunSpec): string {
  return posix.join(spec.paths.dir, "fstab");
}

/** Pure. The devfs ruleset of every app's /dev: the `jetpack/devfs-ruleset` pod annotation, else 4. */
export function devfsRuleset(annotations: PodRunSpec["annotations"]): number {
  let ruleset = DEFAULT_DEVFS_RULESET;
  for (const { name, value } of annotations) {
    if (name !== DEVFS_RULESET_ANNOTATION) continue;
    if (!/^[0-9]{1,5}$/.test(value) || Number(value) > MAX_DEVFS_RULESET) {
      throw fail("invalid", "JP_ERR_JAIL_DEVFS_RULESET", `pod annotation ${DEVFS_RULESET_ANNOTATION}=${JSON.stringify(value)} is not a devfs ruleset number (0 to ${MAX_DEVFS_RULESET})`, {
        hint: "Give the number of a ruleset from /etc/devfs.rules, such as 4 (devfsrules_jail).",
      });
    }
    ruleset = Number(value);
  }
  return ruleset;
}

function checkAbsolute(what: string, path: string): void {
  if (!path.startsWith("/")) badPath(`${what} ${JSON.stringify(path)} is not an absolute path`);
}

function checkVolumeName(name: string): void {
  // The name becomes a path component under `<root>/vol/`.
  if (!isACName(name)) badPath(`volume name ${JSON.stringify(name)} is not an AC Name`);
}

/**
 * Pure. The directory that holds a volume's files on the host: a host volume is nullfs-mounted at
 * `<root>/vol/<name>`; an empty volume is its dataset's mountpoint, which the planner chose.
 */
export function volumeDir(spec: PodRunSpec, volume: RunVolume): string {
  checkVolumeName(volume.name);
  if (volume.kind === "host") return posix.join(spec.paths.root, "vol", volume.name);
  checkAbsolute(`directory of empty volume "${volume.name}"`, volume.source);
  return volume.source;
}

/** Pure. `<app rootfs>/<target>`, refusing a target that would climb out of the rootfs by its name. */
function mountTarget(app: RunApp, target: string, volume: string): string {
  checkAbsolute(`mount target of volume "${volume}" in app "${app.name}"`, target);
  if (target.split("/").includes("..")) badPath(`mount target ${JSON.stringify(target)} of volume "${volume}" in app "${app.name}" contains ".."`);
  return posix.join(app.rootfs, target);
}

/** Pure. The lines of the pod's fstab, in the order jail(8) must mount them. */
export function fstabLines(spec: PodRunSpec): FstabLine[] {
  const lines: FstabLine[] = [];
  const volumes = new Map<string, RunVolume>();
  for (const volume of spec.volumes) {
    volumes.set(volume.name, volume);
    if (volume.kind !== "host") continue;
    checkAbsolute(`source of host volume "${volume.name}"`, volume.source);
    lines.push({ source: volume.source, target: volumeDir(spec, volume), type: "nullfs", options: volume.readOnly ? "ro" : "rw" });
  }
  const ruleset = devfsRuleset(spec.annotations);
  for (const app of spec.apps) {
    checkAbsolute(`rootfs of app "${app.name}"`, app.rootfs);
    // devfs ignores the source field; Jetpack wrote ".".
    lines.push({ source: ".", target: posix.join(app.rootfs, "dev"), type: "devfs", options: `ruleset=${ruleset}` });
    if (app.os === "linux") {
      lines.push({ source: "linproc", target: posix.join(app.rootfs, "proc"), type: "linprocfs", options: "rw" });
      lines.push({ source: "linsys", target: posix.join(app.rootfs, "sys"), type: "linsysfs", options: "rw" });
    }
    for (const mount of app.mounts) {
      const volume = volumes.get(mount.volume);
      if (volume === undefined) {
        throw fail("invalid", "JP_ERR_JAIL_VOLUME_UNKNOWN", `app "${app.name}" mounts volume "${mount.volume}", which the pod does not have`);
      }
      // A read-only volume stays read-only in every app, whatever the mount point asks.
      const readOnly = mount.readOnly || volume.readOnly;
      lines.push({ source: volumeDir(spec, volume), target: mountTarget(app, mount.target, mount.volume), type: "nullfs", options: readOnly ? "ro" : "rw" });
    }
  }
  return lines;
}

/** Pure. The pod's fstab file: `SOURCE TARGET TYPE OPTIONS 0 0` lines, paths escaped. */
export function renderFstab(spec: PodRunSpec): string {
  return fstabLines(spec)
    .map((l) => `${escapeFstabField(l.source, "mount source")} ${escapeFstabField(l.target, "mount target")} ${l.type} ${l.options} 0 0\n`)
    .join("");
}
