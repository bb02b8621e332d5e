// zfs send / zfs receive as Node streams. Effects.
//
// A send stream ends only after zfs exits 0, so a consumer never mistakes a stream cut short by a
// failure for a whole one: on a non-zero exit the stream errors with the classified zfs error.
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ChildProcess } from "node:child_process";
import { fail, JetpackError } from "../../../machines/errors.js";
import { startProcess } from "../exec.js";
import { receiveArgs, sendArgs } from "./args.js";
import { zfsError } from "./classify.js";

function collectStderr(child: ChildProcess): () => string {
  const chunks: Buffer[] = [];
  child.stderr?.on("data", (b: Buffer) => chunks.push(b));
  return () => Buffer.concat(chunks).toString("utf8");
}

function exited(child: ChildProcess, command: string): Promise<number> {
  return new Promise((resolve, reject) => {
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "ENOENT"
          ? fail("unavailable", "JP_ERR_EXEC_MISSING", `${command}: command not found`, { hint: "install ZFS (zfsutils-linux, or zfs-fuse on Linux)" })
          : fail("internal", "JP_ERR_EXEC_FAILED", `${command}: ${e.message}`),
      ),
    );
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Effects. `zfs send snapshot` as a Readable that errors if zfs fails; destroying it stops zfs. */
export function sendStream(command: string, snapshot: string): Readable {
  const args = sendArgs(snapshot); // throws before anything starts if the name is bad
  const child = startProcess(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  const stderr = collectStderr(child);
  const out = new PassThrough();
  child.stdout!.pipe(out, { end: false });
  exited(child, command).then(
    (code) => {
      if (code === 0) out.end();
      else out.destroy(zfsError([command, ...args], { stderr: stderr(), code }));
    },
    (err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  out.on("close", () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  });
  return out;
}

/**
 * Effects. Feeds `input` to `zfs receive name`; a failed or truncated input leaves no dataset behind.
 * `line` is how to start it (zfs-fuse wraps it in its mount lock, held for the whole stream).
 */
export async function receiveStream(
  command: string,
  name: string,
  input: Readable,
  line: (args: readonly string[]) => Promise<{ cmd: string; args: string[] }> = async (args) => ({ cmd: command, args: [...args] }),
): Promise<void> {
  const args = receiveArgs(name);
  const started = await line(args);
  const child = startProcess(started.cmd, started.args, { stdio: ["pipe", "ignore", "pipe"] });
  const stderr = collectStderr(child);
  const exit = exited(child, command);
  exit.catch(() => {}); // awaited below, after the input is through; never an unhandled rejection meanwhile
  let inputError: unknown;
  try {
    await pipeline(input, child.stdin!);
  } catch (err) {
    // zfs may have quit first (EPIPE): its own error says more. Otherwise the input broke: abort zfs.
    inputError = err;
    if (child.exitCode === null) child.kill("SIGTERM");
  }
  const code = await exit;
  if (code !== 0 && !(inputError && child.signalCode)) throw zfsError([command, ...args], { stderr: stderr(), code });
  if (inputError) {
    throw new JetpackError(
      { kind: "invalid", code: "JP_ERR_ZFS_BAD_STREAM", message: `receiving ${name}: the input stream failed: ${String((inputError as Error).message ?? inputError)}` },
      { cause: inputError },
    );
  }
}
