// Retrying zfs calls that fail with "dataset is busy".
//
// zfs-fuse answers "dataset is busy" to destroy, rename and mount for a moment after every unmount (the
// kernel releases the FUSE inodes asynchronously): measured here, one retry after ~50 ms is usually
// enough. A process with its cwd or an open file under the mountpoint keeps it busy for as long as it
// lives, so the schedule gives up after a few seconds with an `unavailable` error naming the cause.
import { hasZfsCode, ZFS_CODES } from "./classify.js";

/** Waits between attempts: 10 attempts over about 4.5 s. */
export const DEFAULT_BUSY_DELAYS_MS: readonly number[] = [50, 100, 150, 250, 400, 600, 800, 1000, 1200];

/** Pure. Whether an error is zfs's "busy". */
export function isBusy(err: unknown): boolean {
  return hasZfsCode(err, ZFS_CODES.busy);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Effects. Runs `attempt(i)` until it does not fail busy, waiting `delays[i]` between tries; rethrows the
 * last busy error when the delays run out. Any other error ends the loop at once.
 */
export async function retryWhileBusy<T>(delays: readonly number[], attempt: (i: number) => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt(i);
    } catch (err) {
      const wait = delays[i];
      if (!isBusy(err) || wait === undefined) throw err;
      await sleep(wait);
    }
  }
}
