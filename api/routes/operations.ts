// /v1/operations: the state, progress and outcome of queued requests, as answers or as a live stream of
// server-sent events.
import { once } from "node:events";
import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { fail } from "../../machines/errors.js";
import type { Progress } from "../../machines/progress.js";
import type { OperationView } from "../../machines/projections/operations.js";
import { parseOrFail } from "../../machines/validate.js";
import type { ApiDeps } from "../deps.js";

const ListQuery = z.strictObject({
  state: z.enum(["queued", "running", "succeeded", "failed"]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export type OperationAnswer = OperationView & { progress: Progress | null };

/** How often the stream looks at the projection (the log has no push); progress posts wake it at once. */
export const SSE_POLL_MS = 100;
/** A comment line this often keeps proxies and idle timers from closing a quiet stream. */
export const SSE_KEEPALIVE_MS = 15_000;

/** The answer for one operation: what the log says about it, plus its live progress. */
export function operationAnswer(deps: ApiDeps, id: string): OperationAnswer {
  const view = deps.operations().get(id);
  if (!view) throw fail("not_found", "JP_ERR_OP_NOT_FOUND", `no operation ${id}`, { hint: "see `jetpack op list`" });
  return { ...view, progress: deps.progress.get(id) ?? null };
}

/** Pure. True once an operation can change no more. */
export function isFinalState(state: string): boolean {
  return state === "succeeded" || state === "failed";
}

export interface StreamEvent {
  event: "state" | "progress";
  data: unknown;
}

/**
 * Pure. What a watcher must be told going from `prev` to `next`: the whole answer as `state` when the
 * operation moved (or at first sight), else its progress as `progress` when that moved, else nothing.
 */
export function operationChanges(prev: OperationAnswer | undefined, next: OperationAnswer): StreamEvent[] {
  if (!prev || prev.state !== next.state || prev.updatedAt !== next.updatedAt) return [{ event: "state", data: next }];
  if (next.progress && JSON.stringify(prev.progress) !== JSON.stringify(next.progress)) return [{ event: "progress", data: next.progress }];
  return [];
}

/** Pure. One server-sent event: `event: NAME`, one `data:` line of JSON, a blank line. */
export function sseFrame(e: StreamEvent): string {
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/** Resolves after `ms`, or sooner when operation `id` posts progress or `signal` aborts. */
async function nextTick(deps: ApiDeps, id: string, ms: number, signal: AbortSignal): Promise<void> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  signal.addEventListener("abort", stop, { once: true });
  const timer = setTimeout(stop, ms);
  const onProgress = (op: string) => op === id && stop();
  deps.progress.on("progress", onProgress);
  try {
    await once(ac.signal, "abort");
  } finally {
    clearTimeout(timer);
    deps.progress.off("progress", onProgress);
    signal.removeEventListener("abort", stop);
  }
}

/** The frames of operation `id` until it ends (its final state is the last frame) or `signal` aborts. */
export async function* operationFrames(deps: ApiDeps, id: string, signal: AbortSignal, pollMs = SSE_POLL_MS): AsyncGenerator<string> {
  let prev: OperationAnswer | undefined;
  let quietSince = Date.now();
  while (!signal.aborted) {
    const view = deps.operations().get(id);
    // Gone from the projection (it cannot be, but a stream must not spin forever on nothing).
    if (!view) return;
    const next = { ...view, progress: deps.progress.get(id) ?? null };
    const changes = operationChanges(prev, next);
    for (const e of changes) yield sseFrame(e);
    prev = next;
    if (isFinalState(next.state)) return;
    if (changes.length > 0) quietSince = Date.now();
    else if (Date.now() - quietSince >= SSE_KEEPALIVE_MS) {
      yield ": keep-alive\n\n";
      quietSince = Date.now();
    }
    await nextTick(deps, id, pollMs, signal);
  }
}

export function operationRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get("/v1/operations", { config: { openapi: { summary: "recent operations", query: ListQuery } } }, async (req) => {
    const q = parseOrFail(ListQuery, req.query, "JP_ERR_API_INVALID", "operations query");
    const all = [...deps.operations().values()].filter((o) => !q.state || o.state === q.state);
    return { operations: all.slice(-q.limit).map((o) => ({ ...o, progress: deps.progress.get(o.id) ?? null })) };
  });

  app.get("/v1/operations/:id", { config: { openapi: { summary: "one operation: state, progress, result or error" } } }, async (req) => operationAnswer(deps, (req.params as { id: string }).id));

  // Open streams end when the server closes, or a daemon stopping would wait for every watched operation.
  const open = new Set<AbortController>();
  app.addHook("preClose", (done) => {
    for (const c of open) c.abort();
    done();
  });
  const eventsDoc = { summary: "the operation as server-sent events (`state`, `progress`) until it ends", produces: "text/event-stream" };
  app.get("/v1/operations/:id/events", { config: { openapi: eventsDoc } }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    operationAnswer(deps, id); // 404 before any stream starts
    const closed = new AbortController();
    open.add(closed);
    closed.signal.addEventListener("abort", () => open.delete(closed), { once: true });
    reply.raw.once("close", () => closed.abort());
    reply.header("content-type", "text/event-stream; charset=utf-8").header("cache-control", "no-cache").header("x-accel-buffering", "no");
    return reply.send(Readable.from(operationFrames(deps, id, closed.signal)));
  });
}
