// /v1/events: the audit trail, filtered and paged, and the check of its hash chain.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { matchRecord, readLog, verifyLog, type LogRecord } from "../../machines/log/index.js";
import { parseOrFail } from "../../machines/validate.js";
import type { ApiDeps } from "../deps.js";

const EventsQuery = z.strictObject({
  stream: z.string().optional(),
  image: z.string().optional(),
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
  app.get("/v1/events", async (req) => {
    const q = parseOrFail(EventsQuery, req.query, "JP_ERR_API_INVALID", "events query");
    const imageStreams = q.image ? await streamsOfImage(deps.logPath, q.image) : undefined;
    const events: LogRecord[] = [];
    let next: number | null = null;
    for await (const rec of readLog(deps.logPath, { fromSeq: q.after + 1 })) {
      if (imageStreams && !imageStreams.has(rec.stream)) continue;
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
    return { events, next };
  });

  app.get("/v1/events/verify", async () => verifyLog(deps.logPath));
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
