// Raw ACI bytes in, tar entries out: detection, decompression and the tar reader wired together for
// both passes. Effects: reads the source, may start a decompressor process.
import type { Readable } from "node:stream";
import { isTruncation } from "./aci-errors.js";
import { decompress, type Decompression } from "./decompress.js";
import { detectCompression, type Compression } from "./detect.js";
import { abortError, openInput, type OpenedInput, type ProgressFn } from "./input.js";
import { TarReader } from "./tar-reader.js";

export interface AciStream {
  compression: Compression;
  reader: TarReader;
  /** After the reader finished: waits for the decompressor to end cleanly (a tool's exit status). */
  finished(): Promise<void>;
  /** The error to report for a failure while reading: the abort reason, the decompressor's diagnosis of a truncation, or the error itself. */
  explain(err: unknown): Promise<unknown>;
  /** Stops reading now (kills a decompressor, drops the source). Safe to call twice. */
  close(): void;
}

/** Effects. Opens `source` (the raw ACI bytes) for reading as tar entries. */
export async function openAciStream(
  source: NodeJS.ReadableStream | Readable,
  opts: { maxTotalBytes: number; hash: boolean; onProgress?: ProgressFn | undefined; signal?: AbortSignal | undefined },
): Promise<AciStream> {
  const input: OpenedInput = await openInput(source, opts);
  let dec: Decompression | undefined;
  let compression: Compression;
  try {
    compression = detectCompression(input.head);
    dec = decompress(compression, input.stream);
  } catch (err) {
    input.destroy();
    throw err;
  }
  const d = dec;
  const reader = new TarReader(d.output, { maxTotalBytes: opts.maxTotalBytes, hash: opts.hash });
  return {
    compression,
    reader,
    finished: () => d.finished(),
    explain: async (err) => {
      if (opts.signal?.aborted) return abortError(opts.signal);
      if (isTruncation(err)) return (await d.diagnose()) ?? err;
      return err;
    },
    close: () => {
      d.destroy();
      input.destroy();
    },
  };
}
