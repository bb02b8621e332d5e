// Waiting for an operation: poll GET /v1/operations/:id until it ends, showing its progress meanwhile.
import { setTimeout as sleepMs } from "node:timers/promises";
import { JetpackError } from "../../machines/errors.js";
import type { Progress } from "../../machines/progress.js";
import type { OperationView } from "../../machines/projections/operations.js";
import { segment, type ApiClient } from "./client.js";
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

/** Effects (API). Polls operation `id` until it ends; returns its final answer or throws its error. */
export async function waitForOperation(client: ApiClient, id: string, opts: WaitOptions = {}): Promise<OperationAnswer> {
  const sleep = opts.sleep ?? sleepMs;
  for (;;) {
    const op = await client.request<OperationAnswer>("GET", `/v1/operations/${segment(id)}`);
    if (isFinished(op)) return outcome(op);
    opts.onProgress?.(op.progress);
    await sleep(opts.intervalMs ?? POLL_INTERVAL_MS);
  }
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
