// jetpack history: the audit trail as a timeline (or JSON lines), `--follow` to tail it, and `--verify` of
// its hash chain.
import { setTimeout as sleepMs } from "node:timers/promises";
import { fail } from "../../../machines/errors.js";
import type { LogRecord, VerifyResult } from "../../../machines/log/index.js";
import { expectPositionals, intValue, lastValue, type ParsedArgs } from "../args.js";
import type { Query } from "../client.js";
import type { CliContext, Command } from "../context.js";
import { appStateText, displayImageId, imageNameWithLabels, jsonText, localTime, shortStream } from "../format.js";
import { parseTime } from "../time.js";

const usage =
  "jetpack history [--image ID] [--pod POD] [--stream S] [--type T] [--actor A] [--op ID] [--since TIME] [--until TIME] [--limit N] [--follow] [--json] [--verify]";

const FILTERS = ["image", "pod", "stream", "type", "actor", "op", "since", "until", "limit"] as const;

/** How often --follow asks for new records: soon enough to feel live, rare enough to cost nothing. */
export const FOLLOW_INTERVAL_MS = 300;

/** A page of GET /v1/events. */
interface EventsPage {
  events: LogRecord[];
  next: number | null;
  /** The last seq the daemon looked at (older daemons leave it out). */
  scanned?: number;
}

/** Records asked for per request: big enough to be few requests, small enough to start printing early. */
export const PAGE_SIZE = 1000;

/** Pure. The query of GET /v1/events for the flags given (times made absolute against `now`). */
export function eventsQuery(args: ParsedArgs, now: Date): Query {
  const time = (flag: "since" | "until") => {
    const v = lastValue(args, flag);
    return v === undefined ? undefined : parseTime(v, now, flag).toISOString();
  };
  const pod = lastValue(args, "pod");
  return {
    image: lastValue(args, "image"),
    ...(pod !== undefined ? { pod } : {}),
    stream: lastValue(args, "stream"),
    type: lastValue(args, "type"),
    actor: lastValue(args, "actor"),
    op: lastValue(args, "op"),
    since: time("since"),
    until: time("until"),
  };
}

function labelsOf(x: unknown): Array<{ name: string; value: string }> {
  return Array.isArray(x) ? x.filter((l): l is { name: string; value: string } => typeof l?.name === "string" && typeof l?.value === "string") : [];
}

/** Pure. A few words about what an event carries: the image, its name, where from, what went wrong. */
export function eventSummary(rec: LogRecord): string {
  const d = (rec.data ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof d.id === "string") parts.push(displayImageId(d.id));
  if (typeof d.name === "string" && rec.type !== "pod.app.exited") parts.push(imageNameWithLabels(d.name, labelsOf(d.labels)));
  const source = d.source as { path?: unknown } | undefined;
  if (typeof source?.path === "string") parts.push(`from ${source.path}`);
  // The audit trail must show who let an unverified image in.
  if (d.insecure === true) parts.push("UNVERIFIED (--insecure-options=image)");
  const error = d.error as { message?: unknown; code?: unknown } | undefined;
  if (typeof error?.message === "string") parts.push(`error: ${error.message}${typeof error.code === "string" ? ` (${error.code})` : ""}`);
  if (typeof d.reason === "string") parts.push(d.reason);
  parts.push(...podEventSummary(rec.type, d));
  return parts.join("  ");
}

/** Pure. An app status as an event carries it (PodAppStatusSchema), read defensively: the log is old data. */
function appOutcome(a: Record<string, unknown>): string {
  return appStateText({
    name: String(a.name),
    state: String(a.state),
    exitCode: typeof a.exitCode === "number" ? a.exitCode : null,
    signal: typeof a.signal === "string" ? a.signal : null,
  });
}

/** Pure. What a pod event adds to the timeline: the address it leased, the apps' exit codes, the grace period. */
function podEventSummary(type: string, d: Record<string, unknown>): string[] {
  if (!type.startsWith("pod.")) return [];
  const parts: string[] = [];
  if (type === "pod.create.requested" && typeof d.ip === "string") parts.push(`address ${d.ip}`);
  if (type === "pod.address.changed") parts.push(`address ${String(d.from)} answered; now ${String(d.to)}`);
  if (type === "pod.app.exited") parts.push(appOutcome(d));
  if (Array.isArray(d.apps) && type !== "pod.started") parts.push((d.apps as Array<Record<string, unknown>>).map(appOutcome).join(", "));
  if (type === "pod.stop.requested" && typeof d.timeoutMs === "number") parts.push(`SIGKILL after ${d.timeoutMs / 1000} s`);
  return parts;
}

/** Pure. One line of the timeline: local time, actor, type, short stream, summary. */
export function timelineLine(rec: LogRecord): string {
  const cols = [localTime(rec.time), rec.actor.padEnd(10), rec.type.padEnd(24), shortStream(rec.stream).padEnd(14), eventSummary(rec)];
  return `${cols.join("  ").trimEnd()}\n`;
}

/** Pure. What `--verify` prints for a sound chain, or the conflict error naming the first bad record. */
export function verifyOutcome(result: VerifyResult): string {
  if (result.ok) return `log verified: ${result.records} records, chain intact\n`;
  const { seq, line, reason } = result.firstBad;
  throw fail("conflict", "JP_ERR_LOG_BROKEN", `log broken at line ${line}${seq !== null ? ` (seq ${seq})` : ""}: ${reason}; ${result.records} records before it are intact`, {
    hint: "the log was changed or damaged outside jetpack: keep a copy of it and look at that line",
    details: result.firstBad,
  });
}

async function verify(ctx: CliContext): Promise<void> {
  const result = await ctx.client.request<VerifyResult>("GET", "/v1/events/verify");
  if (ctx.json) ctx.stdout.write(jsonText(result));
  const text = verifyOutcome(result);
  if (!ctx.json) ctx.stdout.write(text);
}

/** Where a reading of the log got to: the last seq it looked at (0 before the first record). */
export interface Cursor {
  after: number;
}

/**
 * Effects (API). Every matching record after `cursor.after`, oldest first, following `next` from page to
 * page; `cursor.after` moves past everything read, so a second call returns only what came since.
 */
export async function* allEvents(ctx: CliContext, query: Query, cursor: Cursor = { after: 0 }): AsyncGenerator<LogRecord> {
  for (;;) {
    const page = await ctx.client.request<EventsPage>("GET", "/v1/events", { query: { ...query, after: cursor.after, limit: PAGE_SIZE } });
    for (const rec of page.events) {
      cursor.after = Math.max(cursor.after, rec.seq);
      yield rec;
    }
    if (page.next === null || page.events.length === 0) {
      if (page.scanned !== undefined) cursor.after = Math.max(cursor.after, page.scanned);
      return;
    }
    cursor.after = page.next;
  }
}

/** Effects (API, sleeps). Prints each new matching record as it comes, until `signal` aborts. */
export async function followEvents(ctx: CliContext, query: Query, cursor: Cursor, show: (rec: LogRecord) => void, signal: AbortSignal): Promise<void> {
  const sleep = ctx.sleep ?? ((ms: number) => sleepMs(ms, undefined, { signal }).catch(() => undefined));
  while (!signal.aborted) {
    for await (const rec of allEvents(ctx, query, cursor)) show(rec);
    if (signal.aborted) return;
    await sleep(FOLLOW_INTERVAL_MS);
  }
}

/** Effects (process signals). Runs `body` with a signal that aborts on Ctrl-C, and lets Ctrl-C end it quietly. */
async function untilInterrupted(body: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once("SIGINT", stop);
  try {
    await body(ac.signal);
  } finally {
    process.off("SIGINT", stop);
  }
}

/** `signal` stops --follow; without one, Ctrl-C does. */
export async function history(args: ParsedArgs, ctx: CliContext, signal?: AbortSignal): Promise<void> {
  expectPositionals(args, [], usage);
  const follow = args.booleans.has("follow");
  if (args.booleans.has("verify")) {
    const also = follow ? "follow" : FILTERS.find((f) => args.values.has(f));
    if (also) throw fail("invalid", "JP_ERR_CLI_FLAG", `--verify checks the whole log; it takes no --${also}`);
    return verify(ctx);
  }
  const query = eventsQuery(args, new Date((ctx.now ?? Date.now)()));
  const limit = intValue(args, "limit", 1);
  const show = (rec: LogRecord) => ctx.stdout.write(ctx.json ? `${JSON.stringify(rec)}\n` : timelineLine(rec));
  const cursor: Cursor = { after: 0 };
  if (limit === undefined) {
    for await (const rec of allEvents(ctx, query, cursor)) show(rec);
  } else {
    // The last N: the log is read forward, so keep a window of N and print it at the end.
    const last: LogRecord[] = [];
    for await (const rec of allEvents(ctx, query, cursor)) {
      last.push(rec);
      if (last.length > limit) last.shift();
    }
    last.forEach(show);
  }
  if (!follow) return;
  if (signal) return followEvents(ctx, query, cursor, show, signal);
  return untilInterrupted((s) => followEvents(ctx, query, cursor, show, s));
}

export const historyCommand: Command = {
  words: ["history"],
  usage,
  summary: "show the audit trail of every change, or check its hash chain",
  details: [
    "One line per event, oldest first: local time, actor, event type, stream, and what it carried.",
    "  --image ID      events of the image with this ID (or ID prefix), destroyed ones included",
    "  --pod POD       events of the pod with this UUID (or UUID prefix, or name), destroyed ones included",
    "  --stream S      events of one stream (image/<uuid>)",
    "  --type T        one event type, or a prefix ending in * (image.import.*)",
    "  --actor A       events caused by one user (or system)",
    "  --op ID         events of one operation",
    "  --since TIME    from TIME on; TIME is a date, a date and time, or how long ago (10m, 2h, 1d)",
    "  --until TIME    up to TIME",
    "  --limit N       only the last N events that match",
    "  --follow        keep printing new events as they come, until Ctrl-C",
    "  --json          one JSON record per line, as the log stores it",
    "  --verify        check the log's hash chain; exit 5 naming the first bad record",
  ].join("\n"),
  flags: { boolean: ["verify", "follow"], value: ["image", "pod", "stream", "type", "actor", "op", "since", "until", "limit"] },
  run: history,
};
