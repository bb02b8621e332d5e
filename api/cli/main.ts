#!/usr/bin/env node
// The `jetpack` executable (package.json bin: dist/api/cli/main.js): wires runCli to this process.
import os from "node:os";
import { startProcess } from "../../workers/host/exec.js";
import { runCli } from "./cli.js";

/** `pod exec` and `pod console`: the program gets this terminal; its exit code (128+n for a signal) is ours. */
function spawnInteractive(cmd: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = startProcess(cmd, args, { stdio: "inherit", env });
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0)));
  });
}

// `jetpack history | head` closes the pipe early: that is the reader being done, not a failure.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});
// Whoever read our messages is gone (a daemon whose parent died): lose the messages, not the clean stop.
process.stderr.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
});

/** The first SIGINT or SIGTERM goes to `handler`; `once` leaves the next one to kill the process as usual. */
function onInterrupt(handler: () => void): () => void {
  const both = () => {
    process.off("SIGINT", both);
    process.off("SIGTERM", both);
    handler();
  };
  process.once("SIGINT", both);
  process.once("SIGTERM", both);
  return () => {
    process.off("SIGINT", both);
    process.off("SIGTERM", both);
  };
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  spawnInteractive,
  onInterrupt,
});
