// Copying one response body onto the end of the partial file. Effects (file writes).
import type { FileHandle } from "node:fs/promises";
import { fail } from "../../../../machines/errors.js";
import { transferFailure, truncatedBody } from "./errors.js";

/**
 * Bytes between data syncs: bounds what a power cut can lose. A process crash loses nothing written (the
 * page cache keeps it), so syncs are spaced widely: at 8 MB they cost a third of the download rate.
 * Every chunk is written as it comes, so a killed process loses nothing it had received.
 */
export const SYNC_EVERY_BYTES = 64 * 1024 * 1024;
/** At most ten progress reports a second. */
export const PROGRESS_INTERVAL_MS = 100;

export interface DownloadProgress {
  /** Bytes of the resource on disk so far, including those resumed from. */
  bytes: number;
  total: number | null;
  resumedFrom: number;
}

export interface ReceiveOptions {
  body: AsyncIterable<Uint8Array>;
  file: FileHandle;
  /** Bytes already in the file (the offset this body starts at). */
  from: number;
  /** Length this body must have, when known; a shorter body is a network failure. */
  expected: number | null;
  total: number | null;
  url: string;
  maxBytes?: number;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
}

/** Pure. Whether a report is due: none in the last PROGRESS_INTERVAL_MS. */
export function progressDue(now: number, lastReport: number | null): boolean {
  return lastReport === null || now - lastReport >= PROGRESS_INTERVAL_MS;
}

async function writeChunk(file: FileHandle, chunk: Uint8Array, url: string): Promise<void> {
  try {
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await file.write(chunk, off, chunk.length - off);
      off += bytesWritten;
    }
  } catch (err) {
    throw fail("internal", "JP_ERR_FETCH_WRITE", `cannot write the download of ${url} to disk: ${(err as Error).message}`, {
      cause: err,
      hint: "check the free space and permissions of the image store",
    });
  }
}

/** Effects. Appends the body to `file`, syncing every SYNC_EVERY_BYTES and at the end; returns the bytes received. */
export async function receiveBody(opts: ReceiveOptions): Promise<number> {
  const { file, from, expected, total, url, maxBytes, onProgress, signal } = opts;
  let received = 0;
  let unsynced = 0;
  let lastReport: number | null = null;
  try {
    for await (const chunk of opts.body) {
      if (maxBytes !== undefined && from + received + chunk.length > maxBytes) {
        throw fail("invalid", "JP_ERR_FETCH_TOO_LARGE", `${url} is more than the limit of ${maxBytes} bytes`, {
          hint: "check that the URL names the image you meant; raise the size limit if it is expected to be this big",
        });
      }
      await writeChunk(file, chunk, url);
      received += chunk.length;
      unsynced += chunk.length;
      if (unsynced >= SYNC_EVERY_BYTES) {
        await file.datasync();
        unsynced = 0;
      }
      const now = Date.now();
      if (onProgress && progressDue(now, lastReport)) {
        lastReport = now;
        onProgress({ bytes: from + received, total, resumedFrom: from });
      }
    }
  } catch (err) {
    throw transferFailure(err, url, signal);
  } finally {
    // What arrived before a failure is kept for the resume; make it durable too.
    await file.datasync().catch(() => undefined);
  }
  if (expected !== null && received < expected) throw truncatedBody(url, from + received, from + expected);
  if (expected !== null && received > expected) {
    throw fail("unavailable", "JP_ERR_FETCH_NETWORK", `${url} sent ${received} bytes where it announced ${expected}`, {
      hint: "retry; if it persists, the server is sending a broken response",
    });
  }
  onProgress?.({ bytes: from + received, total, resumedFrom: from });
  return received;
}
