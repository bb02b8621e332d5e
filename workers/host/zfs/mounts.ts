// Unmounting and mounting subtrees around operations that zfs-fuse cannot do on a mounted dataset.
//
// Measured on zfs-fuse (Debian 12): `zfs rename` of a mounted dataset fails "dataset is busy" every time
// (it unmounts, then the rename finds the FUSE inodes not yet released); unmount, rename, mount works.
// zfs-fuse also ignores `readonly=on` for writes into files that already exist unless the kernel mount
// itself is read-only, and it mounts with `rw` whatever the property says (then `zfs get readonly` shows
// `off temporary`). So on zfs-fuse we mount with `-o ro` whenever the property is on, which we can only
// read reliably while the dataset is unmounted. Native OpenZFS needs none of this, and it does no harm.
import { mountArgs, mountStatesArgs, unmountArgs, getArgs } from "./args.js";
import { hasZfsCode, ZFS_CODES } from "./classify.js";
import type { ZfsCli } from "./cli.js";
import { parseMountedNames, parseProperties } from "./parse.js";
import { retryWhileBusy } from "./retry.js";

/** Effects. The mounted filesystems of `name`'s subtree, itself included, parents first. */
export async function mountedInSubtree(cli: ZfsCli, name: string): Promise<string[]> {
  return parseMountedNames(await cli.run(mountStatesArgs(name, await cli.flavor())));
}

/** Effects. Unmounts one filesystem, retrying busy; "not mounted" is fine. */
export async function unmountOne(cli: ZfsCli, name: string, opts: { force?: boolean } = {}): Promise<void> {
  try {
    await cli.runRetrying(unmountArgs(name, opts));
  } catch (err) {
    if (!hasZfsCode(err, ZFS_CODES.notMounted)) throw err;
  }
}

/** Effects. Mounts one filesystem, retrying busy; "already mounted" is fine. Read-only on zfs-fuse if the property says so. */
export async function mountOne(cli: ZfsCli, name: string): Promise<void> {
  let readonly = false;
  if ((await cli.flavor()) === "zfs-fuse") {
    readonly = parseProperties(await cli.run(getArgs(name, ["readonly"])), ["readonly"]).readonly === "on";
  }
  try {
    await retryWhileBusy(cli.busyDelaysMs, () => cli.run(mountArgs(name, { readonly })));
  } catch (err) {
    if (!hasZfsCode(err, ZFS_CODES.alreadyMounted)) throw err;
  }
}

/** Effects. Unmounts `names` (parents first, as listed) children first; on failure remounts what it unmounted. */
export async function unmountAll(cli: ZfsCli, names: readonly string[]): Promise<void> {
  const done: string[] = [];
  try {
    for (const name of [...names].reverse()) {
      await unmountOne(cli, name);
      done.unshift(name);
    }
  } catch (err) {
    await mountAll(cli, done).catch(() => {});
    throw err;
  }
}

/** Effects. Mounts `names` in order (parents first). */
export async function mountAll(cli: ZfsCli, names: readonly string[]): Promise<void> {
  for (const name of names) await mountOne(cli, name);
}

/**
 * Effects. Runs `fn` with `name`'s subtree unmounted, then mounts again what was mounted, under the names
 * `rename` gives (for a rename). If `fn` fails, the old names are mounted again and its error is thrown.
 */
export async function withSubtreeUnmounted<T>(
  cli: ZfsCli,
  name: string,
  fn: () => Promise<T>,
  rename: (n: string) => string = (n) => n,
): Promise<T> {
  const mounted = await mountedInSubtree(cli, name);
  await unmountAll(cli, mounted);
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await mountAll(cli, mounted).catch(() => {});
    throw err;
  }
  await mountAll(cli, mounted.map(rename));
  return result;
}
