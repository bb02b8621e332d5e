// What every command gets handed: the API client, the standard streams and the global settings. Commands
// touch the world only through this, so tests run them against a fake client and in-memory streams.
import type { Readable } from "node:stream";
import type { FlagSpec, ParsedArgs } from "./args.js";
import type { ApiClient } from "./client.js";
import type { TerminalLike } from "./progress.js";

export interface OutputStream extends TerminalLike {
  write(chunk: string | Uint8Array): boolean;
  once(event: "drain", listener: () => void): unknown;
}

export interface CliContext {
  client: ApiClient;
  stdout: OutputStream;
  stderr: TerminalLike;
  stdin: Readable & { isTTY?: boolean };
  /** Where relative FILE arguments are resolved from. */
  cwd: string;
  /** The jetpack root (`--root`, JETPACK_ROOT, or /var/lib/jetpack); the socket is `<root>/jetpack.sock`. */
  root: string;
  /** `--json`: print the API's JSON instead of text (and errors as JSON on stderr). */
  json: boolean;
  /** Pauses between polls; tests make it instant. */
  sleep?: (ms: number) => Promise<unknown>;
  /**
   * Calls `handler` on the first SIGINT or SIGTERM instead of dying (a second one kills as usual); the
   * returned function gives the signals back. Commands that hold something (`jetpack run`) use it.
   */
  onInterrupt?: (handler: () => void) => () => void;
  /** Runs a program on this host with the terminal handed over (pod exec, console); resolves with its exit code. */
  spawnInteractive?: (cmd: string, args: string[], env: Record<string, string>) => Promise<number>;
  now?: () => number;
}

export interface Command {
  /** The words that name it: `["image", "import"]`. */
  words: readonly string[];
  /** One line: `jetpack image import FILE|- [--insecure-options=image] [--no-wait] [--json]`. */
  usage: string;
  /** What it does, in one sentence, for the list of commands. */
  summary: string;
  /** More about arguments and flags, shown by `jetpack help <command>`. */
  details?: string;
  flags: FlagSpec;
  /** Resolves with the process's exit code when it is not 0 on success (`jetpack run` passes the app's on). */
  run(args: ParsedArgs, ctx: CliContext): Promise<void | number>;
}
