// One zfs command line runner per backend: the command, its flavor (probed once), the zfs-fuse mount
// lock (mount-lock.ts), busy retries.
import { fail } from "../../../machines/errors.js";
import { runUnchecked } from "../exec.js";
import type { ZfsFlavor } from "./args.js";
import { zfsError } from "./classify.js";
import { detectZfsFlavor } from "./daemon.js";
import { lockedCommand, MOUNT_LOCK_TIMEOUT_EXIT, MOUNT_LOCK_WAIT_SECONDS } from "./mount-lock.js";
import { retryWhileBusy } from "./retry.js";

export interface ZfsCli {
  readonly command: string;
  readonly busyDelaysMs: readonly number[];
  /** Effects. The flavor, probed on first use; a failed probe is not remembered. */
  flavor(): Promise<ZfsFlavor>;
  /** Effects (the probe). The process to start for `zfs args...`: wrapped in flock where zfs-fuse needs it. */
  commandLine(args: readonly string[]): Promise<{ cmd: string; args: string[] }>;
  /** Effects. Runs `zfs args...` and returns its stdout; throws the classified JetpackError. */
  run(args: readonly string[]): Promise<string>;
  /** Effects. `run`, retried while zfs says busy. */
  runRetrying(args: readonly string[]): Promise<string>;
}

/** Pure. The error for a zfs call that waited too long for the zfs-fuse mount lock. */
export function lockTimeoutError(lockFile: string, argv: readonly string[]) {
  return fail("unavailable", "JP_ERR_ZFS_LOCK_TIMEOUT", `${argv.join(" ")}: waited ${MOUNT_LOCK_WAIT_SECONDS} s for the zfs-fuse lock ${lockFile}`, {
    hint: `another zfs change is taking very long; see which process holds ${lockFile} (\`fuser -v ${lockFile}\`)`,
  });
}

/** Effects (when used). A runner for `command` (default `zfs`). */
export function makeZfsCli(command: string, busyDelaysMs: readonly number[], lockFile: string): ZfsCli {
  let probed: Promise<ZfsFlavor> | undefined;
  const flavor = () =>
    (probed ??= detectZfsFlavor(command).catch((err: unknown) => {
      probed = undefined;
      throw err;
    }));
  const commandLine = async (args: readonly string[]) => lockedCommand(await flavor(), lockFile, command, args);
  const run = async (args: readonly string[]): Promise<string> => {
    const line = await commandLine(args);
    const r = await runUnchecked(line.cmd, line.args);
    if (r.code === 0) return r.stdout;
    if (line.cmd !== command && r.code === MOUNT_LOCK_TIMEOUT_EXIT) throw lockTimeoutError(lockFile, [command, ...args]);
    throw zfsError([command, ...args], r);
  };
  return {
    command,
    busyDelaysMs,
    flavor,
    commandLine,
    run,
    runRetrying: (args) => retryWhileBusy(busyDelaysMs, () => run(args)),
  };
}
