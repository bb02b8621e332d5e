// jetpack pod logs | exec | console, and jetpack run: the commands that carry a pod's input and output.
import type { Readable } from "node:stream";
import { fail } from "../../../machines/errors.js";
import { apiPath, segment } from "../client.js";
import { expectPositionals, lastValue, type ParsedArgs } from "../args.js";
import type { CliContext, Command } from "../context.js";
import { POD_CREATE_FLAGS, POD_CREATE_USAGE } from "../pod-args.js";
import { createPod, podOperation, type PodSummary } from "./pod.js";
import { appStateText } from "../format.js";
import { constants } from "node:os";

/** Effects (stdout). Copies a stream to stdout, each line prefixed (`web | `), a partial last line flushed at the end. */
export async function copyPrefixed(body: Readable, ctx: CliContext, prefix: string): Promise<void> {
  let pending = "";
  for await (const chunk of body) {
    pending += (chunk as Buffer).toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) ctx.stdout.write(`${prefix}${line}\n`);
  }
  if (pending !== "") ctx.stdout.write(`${prefix}${pending}\n`);
}

async function logStream(ctx: CliContext, pod: string, app: string | undefined, follow: boolean): Promise<Readable> {
  const query = { ...(app ? { app } : {}), ...(follow ? { follow: "1" } : {}) };
  return (await ctx.client.download(apiPath(`/v1/pods/${segment(pod)}/logs`, query))).body;
}

async function podLogs(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const [pod] = expectPositionals(args, ["POD"], logsCommand.usage) as [string];
  const body = await logStream(ctx, pod, lastValue(args, "app"), args.booleans.has("follow"));
  for await (const chunk of body) ctx.stdout.write(chunk as Buffer);
}

/** Effects. Runs argv in a pod's app with this terminal; resolves with its exit code. */
async function execInPod(ctx: CliContext, pod: string, app: string | undefined, argv: string[]): Promise<number> {
  if (!ctx.spawnInteractive) throw fail("unavailable", "JP_ERR_CLI_EXEC", "pod exec and console work only with the daemon on this host", { hint: "run jetpack on the pod's host, as root, without JETPACK_API" });
  const cmd = await ctx.client.request<{ cmd: string; args: string[]; env: Record<string, string> }>("POST", `/v1/pods/${segment(pod)}/exec`, { json: { argv, ...(app ? { app } : {}) } });
  return ctx.spawnInteractive(cmd.cmd, cmd.args, cmd.env);
}

async function podExec(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const rest = args.rest ?? [];
  const before = args.positionals.slice(0, args.positionals.length - rest.length);
  if (before.length !== 1 || rest.length === 0) throw fail("invalid", "JP_ERR_CLI_ARGS", "give the pod, then -- and the command", { hint: `usage: ${execCommand.usage}` });
  return execInPod(ctx, before[0]!, lastValue(args, "app"), rest);
}

async function podConsole(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const [pod] = expectPositionals(args, ["POD"], consoleCommand.usage) as [string];
  if (!ctx.stdin.isTTY) throw fail("invalid", "JP_ERR_CLI_TTY", "a console needs a terminal", { hint: `for one command, use: jetpack pod exec ${pod} -- CMD` });
  return execInPod(ctx, pod, lastValue(args, "app"), ["/bin/sh", "-l"]);
}

/** Pure. What `jetpack run` exits with: the first app's non-zero code (128+n for a signal), else 0. */
export function runExitCode(apps: PodSummary["apps"]): number {
  for (const a of apps) {
    if (a.exitCode !== null && a.exitCode !== 0) return a.exitCode;
    if (a.signal !== null) return 128 + (constants.signals[a.signal as NodeJS.Signals] ?? 0);
  }
  return 0;
}

/** Exit code of a run the user interrupted (as a shell reports SIGINT). */
const INTERRUPTED = 130;

async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const uuid = await createPod(args, ctx);
  if (uuid === undefined) return 0;
  // Ctrl-C stops the pod (its apps get SIGTERM, then SIGKILL): the run then ends as any run does, and
  // --rm still destroys it. A second Ctrl-C leaves at once, the pod as it is.
  let interrupted = false;
  let started = false;
  const stop = () => ctx.client.request("POST", `/v1/pods/${uuid}/stop`, { json: { timeoutMs: STOP_TIMEOUT_MS } }).catch(() => undefined);
  const giveBack = ctx.onInterrupt?.(() => {
    interrupted = true;
    ctx.stderr.write(`jetpack: stopping pod ${uuid} (interrupt again to leave it as it is)\n`);
    if (started) void stop();
  });
  try {
    await podOperation(ctx, "POST", `/v1/pods/${uuid}/start`);
    started = true;
    if (interrupted) await stop();
    const pod = await ctx.client.request<PodSummary>("GET", `/v1/pods/${uuid}`);
    const width = Math.max(...pod.apps.map((a) => a.name.length));
    const many = pod.apps.length > 1;
    // Each app's output as it comes, prefixed with its name when there are several; the streams end when the pod exits.
    await Promise.all(pod.apps.map(async (a) => copyPrefixed(await logStream(ctx, uuid, a.name, true), ctx, many ? `${a.name.padEnd(width)} | ` : "")));
    const done = await waitExited(ctx, uuid);
    if (interrupted) return INTERRUPTED;
    if (done.apps.some((a) => a.state === "exited" && (a.exitCode !== 0 || a.signal))) ctx.stderr.write(`jetpack: ${done.apps.map(appStateText).join(", ")}\n`);
    return runExitCode(done.apps);
  } finally {
    if (args.booleans.has("rm")) await podOperation(ctx, "DELETE", `/v1/pods/${uuid}`);
    giveBack?.();
  }
}

/** The grace period a run's apps get after Ctrl-C. */
const STOP_TIMEOUT_MS = 10_000;

/** Effects (API). Polls the pod until it has exited (the log streams end a moment before the state is recorded). */
async function waitExited(ctx: CliContext, uuid: string): Promise<PodSummary> {
  for (;;) {
    const pod = await ctx.client.request<PodSummary>("GET", `/v1/pods/${uuid}`);
    if (pod.state === "exited" || pod.state === "failed" || pod.state === "prepared") return pod;
    await (ctx.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms))))(100);
  }
}

export const logsCommand: Command = {
  words: ["pod", "logs"],
  usage: "jetpack pod logs POD [--app NAME] [--follow]",
  summary: "print an app's output (stdout and stderr); --follow keeps printing while the pod runs",
  flags: { boolean: ["follow"], value: ["app"] },
  run: podLogs,
};
export const execCommand: Command = {
  words: ["pod", "exec"],
  usage: "jetpack pod exec POD [--app NAME] -- CMD [ARGS...]",
  summary: "run a command in a running pod's app, as the app's user, with its environment; exits with its code",
  flags: { value: ["app"] },
  run: podExec,
};
export const consoleCommand: Command = {
  words: ["pod", "console"],
  usage: "jetpack pod console POD [--app NAME]",
  summary: "a shell in a running pod's app, on this terminal",
  flags: { value: ["app"] },
  run: podConsole,
};
export const runCommand: Command = {
  words: ["run"],
  usage: `jetpack run ${POD_CREATE_USAGE} [--rm]`,
  summary: "create and start a pod, print its apps' output, and exit with the first non-zero exit code",
  flags: { ...POD_CREATE_FLAGS, boolean: [...POD_CREATE_FLAGS.boolean, "rm"] },
  run,
};
