// jetpack image export IMAGE FILE|-: the stored ACI, streamed from the daemon to a file or stdout.
//
// A file is written as FILE.partial, synced, checked against the announced length and only then renamed,
// so FILE is either the whole ACI or absent, never a truncated one.
import { once } from "node:events";
import { open, rename, rm } from "node:fs/promises";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { fail } from "../../../machines/errors.js";
import { computeProgress } from "../../../machines/progress.js";
import { expectPositionals, type ParsedArgs } from "../args.js";
import { segment } from "../client.js";
import type { CliContext, Command, OutputStream } from "../context.js";
import { ProgressLine } from "../progress.js";

const usage = "jetpack image export IMAGE FILE|-";

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Copies `body` through `write`, drawing progress; returns the byte count. */
async function copy(ctx: CliContext, body: Readable, total: number | null, write: (chunk: Uint8Array) => Promise<void>): Promise<number> {
  const now = ctx.now ?? Date.now;
  const started = now();
  const line = new ProgressLine(ctx.stderr, now);
  let bytes = 0;
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      await write(chunk);
      bytes += chunk.length;
      line.update(computeProgress("export", started, now(), bytes, total));
    }
  } finally {
    line.clear();
  }
  return bytes;
}

function writeTo(out: OutputStream): (chunk: Uint8Array) => Promise<void> {
  return async (chunk) => {
    if (!out.write(chunk)) await once(out as unknown as NodeJS.EventEmitter, "drain");
  };
}

function checkLength(bytes: number, total: number | null, ref: string): void {
  if (total !== null && bytes !== total) {
    throw fail("unavailable", "JP_ERR_CLI_EXPORT_SHORT", `the export of ${ref} stopped after ${bytes} of ${total} bytes`, { hint: "export it again" });
  }
}

/** Pure. A failure to write FILE in the user's terms; other errors pass through. */
export function fileError(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return fail("not_found", "JP_ERR_CLI_FILE", `cannot write ${path}: its directory does not exist`, { cause: err });
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return fail("permission_denied", "JP_ERR_CLI_FILE", `cannot write ${path}: ${code === "EROFS" ? "read-only file system" : "permission denied"}`, { cause: err });
  }
  if (code === "ENOSPC") return fail("unavailable", "JP_ERR_CLI_FILE", `cannot write ${path}: no space left on the device`, { cause: err });
  return err;
}

export async function imageExport(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const [ref, target] = expectPositionals(args, ["IMAGE", "FILE"], usage) as [string, string];
  if (target === "-" && ctx.stdout.isTTY) {
    throw fail("invalid", "JP_ERR_CLI_STDOUT", "refusing to write an ACI to a terminal", { hint: `redirect stdout (${usage} > app.aci), or give a FILE` });
  }
  const download = await ctx.client.download(`/v1/images/${segment(ref)}/aci`);
  const lengthHeader = header(download.headers, "content-length");
  const total = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
  const id = header(download.headers, "x-jetpack-image-id") ?? ref;

  if (target === "-") {
    checkLength(await copy(ctx, download.body, total, writeTo(ctx.stdout)), total, ref);
    ctx.stderr.write(`${id}\n`);
    return;
  }
  const path = resolve(ctx.cwd, target);
  const partial = `${path}.partial`;
  try {
    const file = await open(partial, "w", 0o644);
    try {
      const bytes = await copy(ctx, download.body, total, async (chunk) => void (await file.write(chunk)));
      checkLength(bytes, total, ref);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(partial, path);
  } catch (err) {
    download.body.destroy();
    await rm(partial, { force: true });
    throw fileError(err, path);
  }
  ctx.stdout.write(`${id}\n`);
}

export const exportCommand: Command = {
  words: ["image", "export"],
  usage,
  summary: "write an image's stored ACI to a file or stdout",
  details: [
    "FILE is written whole or not at all (through FILE.partial); the image ID is printed on stdout.",
    "With - the ACI goes to stdout and the image ID to stderr, so stdout holds nothing but the ACI.",
  ].join("\n"),
  flags: {},
  run: imageExport,
};
