// The jetpack command: finds the command in argv, parses its flags, runs it, and turns any failure into
// a message on stderr and the exit code of its kind. main.ts only wires it to the process.
import { userInfo } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { fail } from "../../machines/errors.js";
import { VERSION } from "../version.js";
import { lastValue, mergeSpecs, parseArgs, type FlagSpec, type ParsedArgs } from "./args.js";
import { actorName, clientFor, clientTarget, type ApiClient } from "./client.js";
import { daemonCommand } from "./commands/daemon.js";
import { historyCommand } from "./commands/history.js";
import { exportCommand } from "./commands/image-export.js";
import { destroyCommand, fetchCommand, importCommand, listCommand, showCommand } from "./commands/image.js";
import { trustAddCommand, trustListCommand, trustRemoveCommand } from "./commands/trust.js";
import { opListCommand, opShowCommand, opWaitCommand } from "./commands/op.js";
import { podCreateCommand, podDestroyCommand, podListCommand, podShowCommand, podStartCommand, podStopCommand } from "./commands/pod.js";
import { consoleCommand, execCommand, logsCommand, runCommand } from "./commands/pod-io.js";
import type { CliContext, Command } from "./context.js";
import { exitCodeOf, EXIT_CODES, renderError } from "./exit.js";
import { commandHelp, groupHelp, mainHelp } from "./help.js";

export const COMMANDS: readonly Command[] = [
  daemonCommand,
  importCommand,
  fetchCommand,
  listCommand,
  showCommand,
  exportCommand,
  destroyCommand,
  podCreateCommand,
  podStartCommand,
  podStopCommand,
  podDestroyCommand,
  podListCommand,
  podShowCommand,
  logsCommand,
  execCommand,
  consoleCommand,
  runCommand,
  historyCommand,
  opListCommand,
  opShowCommand,
  opWaitCommand,
  trustAddCommand,
  trustListCommand,
  trustRemoveCommand,
];

export const GLOBAL_FLAGS: FlagSpec = { boolean: ["json", "help", "version"], value: ["root"], alias: { h: "help" } };

export const DEFAULT_ROOT = "/var/lib/jetpack";

export interface CliIo {
  stdout: CliContext["stdout"];
  stderr: CliContext["stderr"];
  stdin: CliContext["stdin"];
  env: Record<string, string | undefined>;
  cwd: string;
  spawnInteractive?: CliContext["spawnInteractive"];
  onInterrupt?: CliContext["onInterrupt"];
  /** The client to use; by default HTTP on `<root>/jetpack.sock`, or on JETPACK_API with JETPACK_TOKEN. */
  makeClient?: (socket: string, root: string) => ApiClient;
}

/** Pure. The words of argv (flags and their values skipped, up to `--`), with their positions. */
export function commandWords(argv: readonly string[]): Array<{ word: string; at: number }> {
  // Every command's value flags, so that `jetpack --zfs tank daemon` does not take `tank` for a command.
  const valueFlags = new Set(mergeSpecs(GLOBAL_FLAGS, ...COMMANDS.map((c) => c.flags)).value);
  const words: Array<{ word: string; at: number }> = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") break;
    if (a.startsWith("-") && a !== "-") {
      if (a.startsWith("--") && !a.includes("=") && valueFlags.has(a.slice(2))) i++;
      continue;
    }
    words.push({ word: a, at: i });
  }
  return words;
}

/** Pure. The command named by the first words, a group of commands (`image`), or undefined. */
export function findCommand(words: readonly string[]): { command: Command; used: number } | { group: string } | undefined {
  for (const used of [2, 1]) {
    const command = COMMANDS.find((c) => c.words.length === used && c.words.every((w, i) => words[i] === w));
    if (command) return { command, used };
  }
  const group = words[0];
  if (group !== undefined && COMMANDS.some((c) => c.words.length > 1 && c.words[0] === group)) return { group };
  return undefined;
}

/** Pure. The text of `jetpack help [WORDS]`. */
export function helpText(words: readonly string[]): string {
  if (words.length === 0) return mainHelp(COMMANDS);
  const found = findCommand(words);
  if (!found || ("command" in found && found.used !== words.length) || ("group" in found && words.length > 1)) {
    throw fail("invalid", "JP_ERR_CLI_COMMAND", `no command ${words.join(" ")}`, { hint: "see `jetpack help` for the commands" });
  }
  return "command" in found ? commandHelp(found.command) : groupHelp(found.group, COMMANDS);
}

/** What a command line comes to: a command to run, or a text to print and an exit code. */
export type Invocation = { command: Command; args: ParsedArgs } | { text: string; code: number; toStderr?: boolean };

function hasFlag(argv: readonly string[], ...names: string[]): boolean {
  const end = argv.indexOf("--");
  return argv.slice(0, end === -1 ? undefined : end).some((a) => names.includes(a));
}

/** Pure. Reads a command line: which command with which flags, or the help, usage or version to print. */
export function resolveInvocation(argv: readonly string[]): Invocation {
  const words = commandWords(argv);
  if (words[0]?.word === "help") return { text: helpText(words.slice(1).map((w) => w.word)), code: 0 };
  const found = findCommand(words.map((w) => w.word));
  if (found && "command" in found) {
    const skip = new Set(words.slice(0, found.used).map((w) => w.at));
    const args = parseArgs(argv.filter((_, i) => !skip.has(i)), mergeSpecs(GLOBAL_FLAGS, found.command.flags));
    if (args.booleans.has("version")) return { text: `jetpack ${VERSION}\n`, code: 0 };
    if (args.booleans.has("help")) return { text: commandHelp(found.command), code: 0 };
    return { command: found.command, args };
  }
  if (hasFlag(argv, "--version")) return { text: `jetpack ${VERSION}\n`, code: 0 };
  if (words.length === 0 || (found && words.length === 1)) {
    const text = found ? groupHelp(found.group, COMMANDS) : mainHelp(COMMANDS);
    // Asked for, the usage is the answer; given instead of a command, it is an error.
    return hasFlag(argv, "--help", "-h") ? { text, code: 0 } : { text, code: EXIT_CODES.invalid, toStderr: true };
  }
  throw fail("invalid", "JP_ERR_CLI_COMMAND", `unknown command ${words.slice(0, 2).map((w) => w.word).join(" ")}`, { hint: "see `jetpack help` for the commands" });
}

/** The OS user, and the user behind sudo, for the x-jetpack-user header. */
function currentActor(env: CliIo["env"]): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = env.USER ?? `uid ${process.getuid?.() ?? "unknown"}`;
  }
  return actorName(user, env.SUDO_USER);
}

/** Pure. The root: --root, else JETPACK_ROOT, else /var/lib/jetpack; relative ones from `cwd`. */
export function rootOf(args: ParsedArgs, env: CliIo["env"], cwd: string): string {
  const given = lastValue(args, "root") ?? (env.JETPACK_ROOT || undefined) ?? DEFAULT_ROOT;
  return isAbsolute(given) ? given : resolve(cwd, given);
}

/** Effects. Runs the jetpack command line `argv` (without node and the script); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = hasFlag(argv, "--json");
  let client: ApiClient | undefined;
  try {
    const invocation = resolveInvocation(argv);
    if ("text" in invocation) {
      (invocation.toStderr ? io.stderr : io.stdout).write(invocation.text);
      return invocation.code;
    }
    const { command, args } = invocation;
    const root = rootOf(args, io.env, io.cwd);
    const socket = `${root}/jetpack.sock`;
    client = io.makeClient ? io.makeClient(socket, root) : clientFor(clientTarget(io.env, socket, root), currentActor(io.env));
    // pod exec and console run the command line the daemon gives on this host: only with the local daemon.
    const local = !io.env.JETPACK_API;
    const code = await command.run(args, { client, stdout: io.stdout, stderr: io.stderr, stdin: io.stdin, cwd: io.cwd, root, json: args.booleans.has("json"), ...(io.spawnInteractive && local ? { spawnInteractive: io.spawnInteractive } : {}), ...(io.onInterrupt ? { onInterrupt: io.onInterrupt } : {}) });
    return code ?? 0;
  } catch (err) {
    io.stderr.write(renderError(err, json));
    return exitCodeOf(err);
  } finally {
    await client?.close().catch(() => undefined);
  }
}
