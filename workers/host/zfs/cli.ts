// One zfs command line runner per backend: the command, its flavor (probed once), busy retries.
import { runUnchecked } from "../exec.js";
import type { ZfsFlavor } from "./args.js";
import { zfsError } from "./classify.js";
import { detectZfsFlavor } from "./daemon.js";
import { retryWhileBusy } from "./retry.js";

export interface ZfsCli {
  readonly command: string;
  readonly busyDelaysMs: readonly number[];
  /** Effects. The flavor, probed on first use; a failed probe is not remembered. */
  flavor(): Promise<ZfsFlavor>;
  /** Effects. Runs `zfs args...` and returns its stdout; throws the classified JetpackError. */
  run(args: readonly string[]): Promise<string>;
  /** Effects. `run`, retried while zfs says busy. */
  runRetrying(args: readonly string[]): Promise<string>;
}

/** Effects (when used). A runner for `command` (default `zfs`). */
export function makeZfsCli(command: string, busyDelaysMs: readonly number[]): ZfsCli {
  let flavor: Promise<ZfsFlavor> | undefined;
  const run = async (args: readonly string[]): Promise<string> => {
    const r = await runUnchecked(command, args);
    if (r.code !== 0) throw zfsError([command, ...args], r);
    return r.stdout;
  };
  return {
    command,
    busyDelaysMs,
    flavor() {
      flavor ??= detectZfsFlavor(command).catch((err: unknown) => {
        flavor = undefined;
        throw err;
      });
      return flavor;
    },
    run,
    runRetrying: (args) => retryWhileBusy(busyDelaysMs, () => run(args)),
  };
}
