// Waiting for an operation: follow GET /v1/operations/:id/events (server-sent events) until it ends,
// showing its progress meanwhile; if the stream cannot be had or breaks, poll GET /v1/operations/:id.
import { setTimeout as sleepMs } from "node:timers/promises";
import { JetpackError } from "../../machines/errors.js";
import type { Progress } from "../../machines/progress.js";
import type { OperationView } from "../../machines/projections/operations.js";
import { segment, type ApiClient, type SseEvent } from "./client.js";
import type { CliContext } from "./context.js";
import { ProgressLine } from "./progress.js";

/** An operation as the API answers it: what the log says, plus live progress. */
export type OperationAnswer = OperationView & { progress: Progress | null };

/** Between polls: quick enough that a short operation feels instant, slow enough to cost the daemon nothing. */
export const POLL_INTERVAL_MS = 150;

export interface WaitOptions {
  onProgress?: (p: Progress | null) => void;
  sleep?: (ms: number) => Promise<unknown>;
  intervalMs?: number;
}

/** Pure. True once an operation can change no more. */
export function isFinished(op: Pick<OperationView, "state">): boolean {
  return op.state === "succeeded" || op.state === "failed";
}

/** Pure. The final answer of a finished operation, or its error (as a JetpackError, kind and hint kept) when it failed. */
export function outcome(op: OperationAnswer): OperationAnswer {
  if (op.state !== "failed") return op;
  throw JetpackError.fromData(op.error ?? { code: "JP_ERR_OP_FAILED", kind: "internal", message: `operation ${op.id} failed` });
}

/** Pure. What one server-sent event of an operation says: its new answer, its new progress, or nothing we know. */
export function readOperationEvent(e: SseEvent): { state: OperationAnswer } | { progress: Progress } | undefined {
  if (e.event !== "state" && e.event !== "progress") return undefined;
  const data = JSON.parse(e.data) as unknown;
  if (e.event === "state") return { state: data as OperationAnswer };
  return { progress: data as Progress };
}

/**
 * Effects (API). Follows the operation's event stream; the final answer, or undefined when the stream
 * could not be had or ended before the operation did (the caller polls then). An unknown operation is
 * not a broken stream: its 404 is thrown.
 */
export async function streamOperation(client: ApiClient, id: string, opts: WaitOptions = {}): Promise<OperationAnswer | undefined> {
  if (!client.events) return undefined;
  try {
    for await (const e of client.events(`/v1/operations/${segment(id)}/events`)) {
      const said = readOperationEvent(e);
      if (!said) continue;
      if ("progress" in said) {
        opts.onProgress?.(said.progress);
        continue;
      }
      if (isFinished(said.state)) return said.state;
      opts.onProgress?.(said.state.progress);
    }
  } catch (err) {
    if (err instanceof JetpackError && err.code === "JP_ERR_OP_NOT_FOUND") throw err;
  }
  return undefined;
}

/** Effects (API). Polls operation `id` until it ends. */
export async function pollOperation(client: ApiClient, id: string, opts: WaitOptions = {}): Promise<OperationAnswer> {
  const sleep = opts.sleep ?? sleepMs;
  for (;;) {
    const op = await client.request<OperationAnswer>("GET", `/v1/operations/${segment(id)}`);
    if (isFinished(op)) return op;
    opts.onProgress?.(op.progress);
    await sleep(opts.intervalMs ?? POLL_INTERVAL_MS);
  }
}

/** Effects (API). Waits for operation `id` to end (stream first, polls if it breaks); returns its final answer or throws its error. */
export async function waitForOperation(client: ApiClient, id: string, opts: WaitOptions = {}): Promise<OperationAnswer> {
  const streamed = await streamOperation(client, id, opts);
  return outcome(streamed ?? (await pollOperation(client, id, opts)));
}

/** Effects (API, stderr). Waits for operation `id` as a command does: with a progress line on a terminal, erased at the end. */
export async function waitShowingProgress(ctx: CliContext, id: string): Promise<OperationAnswer> {
  const line = new ProgressLine(ctx.stderr, ctx.now);
  try {
    return await waitForOperation(ctx.client, id, { onProgress: (p) => line.update(p), ...(ctx.sleep ? { sleep: ctx.sleep } : {}) });
  } finally {
    line.clear();
  }
}
