// Instants on the command line (`--since 2h`, `--until 2024-05-01`). Pure.
import { fail } from "../../machines/errors.js";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Pure. Reads TIME: `10m`, `2h`, `1d`, `30s`, `1w` mean that long before `now`; `2024-05-01` is local
 * midnight; `2024-05-01T12:00`, `2024-05-01 12:00:00` (local, as history prints) or with `Z`/`+02:00`
 * is that instant. Anything else is `invalid`, naming the flag.
 */
export function parseTime(text: string, now: Date, flag: string): Date {
  const relative = /^(\d+)([smhdw])$/.exec(text);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_SECONDS[relative[2]!]! * 1000);
  const day = DATE_ONLY.exec(text);
  if (day) {
    const d = new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    if (d.getMonth() === Number(day[2]) - 1 && d.getDate() === Number(day[3])) return d;
  } else if (DATE_TIME.test(text)) {
    // Without an offset, ECMAScript reads a date-time as local time, which is what history shows.
    const ms = Date.parse(text.replace(" ", "T"));
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw fail("invalid", "JP_ERR_CLI_TIME", `--${flag} ${text} is not a time`, {
    hint: "give a date (2024-05-01), a date and time (2024-05-01T12:00, local unless it ends in Z or +hh:mm), or how long ago (30s, 10m, 2h, 1d, 1w)",
  });
}

const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Pure. A duration flag (`10s`, `500ms`, `2m`, `1h`; a bare number is seconds) in milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!m) throw fail("invalid", "JP_ERR_CLI_FLAG", `--${flag} ${text} is not a duration`, { hint: "e.g. 10s, 500ms, 2m" });
  return Math.round(Number(m[1]) * DURATION_MS[m[2] ?? "s"]!);
}
