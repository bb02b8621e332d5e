// jetpack pod create | start | stop | destroy | list | show: the pod lifecycle through the API.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { text } from "node:stream/consumers";
import { fail } from "../../../machines/errors.js";
import type { LogRecord } from "../../../machines/log/index.js";
import type { podSummary } from "../../routes/pods.js";
import { expectPositionals, lastValue, type ParsedArgs } from "../args.js";
import { segment } from "../client.js";
import type { CliContext, Command } from "../context.js";
import { appStateText, formatFields, formatTable, jsonText, localTime } from "../format.js";
import { POD_CREATE_FLAGS, POD_CREATE_USAGE, podCreateArgs } from "../pod-args.js";
import { parseDuration } from "../time.js";
import { waitShowingProgress, type OperationAnswer } from "../wait.js";
import { timelineLine } from "./history.js";

/** A pod as GET /v1/pods lists it. */
export type PodSummary = ReturnType<typeof podSummary>;
type PodAnswer = OperationAnswer & { pod: string };

/** Effects (API, stdin, files). Creates a pod from `pod create` arguments; returns its UUID, or undefined after a dry run (the manifest is printed). */
export async function createPod(args: ParsedArgs, ctx: CliContext): Promise<string | undefined> {
  const parsed = podCreateArgs(args);
  const template: Record<string, unknown> = { ...parsed.template };
  if (parsed.file !== undefined) {
    const raw = parsed.file === "-" ? await text(ctx.stdin) : await readFile(resolve(ctx.cwd, parsed.file), "utf8");
    try {
      template.manifest = JSON.parse(raw);
    } catch (err) {
      throw fail("invalid", "JP_ERR_CLI_MANIFEST", `${parsed.file} is not JSON: ${(err as Error).message}`, { hint: "give a pod manifest (appc spec §4) with -f" });
    }
  }
  const body = { template, ...(parsed.name ? { name: parsed.name } : {}), dryRun: parsed.dryRun };
  if (parsed.dryRun) {
    const answer = await ctx.client.request<{ manifest: unknown }>("POST", "/v1/pods", { json: body });
    ctx.stdout.write(jsonText(answer.manifest));
    return undefined;
  }
  const op = await ctx.client.request<PodAnswer>("POST", "/v1/pods", { json: body });
  await waitShowingProgress(ctx, op.id);
  return op.pod;
}

/** Effects (API). Asks for a pod operation and waits for it to end. */
export async function podOperation(ctx: CliContext, method: "POST" | "DELETE", path: string, json?: unknown): Promise<OperationAnswer> {
  const op = await ctx.client.request<PodAnswer>(method, path, json === undefined ? {} : { json });
  return waitShowingProgress(ctx, op.id);
}

async function podCreate(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const uuid = await createPod(args, ctx);
  if (uuid !== undefined) ctx.stdout.write(ctx.json ? jsonText({ uuid }) : `${uuid}\n`);
}

function onePod(args: ParsedArgs, usage: string): string {
  return expectPositionals(args, ["POD"], usage)[0]!;
}

async function podStart(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const done = await podOperation(ctx, "POST", `/v1/pods/${segment(onePod(args, startUsage))}/start`);
  if (ctx.json) ctx.stdout.write(jsonText(done));
}

async function podStop(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const timeout = lastValue(args, "timeout");
  const timeoutMs = timeout === undefined ? 10_000 : parseDuration(timeout, "timeout");
  const done = await podOperation(ctx, "POST", `/v1/pods/${segment(onePod(args, stopUsage))}/stop`, { timeoutMs });
  if (ctx.json) ctx.stdout.write(jsonText(done));
}

async function podDestroy(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const done = await podOperation(ctx, "DELETE", `/v1/pods/${segment(onePod(args, destroyUsage))}`);
  if (ctx.json) ctx.stdout.write(jsonText(done));
}

async function podList(args: ParsedArgs, ctx: CliContext): Promise<void> {
  expectPositionals(args, [], "jetpack pod list [--json]");
  const { pods } = await ctx.client.request<{ pods: PodSummary[] }>("GET", "/v1/pods");
  if (ctx.json) return void ctx.stdout.write(jsonText(pods));
  const rows = pods.map((p) => [p.uuid, p.name ?? "-", p.state, p.ip ?? "-", p.apps.map(appStateText).join(", ")]);
  ctx.stdout.write(formatTable(["UUID", "NAME", "STATE", "IP", "APPS"], rows));
}

async function podShow(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const ref = onePod(args, "jetpack pod show POD [--json]");
  const pod = await ctx.client.request<PodSummary & { manifest: unknown }>("GET", `/v1/pods/${segment(ref)}`);
  const { events } = await ctx.client.request<{ events: LogRecord[] }>("GET", "/v1/events", { query: { stream: `pod/${pod.uuid}`, limit: 1000 } });
  if (ctx.json) return void ctx.stdout.write(jsonText({ ...pod, history: events }));
  const fields: Array<[string, string]> = [
    ["uuid", pod.uuid],
    ["name", pod.name ?? "-"],
    ["state", pod.state],
    ["ip", pod.ip ?? "-"],
    ["created", `${localTime(pod.createdAt)} by ${pod.createdBy}`],
    ...pod.apps.map((a): [string, string] => [`app ${a.name}`, `${a.image}  ${appStateText(a)}${a.reason ? `  (${a.reason})` : ""}`]),
    ...pod.isolatorsIgnored.map((i): [string, string] => ["not enforced", `${i.app ? `app ${i.app}: ` : ""}${i.name}: ${i.reason}`]),
  ];
  if (pod.lastError) fields.push(["last error", `${pod.lastError.message} (${pod.lastError.code})`]);
  ctx.stdout.write(formatFields(fields));
  ctx.stdout.write(`\nmanifest:\n${jsonText(pod.manifest)}\nhistory:\n`);
  for (const rec of events) ctx.stdout.write(timelineLine(rec));
}

const startUsage = "jetpack pod start POD [--json]";
const stopUsage = "jetpack pod stop POD [--timeout 10s] [--json]";
const destroyUsage = "jetpack pod destroy POD [--json]";

export const podCreateCommand: Command = {
  words: ["pod", "create"],
  usage: `jetpack pod create ${POD_CREATE_USAGE}`,
  summary: "create a pod from images (and/or a pod manifest): clones each app's rootfs; prints the pod's UUID",
  details: "IMAGE: an image ID (or a unique prefix), or NAME[:VERSION][,label=value]. -a before the first IMAGE annotates the pod, after an IMAGE that app.",
  flags: POD_CREATE_FLAGS,
  run: podCreate,
};
export const podStartCommand: Command = { words: ["pod", "start"], usage: startUsage, summary: "start a prepared or exited pod's apps", flags: {}, run: podStart };
export const podStopCommand: Command = {
  words: ["pod", "stop"],
  usage: stopUsage,
  summary: "stop a pod: SIGTERM to its apps, SIGKILL after the timeout",
  flags: { value: ["timeout"] },
  run: podStop,
};
export const podDestroyCommand: Command = { words: ["pod", "destroy"], usage: destroyUsage, summary: "destroy a pod (stopping it first) and its datasets", flags: {}, run: podDestroy };
export const podListCommand: Command = { words: ["pod", "list"], usage: "jetpack pod list [--json]", summary: "list pods with their state, address and apps", flags: {}, run: podList };
export const podShowCommand: Command = { words: ["pod", "show"], usage: "jetpack pod show POD [--json]", summary: "show a pod: state, apps, manifest and history", flags: {}, run: podShow };
