#!/usr/bin/env node
// The `jetpack` executable (package.json bin: dist/api/cli/main.js): wires runCli to this process.
import { runCli } from "./cli.js";

// `jetpack history | head` closes the pipe early: that is the reader being done, not a failure.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});
// Whoever read our messages is gone (a daemon whose parent died): lose the messages, not the clean stop.
process.stderr.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
