// Live progress of running operations (bytes, rate, time left). In memory only: progress is frequent and
// worthless after the fact, so it never goes to the log; the outcome does.
import { EventEmitter } from "node:events";

export interface Progress {
  stage: string;
  bytes: number;
  /** Total bytes when known. */
  total: number | null;
  /** Bytes per second over the operation so far. */
  rate: number;
  /** Seconds left at that rate, when the total is known. */
  etaSeconds: number | null;
  percent: number | null;
  startedAt: string;
}

/** Pure. Progress figures from a start time, a byte count and an optional total. */
export function computeProgress(stage: string, startedAtMs: number, nowMs: number, bytes: number, total: number | null): Progress {
  const elapsed = Math.max((nowMs - startedAtMs) / 1000, 0.001);
  const rate = bytes / elapsed;
  const left = total !== null ? Math.max(total - bytes, 0) : null;
  return {
    stage,
    bytes,
    total,
    rate,
    etaSeconds: left !== null && rate > 0 ? left / rate : null,
    percent: total ? Math.min(100, (bytes / total) * 100) : null,
    startedAt: new Date(startedAtMs).toISOString(),
  };
}

/** The board where workers post progress and the API reads it (and streams it). */
export class ProgressBoard extends EventEmitter {
  private readonly byOp = new Map<string, Progress>();

  post(op: string, p: Progress): void {
    this.byOp.set(op, p);
    this.emit("progress", op, p);
  }

  get(op: string): Progress | undefined {
    return this.byOp.get(op);
  }

  clear(op: string): void {
    this.byOp.delete(op);
  }
}
