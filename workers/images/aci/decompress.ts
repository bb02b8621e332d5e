// Decompressing an ACI stream: gzip in-process with node:zlib; bzip2 and xz through their tools
// (`bzip2 -dc`, `xz -dc`) started by the exec chokepoint. Effects.
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { JetpackError } from "../../../machines/errors.js";
import { pipeThrough } from "../../host/exec.js";
import { ACI_ERR, formatError } from "./aci-errors.js";
import type { Compression } from "./detect.js";

export interface Decompression {
  /** The uncompressed bytes. Iterate once. */
  output: AsyncIterable<Buffer>;
  /**
   * After the output has ended: resolves when the decompressor ended cleanly, rejects with
   * JP_ERR_ACI_FORMAT (corrupt or truncated data) otherwise.
   */
  finished(): Promise<void>;
  /**
   * After a failure downstream (say, a tar truncated in the middle): the decompressor's own error, if
   * it has one, which explains the failure better. Waits briefly for a tool to exit.
   */
  diagnose(): Promise<Error | undefined>;
  /** Stops everything now: kills the tool, drops the streams. */
  destroy(): void;
}

const CHUNK = 128 * 1024;

/** Effects. Starts decompressing `input` (the whole raw file, head included). */
export function decompress(compression: Compression, input: Readable): Decompression {
  switch (compression) {
    case "none":
      return { output: input, finished: async () => {}, diagnose: async () => undefined, destroy: () => input.destroy() };
    case "gzip":
      return gunzip(input);
    case "bzip2":
    case "xz":
      return throughTool(compression, input);
  }
}

function gunzip(input: Readable): Decompression {
  // Node's gunzip refuses non-gzip bytes after the last member ("incorrect header check"), and, like
  // gzip(1), ignores trailing zero padding.
  const z = createGunzip({ chunkSize: CHUNK });
  input.on("error", (e) => z.destroy(e));
  input.pipe(z);
  async function* output(): AsyncGenerator<Buffer> {
    try {
      for await (const c of z) yield c as Buffer;
    } catch (e) {
      throw zlibError(e);
    }
  }
  return {
    output: output(),
    finished: async () => {},
    diagnose: async () => undefined,
    destroy: () => {
      input.unpipe(z);
      input.destroy();
      z.destroy();
    },
  };
}

function zlibError(e: unknown): unknown {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== "string" || !code.startsWith("Z_")) return e;
  const msg = (e as Error).message;
  if (code === "Z_BUF_ERROR") return formatError(`truncated gzip data (${msg})`, e);
  return formatError(`corrupt gzip data (${msg})`, e);
}

function throughTool(compression: "bzip2" | "xz", input: Readable): Decompression {
  const proc = pipeThrough(compression, ["-dc"], { code: ACI_ERR.FORMAT });
  let exited = false;
  const done = proc.done.then(
    () => {
      exited = true;
    },
    (e: unknown) => {
      exited = true;
      throw toolError(compression, e);
    },
  );
  done.catch(() => {});
  input.on("error", (e) => proc.stdout.destroy(e));
  input.pipe(proc.stdin);
  return {
    output: proc.stdout,
    finished: () => done,
    diagnose: async () => {
      const outcome = done.then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000).unref());
      return Promise.race([outcome, timeout]);
    },
    destroy: () => {
      input.unpipe(proc.stdin);
      input.destroy();
      if (!exited) proc.kill();
      proc.stdout.destroy();
    },
  };
}

function toolError(compression: string, e: unknown): unknown {
  // A missing tool keeps its own code (unavailable): the archive is not at fault.
  if (e instanceof JetpackError && e.code === ACI_ERR.FORMAT) {
    return formatError(`corrupt or truncated ${compression} data: ${e.message}`, e);
  }
  return e;
}
