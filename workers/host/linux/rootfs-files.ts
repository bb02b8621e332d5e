// Reading and preparing paths inside an app's rootfs, and checking host volume sources, without ever
// following a symbolic link: an image's symlink could otherwise point the host at its own /etc, and
// a host volume reached through a symlink is an error (appc §5.2). Effects (synchronous file system
// calls, so that the CLI's `execArgv` can use them too).
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, type Stats } from "node:fs";
import { posix } from "node:path";
import { fail } from "../../../machines/errors.js";

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return null;
    throw e;
  }
}

/** The components of an absolute path, `..` and `.` resolved lexically so that nothing climbs out. */
function components(path: string): string[] {
  return posix.normalize(`/${path}`).split("/").filter((c) => c !== "");
}

export class SymlinkInPath extends Error {
  constructor(readonly at: string) {
    super(`${at} is a symbolic link`);
  }
}

/**
 * Effects. The host path and stats of `path` inside `rootfs`, or null when it does not exist; throws
 * SymlinkInPath naming the in-rootfs path of the first component that is a symbolic link.
 */
export function lookupInRootfs(rootfs: string, path: string): { hostPath: string; stats: Stats } | null {
  let host = rootfs;
  let inside = "";
  let stats: Stats | null = lstatOrNull(rootfs);
  for (const part of components(path)) {
    if (stats === null || !stats.isDirectory()) return null;
    host = posix.join(host, part);
    inside = `${inside}/${part}`;
    stats = lstatOrNull(host);
    if (stats?.isSymbolicLink()) throw new SymlinkInPath(inside);
  }
  return stats === null ? null : { hostPath: host, stats };
}

/**
 * Effects. The text of a regular file inside `rootfs`, or null when it is missing. A file reached
 * through a symbolic link is refused with invalid JP_ERR_POD_APP_USER naming the app (what reads it).
 */
export function readRootfsFile(rootfs: string, path: string, app: string): string | null {
  let found: ReturnType<typeof lookupInRootfs>;
  try {
    found = lookupInRootfs(rootfs, path);
  } catch (e) {
    if (!(e instanceof SymlinkInPath)) throw e;
    throw fail("invalid", "JP_ERR_POD_APP_USER", `app "${app}": ${e.at} is a symbolic link in its root filesystem, so jetpack will not read ${path} through it`, {
      hint: `make ${path} a regular file in the image`,
    });
  }
  if (found === null) return null;
  const fd = openSync(found.hostPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (!fstatSync(fd).isFile()) return null;
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/** Effects. The owner of `path` inside `rootfs` (the link itself when it is one), or undefined when missing. */
export function ownerInRootfs(rootfs: string, path: string): { uid: number; gid: number } | undefined {
  const parts = components(path);
  const last = parts.pop();
  let parent: ReturnType<typeof lookupInRootfs>;
  try {
    parent = lookupInRootfs(rootfs, `/${parts.join("/")}`);
  } catch (e) {
    if (e instanceof SymlinkInPath) return undefined;
    throw e;
  }
  if (parent === null || !parent.stats.isDirectory()) return undefined;
  const stats = last === undefined ? parent.stats : lstatOrNull(posix.join(parent.hostPath, last));
  return stats === null ? undefined : { uid: stats.uid, gid: stats.gid };
}

/**
 * Effects. Checks a host volume's source before anything starts (appc §5.2): it must exist and no
 * component of it may be a symbolic link. Returns whether it is a directory. Throws invalid
 * JP_ERR_POD_VOLUME_SOURCE naming the volume.
 */
export function checkVolumeSource(volume: string, source: string): { directory: boolean } {
  const refuse = (why: string, hint: string): never => {
    throw fail("invalid", "JP_ERR_POD_VOLUME_SOURCE", `volume "${volume}": its source ${source} ${why}`, { hint });
  };
  if (!source.startsWith("/")) refuse("is not an absolute path", "give the volume an absolute host path");
  let found: ReturnType<typeof lookupInRootfs>;
  try {
    found = lookupInRootfs("/", source);
  } catch (e) {
    if (!(e instanceof SymlinkInPath)) throw e;
    return refuse(`is reached through a symbolic link (${e.at})`, "use the path the link points to");
  }
  if (found === null) return refuse("does not exist", "create it on the host, or change the volume's source");
  return { directory: found.stats.isDirectory() };
}

/**
 * Effects. Makes `target` exist inside `rootfs` as a mount point: missing directories are created 0755
 * root:root (§5.2); a file where a directory must go is replaced by one (§5.2 SHOULD), and reported in
 * the returned warnings. A symbolic link on the way is refused with invalid JP_ERR_POD_VOLUME_TARGET.
 */
export function prepareMountTarget(input: { rootfs: string; target: string; directory: boolean; app: string; volume: string }): string[] {
  const warnings: string[] = [];
  const parts = components(input.target);
  let host = input.rootfs;
  let inside = "";
  parts.forEach((part, i) => {
    host = posix.join(host, part);
    inside = `${inside}/${part}`;
    const last = i === parts.length - 1;
    const wantDirectory = !last || input.directory;
    const stats = lstatOrNull(host);
    if (stats?.isSymbolicLink()) {
      throw fail("invalid", "JP_ERR_POD_VOLUME_TARGET", `app "${input.app}": volume "${input.volume}" goes to ${input.target}, but ${inside} is a symbolic link in the app's root filesystem`, {
        hint: "mount the volume at a path without symbolic links",
      });
    }
    if (stats !== null && stats.isDirectory() === wantDirectory) return;
    if (stats !== null) {
      if (!wantDirectory) {
        throw fail("invalid", "JP_ERR_POD_VOLUME_TARGET", `app "${input.app}": volume "${input.volume}" is a file, but ${inside} is a directory in the app's root filesystem`, {
          hint: "mount the file at another path",
        });
      }
      warnings.push(`app "${input.app}": ${inside} was a file; replaced by a directory for volume "${input.volume}"`);
      rmSync(host, { force: true });
    }
    if (wantDirectory) mkdirSync(host, { mode: 0o755 });
    else writeFileSync(host, "", { mode: 0o644 });
  });
  return warnings;
}
