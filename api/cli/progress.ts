// The progress line of a long operation: on stderr, and only when stderr is a terminal, so pipes and
// logs get nothing but results. The text is pure; the drawer only decides when to redraw.
import type { Progress } from "../../machines/progress.js";
import { humanBytes, humanDuration } from "./format.js";

/** Pure. One line of progress: `fetch  12.3 MiB / 45.6 MiB (27%)  3.21 MiB/s  10s left`. */
export function progressText(p: Progress): string {
  const parts = [p.stage];
  const done = humanBytes(p.bytes);
  parts.push(p.total !== null ? `${done} / ${humanBytes(p.total)}${p.percent !== null ? ` (${Math.floor(p.percent)}%)` : ""}` : done);
  if (p.rate > 0) parts.push(`${humanBytes(p.rate)}/s`);
  if (p.etaSeconds !== null) parts.push(`${humanDuration(p.etaSeconds)} left`);
  return parts.join("  ");
}

export interface TerminalLike {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

/** Redraws at most this often: faster is flicker, and the API's numbers do not change faster. */
export const REDRAW_INTERVAL_MS = 100;

/** Draws one progress line in place with `\r`; does nothing at all unless the stream is a terminal. */
export class ProgressLine {
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(
    private readonly out: TerminalLike,
    private readonly now: () => number = Date.now,
  ) {}

  /** Shows `p`, unless the last redraw was under REDRAW_INTERVAL_MS ago. */
  update(p: Progress | null): void {
    if (!this.out.isTTY || p === null) return;
    const t = this.now();
    if (t - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.lastDraw = t;
    const width = Math.max((this.out.columns ?? 80) - 1, 10);
    // \x1b[K clears what a longer line before left behind.
    this.out.write(`\r${progressText(p).slice(0, width)}\x1b[K`);
    this.drawn = true;
  }

  /** Erases the line, so what comes next starts on a clean one. */
  clear(): void {
    if (!this.drawn) return;
    this.out.write("\r\x1b[K");
    this.drawn = false;
  }
}
