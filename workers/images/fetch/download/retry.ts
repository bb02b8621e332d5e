// Retrying a download through transient failures; each attempt resumes from the bytes already on disk.
// Effects (network, files, timers).
import { setTimeout as sleep } from "node:timers/promises";
import { fail, JetpackError } from "../../../../machines/errors.js";
import { download, type DownloadOptions, type DownloadResult } from "./download.js";

export interface RetryOptions {
  /** Tries in all, the first included. Default 5. */
  attempts?: number;
  /** Wait before the second try; doubles for each later one. Default 1000 ms. */
  baseDelayMs?: number;
}

export const MAX_BACKOFF_MS = 60_000;

/** Pure. The wait after failed attempt number `attempt` (1-based): base, 2×base, 4×base, ... capped. */
export function backoffDelay(attempt: number, baseDelayMs: number): number {
  return Math.min(baseDelayMs * 2 ** Math.max(0, attempt - 1), MAX_BACKOFF_MS);
}

function retryable(err: unknown): err is JetpackError {
  // A cancelled download is the caller's choice, not a fault to retry.
  return err instanceof JetpackError && err.kind === "unavailable" && err.code !== "JP_ERR_FETCH_ABORTED";
}

/**
 * Effects. `download`, tried again after `unavailable` failures with exponential backoff. Other failures
 * are thrown at once; when all attempts fail, the error says how many there were and the last reason.
 */
export async function retryDownload(opts: DownloadOptions & RetryOptions): Promise<DownloadResult> {
  const attempts = Math.max(1, Math.floor(opts.attempts ?? 5));
  const base = Math.max(0, opts.baseDelayMs ?? 1000);
  let last: JetpackError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await download(opts);
    } catch (err) {
      if (!retryable(err)) throw err;
      last = err;
    }
    if (attempt < attempts) {
      try {
        await sleep(backoffDelay(attempt, base), undefined, opts.signal ? { signal: opts.signal } : {});
      } catch (err) {
        throw fail("unavailable", "JP_ERR_FETCH_ABORTED", `download of ${opts.url} was cancelled`, { cause: err, hint: "run the fetch again; it resumes where it stopped" });
      }
    }
  }
  throw fail("unavailable", "JP_ERR_FETCH_NETWORK", `download of ${opts.url} failed ${attempts} time${attempts === 1 ? "" : "s"}; last error: ${last?.message ?? "unknown"}`, {
    cause: last,
    hint: "check the network and the server, then fetch again: the bytes received so far are kept and resumed",
  });
}
