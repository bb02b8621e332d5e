// The ZFS backend of Storage: native OpenZFS or zfs-fuse, through the `zfs` command. Effects.
//
// What zfs-fuse 0.7 (Debian 12) does, measured with a file-backed pool (test/conformance runs it all):
// - `mountpoint=none` on a parent and explicit mountpoints on children: the parent stays unmounted, each
//   child mounts at its own path. A missing mountpoint directory is created (mkdir -p), also inside
//   another dataset's mountpoint (the directories then live in that dataset). Inside a read-only dataset
//   that fails: "failed to create mountpoint", "filesystem successfully created, but not mounted" (exit 1).
//   A non-empty directory is refused: "directory is not empty" (OpenZFS >= 2.2 would mount over it).
//   We undo such half-made creates and clones, so a failure leaves nothing and a retry can succeed.
// - `zfs rename` of a mounted dataset (explicit mountpoint or not) fails "dataset is busy", every time;
//   unmount, rename, mount works, and the dataset comes back at the same explicit mountpoint. A failed
//   rename leaves it unmounted. So rename unmounts the subtree itself and mounts it again (mounts.ts).
// - `readonly=on`: creating, removing, truncating, chmod are refused (EROFS), but appending to or
//   overwriting in place a file that exists goes through, and `zfs get readonly` says `off temporary`
//   while mounted, because zfs-fuse mounts `rw` whatever the property. Mounting with `-o ro` fixes both,
//   so on zfs-fuse `set`, `create`/`clone` with readonly and `mount` remount read-only (mounts.ts).
//   There is no remount: `zfs mount -o remount,ro` fails; it takes an unmount and a mount.
// - Clones of `@snapshots` work as expected. Destroying the origin fails with "filesystem has dependent
//   clones / use '-R' to destroy the following datasets: <clone>", its snapshot with "snapshot has dependent
//   clones" (both -> conflict). `destroy -r` of a tree whose clones' origins lie elsewhere works; of a
//   tree whose snapshots have clones elsewhere it fails the same way (conflict), destroying nothing.
// - Every destroy or rename right after an unmount, including the unmount `zfs destroy` does itself,
//   may say "dataset is busy" for ~50 ms: one retry is usually enough (retry.ts). A process with its cwd
//   in the mountpoint makes umount fail ("target is busy"); `zfs destroy -f` then detaches the mount
//   lazily, but the destroy stays busy until that process leaves: after ~4.5 s we give up, `unavailable`.
// - A mount namespace made while a dataset is mounted (unshare -m, a pod) holds a copy of that mount, and
//   zfs-fuse says "busy" to destroying the dataset, from any process, until the copy is gone: namespaces
//   must detach the mounts they do not need (umount -l inside, or pivot_root).
// - Two mounts at once wedge zfs-fuse for good (mount-lock.ts): changes run one at a time, machine-wide.
// - Timing on this VM: create ~20-25 ms, snapshot ~13 ms, clone ~20 ms, destroy ~15-20 ms plus ~60 ms
//   when it needs its one busy retry, get ~9 ms, list ~14 ms, pool create/destroy ~30 ms. With four test
//   suites sharing the lock: create ~70-80 ms, snapshot ~55-80, clone ~65-80, destroy ~105-125.
import type { Readable } from "node:stream";
import { fail, JetpackError } from "../../../machines/errors.js";
import type { CreateOptions, DatasetInfo, ListOptions, Storage } from "../storage.js";
import { cloneArgs, createArgs, destroyArgs, existsArgs, getArgs, listArgs, renameArgs, setArgsList, snapshotArgs } from "./args.js";
import { hasZfsCode, ZFS_CODES } from "./classify.js";
import { makeZfsCli, type ZfsCli } from "./cli.js";
import { DEFAULT_MOUNT_LOCK_FILE } from "./mount-lock.js";
import { mountOne, unmountOne, withSubtreeUnmounted } from "./mounts.js";
import { assertDatasetName, assertSnapshotName, renamedName } from "./names.js";
import { parseDatasetList, parseProperties } from "./parse.js";
import { DEFAULT_BUSY_DELAYS_MS, isBusy, retryWhileBusy } from "./retry.js";
import { receiveStream, sendStream } from "./stream.js";

export interface ZfsStorageOptions {
  /** The zfs executable (default `zfs`, found on PATH). */
  zfsCommand?: string;
  /** Waits between attempts when zfs says busy (default: 10 attempts over ~4.5 s). */
  busyDelaysMs?: readonly number[];
  /** zfs-fuse only: the lock file that keeps changes one at a time machine-wide (see mount-lock.ts). */
  mountLockFile?: string;
}

/** From this attempt on, destroy force-unmounts (`-f`): plain retries cover zfs-fuse's usual ~50 ms. */
const FORCE_FROM_ATTEMPT = 3;

const isNotFound = (err: unknown) => hasZfsCode(err, ZFS_CODES.notFound);

/** Effects. A Storage backed by the `zfs` command. */
export function createZfsStorage(opts: ZfsStorageOptions = {}): Storage {
  const cli = makeZfsCli(opts.zfsCommand ?? "zfs", opts.busyDelaysMs ?? DEFAULT_BUSY_DELAYS_MS, opts.mountLockFile ?? DEFAULT_MOUNT_LOCK_FILE);
  return new ZfsStorage(cli);
}

class ZfsStorage implements Storage {
  constructor(private readonly cli: ZfsCli) {}

  async create(name: string, opts: CreateOptions = {}): Promise<void> {
    await this.makeDataset(name, createArgs(name, opts), opts);
  }

  async clone(snapshot: string, target: string, opts: CreateOptions = {}): Promise<void> {
    await this.makeDataset(target, cloneArgs(snapshot, target, opts), opts);
  }

  async snapshot(dataset: string, snap: string): Promise<string> {
    assertDatasetName(dataset);
    const full = `${dataset}@${snap}`;
    await this.cli.run(snapshotArgs(full));
    return full;
  }

  async destroy(name: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const recursive = opts.recursive ?? false;
    destroyArgs(name, { recursive }); // a bad name fails here, before any call
    try {
      await retryWhileBusy(this.cli.busyDelaysMs, (i) => this.cli.run(destroyArgs(name, { recursive, force: i >= FORCE_FROM_ATTEMPT })));
    } catch (err) {
      if (isNotFound(err)) return;
      if (isBusy(err)) throw await this.stillBusy(name, err as JetpackError);
      throw err;
    }
  }

  async list(parent: string, opts: ListOptions = {}): Promise<DatasetInfo[]> {
    const args = listArgs(parent, opts, await this.cli.flavor());
    try {
      return parseDatasetList(await this.cli.run(args), parent);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  async get(name: string, props: readonly string[]): Promise<Record<string, string> | undefined> {
    if (props.length === 0) return (await this.exists(name)) ? {} : undefined;
    try {
      return parseProperties(await this.cli.run(getArgs(name, props)), props);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async set(name: string, props: Record<string, string>): Promise<void> {
    const calls = setArgsList(name, props);
    for (const args of calls) await this.cli.run(args);
    if ("readonly" in props && !name.includes("@") && (await this.cli.flavor()) === "zfs-fuse") {
      await withSubtreeUnmounted(this.cli, name, async () => {});
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const args = renameArgs(from, to);
    if (from.includes("@")) {
      await this.cli.runRetrying(args);
      return;
    }
    let renamed = false;
    try {
      await withSubtreeUnmounted(
        this.cli,
        from,
        async () => {
          await this.cli.runRetrying(args);
          renamed = true;
        },
        (n) => renamedName(n, from, to),
      );
    } catch (err) {
      if (!renamed || !(err instanceof JetpackError)) throw err;
      throw fail(err.kind, err.code, `renamed ${from} to ${to}, but could not mount it again: ${err.message}`, {
        hint: `mount ${to} once it is no longer busy`,
        cause: err,
      });
    }
  }

  async exists(name: string): Promise<boolean> {
    try {
      await this.cli.run(existsArgs(name));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async mount(name: string): Promise<void> {
    await mountOne(this.cli, name);
  }

  async unmount(name: string): Promise<void> {
    await unmountOne(this.cli, name);
  }

  send(snapshot: string): Readable {
    assertSnapshotName(snapshot);
    return sendStream(this.cli.command, snapshot);
  }

  async receive(name: string, input: Readable): Promise<void> {
    await receiveStream(this.cli.command, name, input, (args) => this.cli.commandLine(args));
  }

  /** create and clone: undo a dataset made but not mounted, and mount read-only on zfs-fuse if asked. */
  private async makeDataset(name: string, args: string[], opts: CreateOptions): Promise<void> {
    try {
      await this.cli.run(args);
    } catch (err) {
      const stderr = err instanceof JetpackError ? String((err.details as { stderr?: string } | undefined)?.stderr) : "";
      if (!(err instanceof JetpackError) || !/cannot mount/i.test(stderr)) throw err;
      const undone = await this.destroy(name).then(
        () => "it was destroyed again",
        (e: unknown) => `destroying it again failed too: ${String((e as Error).message)}`,
      );
      throw fail(err.kind, err.code, `${name} was made but could not be mounted (${undone}): ${err.message}`, {
        ...(err.hint ? { hint: err.hint } : {}),
        details: err.details,
        cause: err,
      });
    }
    if (opts.properties?.readonly === "on" && (await this.cli.flavor()) === "zfs-fuse") {
      await withSubtreeUnmounted(this.cli, name, async () => {});
    }
  }

  /** The final busy error of destroy, naming the mountpoint a process may be holding. */
  private async stillBusy(name: string, err: JetpackError): Promise<JetpackError> {
    const mountpoint = name.includes("@") ? "" : ((await this.get(name, ["mountpoint"]).catch(() => undefined))?.mountpoint ?? "");
    const where = mountpoint.startsWith("/") ? mountpoint : "its mountpoint";
    const attempts = this.cli.busyDelaysMs.length + 1;
    return fail("unavailable", ZFS_CODES.busy, `cannot destroy ${name}: still busy after ${attempts} attempts (${err.message})`, {
      hint: `a process may have its working directory or open files under ${where} (see \`fuser -vm ${where}\`); stop it and retry`,
      cause: err,
      details: err.details,
    });
  }
}
