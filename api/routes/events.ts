// /v1/events: the audit trail, filtered and paged, and the check of its hash chain.
//
// `image` and `pod` filters find their streams in the log itself, not in the projections, so that the
// history of a destroyed image or pod stays reachable.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { matchRecord, readLog, verifyLog, type LogRecord } from "../../machines/log/index.js";
import { parseOrFail } from "../../machines/validate.js";
import type { ApiDeps } from "../deps.js";

const EventsQuery = z.strictObject({
  stream: z.string().optional(),
  image: z.string().optional(),
  /** A pod UUID, a prefix of one, or a pod's name (any pod that ever had it). */
  pod: z.string().regex(/^[a-z0-9-]{1,64}$/i, "a pod UUID, UUID prefix or name").optional(),
  type: z.string().optional(),
  actor: z.string().optional(),
  op: z.string().optional(),
  since: z.coerce.date().optional(),
  until: z.coerce.date().optional(),
  /** Only records after this seq (paging forward). */
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

export function eventRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get("/v1/events", { config: { openapi: { summary: "the audit trail, oldest first; page with after=next", query: EventsQuery } } }, async (req) => {
    const q = parseOrFail(EventsQuery, req.query, "JP_ERR_API_INVALID", "events query");
    const imageStreams = q.image ? await streamsOfImage(deps.logPath, q.image) : undefined;
    const podMatch = q.pod ? await podMatcher(deps.logPath, q.pod) : undefined;
    const events: LogRecord[] = [];
    let next: number | null = null;
    let lastSeq = q.after;
    for await (const rec of readLog(deps.logPath, { fromSeq: q.after + 1 })) {
      lastSeq = rec.seq;
      if (imageStreams && !imageStreams.has(rec.stream)) continue;
      if (podMatch && !podMatch(rec.stream)) continue;
      const filter = {
        ...(q.stream ? { stream: q.stream } : {}),
        ...(q.type ? { type: q.type } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.op ? { op: q.op } : {}),
        ...(q.since ? { since: q.since } : {}),
        ...(q.until ? { until: q.until } : {}),
      };
      if (!matchRecord(rec, filter)) continue;
      if (events.length === q.limit) {
        next = events[events.length - 1]!.seq;
        break;
      }
      events.push(rec);
    }
    // `scanned`: the last seq looked at, matching or not. A follower asks for what comes after it, and so
    // does not read again, twice a second, every record that its filter leaves out.
    return { events, next, scanned: next ?? lastSeq };
  });

  app.get("/v1/events/verify", { config: { openapi: { summary: "check the log's hash chain; names the first bad record" } } }, async () => verifyLog(deps.logPath));
}

/** The streams that ever held an image whose ID starts with `id` (destroyed ones included). */
async function streamsOfImage(logPath: string, id: string): Promise<Set<string>> {
  const want = id.startsWith("sha512-") ? id : `sha512-${id}`;
  const streams = new Set<string>();
  for await (const rec of readLog(logPath)) {
    const d = rec.data as { id?: unknown };
    if ((rec.type === "image.imported" || rec.type === "image.import.duplicate") && typeof d.id === "string" && d.id.startsWith(want)) streams.add(rec.stream);
  }
  return streams;
}

/**
 * Whether a stream belongs to the pod `ref` means: `pod/<ref>...` (a UUID or its prefix, destroyed pods
 * included), or a pod that was created under the name `ref`.
 */
async function podMatcher(logPath: string, ref: string): Promise<(stream: string) => boolean> {
  const prefix = `pod/${ref.toLowerCase()}`;
  const named = new Set<string>();
  for await (const rec of readLog(logPath)) {
    if (rec.type === "pod.create.requested" && (rec.data as { name?: unknown }).name === ref) named.add(rec.stream);
  }
  return (stream) => stream.startsWith(prefix) || named.has(stream);
}
