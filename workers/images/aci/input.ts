// The raw (compressed) bytes of an ACI as they come in: the head for detection, progress reports and
// cancellation. Effects: reads the caller's stream.
import { Readable } from "node:stream";
import { fail, JetpackError } from "../../../machines/errors.js";
import { ACI_ERR } from "./aci-errors.js";
import { DETECT_HEAD_BYTES } from "./detect.js";

export type ProgressFn = (compressedBytesRead: number) => void;

export interface OpenedInput {
  /** The first bytes (up to 512), for detectCompression. */
  head: Buffer;
  /** Every byte of the source, head included, counted as it is read. */
  stream: Readable;
  /** Compressed bytes handed on so far. */
  consumed(): number;
  /** Stops reading the source (early stop or failure). */
  destroy(): void;
}

const PROGRESS_EVERY_MS = 100;
const PROGRESS_EVERY_BYTES = 8 * 1024 * 1024;

/** Effects. Peeks at the head of `source` and wraps the rest for counting, progress and abort. */
export async function openInput(
  source: NodeJS.ReadableStream | Readable,
  opts: { onProgress?: ProgressFn | undefined; signal?: AbortSignal | undefined } = {},
): Promise<OpenedInput> {
  const { onProgress, signal } = opts;
  throwIfAborted(signal);
  const it = (source as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const destroySource = () => (source as Partial<Readable>).destroy?.();
  let stream: Readable | undefined;
  const onAbort = () => {
    stream?.destroy(abortError(signal));
    destroySource();
  };
  signal?.addEventListener("abort", onAbort, { once: true });

  const pending: Buffer[] = [];
  let have = 0;
  let eof = false;
  try {
    while (have < DETECT_HEAD_BYTES) {
      const r = await it.next();
      if (r.done) {
        eof = true;
        break;
      }
      const b = asBuffer(r.value);
      pending.push(b);
      have += b.length;
    }
  } catch (err) {
    signal?.removeEventListener("abort", onAbort);
    throw signal?.aborted ? abortError(signal) : err;
  }
  const head = Buffer.concat(pending).subarray(0, DETECT_HEAD_BYTES);

  let consumed = 0;
  let reportedAt = 0;
  let reportedBytes = 0;
  const count = (b: Buffer): Buffer => {
    consumed += b.length;
    if (onProgress && consumed - reportedBytes >= PROGRESS_EVERY_BYTES) report();
    else if (onProgress && Date.now() - reportedAt >= PROGRESS_EVERY_MS) report();
    return b;
  };
  const report = () => {
    reportedAt = Date.now();
    reportedBytes = consumed;
    onProgress?.(consumed);
  };

  async function* all(): AsyncGenerator<Buffer> {
    try {
      for (const b of pending.splice(0)) yield count(b);
      while (!eof) {
        throwIfAborted(signal);
        const r = await it.next();
        if (r.done) break;
        yield count(asBuffer(r.value));
      }
      if (onProgress && consumed !== reportedBytes) report();
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
  const out = Readable.from(all(), { objectMode: false, highWaterMark: 256 * 1024 });
  stream = out;
  return {
    head,
    stream: out,
    consumed: () => consumed,
    destroy: () => {
      signal?.removeEventListener("abort", onAbort);
      out.destroy();
      destroySource();
    },
  };
}

function asBuffer(v: Buffer | string): Buffer {
  if (Buffer.isBuffer(v)) return v;
  throw fail("internal", "JP_ERR_ACI_SOURCE", "the ACI source stream yields strings; it must yield bytes (do not set an encoding on it)");
}

/** Pure. The error an aborted extraction ends with: the signal's own JetpackError, or ABORTED. */
export function abortError(signal: AbortSignal | undefined): JetpackError {
  const reason: unknown = signal?.reason;
  if (reason instanceof JetpackError) return reason;
  return fail("unavailable", ACI_ERR.ABORTED, "reading the ACI was aborted", { cause: reason });
}

/** Effects (reads the signal). Throws the abort error if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}
