// The one place Jetpack starts host processes (like the original's lib/run). Effects.
//
// Every zfs, jail, unshare, xz or tar call goes through here, so that tracing (JETPACK_DEBUG=exec),
// error shaping and tests' golden command lists see the same thing.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { JetpackError, type ErrorKind } from "../../machines/errors.js";

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** Kill the process after this many milliseconds (SIGKILL) and fail as `unavailable`. */
  timeoutMs?: number;
  /** Maps a failed run to an error kind and code; the default is `internal` / JP_ERR_EXEC_FAILED. */
  classify?: (r: ExecResult) => { kind: ErrorKind; code: string; hint?: string } | undefined;
}

/** A recorder for tests: every command line that went through this module, in order. */
export type ExecObserver = (argv: readonly string[]) => void;
const observers = new Set<ExecObserver>();
/** Effects (global hook). Registers an observer; returns the function that removes it. */
export function observeExec(fn: ExecObserver): () => void {
  observers.add(fn);
  return () => observers.delete(fn);
}

function announce(argv: readonly string[]): void {
  if (process.env.JETPACK_DEBUG?.split(",").includes("exec")) process.stderr.write(`+ ${argv.join(" ")}\n`);
  for (const fn of observers) fn(argv);
}

/** Effects. Runs a command to completion, capturing output; throws a JetpackError when it exits non-zero. */
export async function run(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const r = await runUnchecked(cmd, args, opts);
  if (r.code === 0) return r;
  const c = opts.classify?.(r) ?? { kind: "internal" as ErrorKind, code: "JP_ERR_EXEC_FAILED" };
  const stderr = r.stderr.trim() || r.stdout.trim();
  throw new JetpackError({
    kind: c.kind,
    code: c.code,
    message: `${cmd} ${args.join(" ")} failed (exit ${r.code})${stderr ? `: ${stderr}` : ""}`,
    ...(c.hint ? { hint: c.hint } : {}),
    details: { argv: [cmd, ...args], exitCode: r.code, stderr: r.stderr },
  });
}

/** Effects. Runs a command to completion and returns its exit code and output, whatever the code. */
export function runUnchecked(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  announce([cmd, ...args]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (opts.timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, opts.timeoutMs);
    }
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      reject(spawnError(cmd, e));
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (timedOut) {
        reject(new JetpackError({ kind: "unavailable", code: "JP_ERR_EXEC_TIMEOUT", message: `${cmd} did not finish within ${opts.timeoutMs} ms` }));
        return;
      }
      resolve({
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        code: code ?? (signal ? 128 : 1),
      });
    });
    child.stdin.on("error", () => {}); // a command that exits without reading its input is not our error
    child.stdin.end(opts.input ?? "");
  });
}

export interface PipeProcess {
  stdin: Writable;
  stdout: Readable;
  /** Resolves when the process exits 0; rejects with its stderr otherwise. */
  done: Promise<void>;
  kill(): void;
}

/** Effects. Starts a filter process (e.g. `xz -dc`) whose stdin and stdout the caller streams through. */
export function pipeThrough(cmd: string, args: readonly string[], opts: { code?: string } = {}): PipeProcess {
  announce([cmd, ...args]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] } satisfies SpawnOptions);
  const err: Buffer[] = [];
  child.stderr!.on("data", (b: Buffer) => err.push(b));
  const done = new Promise<void>((resolve, reject) => {
    child.on("error", (e: NodeJS.ErrnoException) => reject(spawnError(cmd, e)));
    child.on("close", (code, signal) => {
      if (code === 0) return resolve();
      const stderr = Buffer.concat(err).toString("utf8").trim();
      reject(
        new JetpackError({
          kind: "invalid",
          code: opts.code ?? "JP_ERR_EXEC_FAILED",
          message: `${cmd} ${args.join(" ")} failed (${signal ? `signal ${signal}` : `exit ${code}`})${stderr ? `: ${stderr}` : ""}`,
        }),
      );
    });
  });
  done.catch(() => {}); // callers await it; never an unhandled rejection when they abort early
  child.stdin!.on("error", () => {});
  return { stdin: child.stdin!, stdout: child.stdout!, done, kill: () => child.kill("SIGKILL") };
}

function spawnError(cmd: string, e: NodeJS.ErrnoException): JetpackError {
  if (e.code === "ENOENT") {
    return new JetpackError({
      kind: "unavailable",
      code: "JP_ERR_EXEC_MISSING",
      message: `${cmd}: command not found`,
      hint: `install the package that provides ${cmd} (see README: ops/setup.sh installs every host tool)`,
    });
  }
  return new JetpackError({ kind: "internal", code: "JP_ERR_EXEC_FAILED", message: `${cmd}: ${e.message}` });
}

/** Effects. Starts a long-lived process (redis-server, a pod supervisor) and hands it back untouched. */
export function startProcess(cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  announce([cmd, ...args]);
  return spawn(cmd, args, opts);
}
