// jetpack history: the audit trail as a timeline (or JSON lines), and `--verify` of its hash chain.
import { fail } from "../../../machines/errors.js";
import type { LogRecord, VerifyResult } from "../../../machines/log/index.js";
import { expectPositionals, intValue, lastValue, type ParsedArgs } from "../args.js";
import type { Query } from "../client.js";
import type { CliContext, Command } from "../context.js";
import { displayImageId, imageNameWithLabels, jsonText, localTime, shortStream } from "../format.js";
import { parseTime } from "../time.js";

const usage =
  "jetpack history [--image ID] [--stream S] [--type T] [--actor A] [--op ID] [--since TIME] [--until TIME] [--limit N] [--json] [--verify]";

const FILTERS = ["image", "stream", "type", "actor", "op", "since", "until", "limit"] as const;

/** Records asked for per request: big enough to be few requests, small enough to start printing early. */
export const PAGE_SIZE = 1000;

/** Pure. The query of GET /v1/events for the flags given (times made absolute against `now`). */
export function eventsQuery(args: ParsedArgs, now: Date): Query {
  const time = (flag: "since" | "until") => {
    const v = lastValue(args, flag);
    return v === undefined ? undefined : parseTime(v, now, flag).toISOString();
  };
  return {
    image: lastValue(args, "image"),
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
  if (typeof d.name === "string") parts.push(imageNameWithLabels(d.name, labelsOf(d.labels)));
  const source = d.source as { path?: unknown } | undefined;
  if (typeof source?.path === "string") parts.push(`from ${source.path}`);
  // The audit trail must show who let an unverified image in.
  if (d.insecure === true) parts.push("UNVERIFIED (--insecure-options=image)");
  const error = d.error as { message?: unknown; code?: unknown } | undefined;
  if (typeof error?.message === "string") parts.push(`error: ${error.message}${typeof error.code === "string" ? ` (${error.code})` : ""}`);
  if (typeof d.reason === "string") parts.push(d.reason);
  return parts.join("  ");
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

/** Effects (API). Every matching record, oldest first, following `next` from page to page. */
export async function* allEvents(ctx: CliContext, query: Query): AsyncGenerator<LogRecord> {
  let after = 0;
  for (;;) {
    const page = await ctx.client.request<{ events: LogRecord[]; next: number | null }>("GET", "/v1/events", { query: { ...query, after, limit: PAGE_SIZE } });
    yield* page.events;
    if (page.next === null || page.events.length === 0) return;
    after = page.next;
  }
}

export async function history(args: ParsedArgs, ctx: CliContext): Promise<void> {
  expectPositionals(args, [], usage);
  if (args.booleans.has("verify")) {
    const also = FILTERS.find((f) => args.values.has(f));
    if (also) throw fail("invalid", "JP_ERR_CLI_FLAG", `--verify checks the whole log; it takes no --${also}`);
    return verify(ctx);
  }
  const query = eventsQuery(args, new Date((ctx.now ?? Date.now)()));
  const limit = intValue(args, "limit", 1);
  const show = (rec: LogRecord) => ctx.stdout.write(ctx.json ? `${JSON.stringify(rec)}\n` : timelineLine(rec));
  if (limit === undefined) {
    for await (const rec of allEvents(ctx, query)) show(rec);
    return;
  }
  // The last N: the log is read forward, so keep a window of N and print it at the end.
  const last: LogRecord[] = [];
  for await (const rec of allEvents(ctx, query)) {
    last.push(rec);
    if (last.length > limit) last.shift();
  }
  last.forEach(show);
}

export const historyCommand: Command = {
  words: ["history"],
  usage,
  summary: "show the audit trail of every change, or check its hash chain",
  details: [
    "One line per event, oldest first: local time, actor, event type, stream, and what it carried.",
    "  --image ID      events of the image with this ID (or ID prefix), destroyed ones included",
    "  --stream S      events of one stream (image/<uuid>)",
    "  --type T        one event type, or a prefix ending in * (image.import.*)",
    "  --actor A       events caused by one user (or system)",
    "  --op ID         events of one operation",
    "  --since TIME    from TIME on; TIME is a date, a date and time, or how long ago (10m, 2h, 1d)",
    "  --until TIME    up to TIME",
    "  --limit N       only the last N events that match",
    "  --json          one JSON record per line, as the log stores it",
    "  --verify        check the log's hash chain; exit 5 naming the first bad record",
  ].join("\n"),
  flags: { boolean: ["verify"], value: ["image", "stream", "type", "actor", "op", "since", "until", "limit"] },
  run: history,
};
