// The filters of `jetpack history` (and GET /v1/events) as one predicate over records.
import type { LogRecord } from "./record.js";

export interface RecordFilter {
  stream?: string;
  streamPrefix?: string;
  /** Exact type, or a prefix ending in '*': `image.*` matches `image.import.requested`. */
  type?: string;
  actor?: string;
  op?: string;
  /** Records at or after this instant. */
  since?: Date;
  /** Records at or before this instant. */
  until?: Date;
}

/** Pure. Whether `rec` passes every filter that is set (an empty filter passes everything). */
export function matchRecord(rec: LogRecord, filter: RecordFilter): boolean {
  if (filter.stream !== undefined && rec.stream !== filter.stream) return false;
  if (filter.streamPrefix !== undefined && !rec.stream.startsWith(filter.streamPrefix)) return false;
  if (filter.type !== undefined && !typeMatches(rec.type, filter.type)) return false;
  if (filter.actor !== undefined && rec.actor !== filter.actor) return false;
  if (filter.op !== undefined && rec.op !== filter.op) return false;
  if (filter.since !== undefined || filter.until !== undefined) {
    const at = Date.parse(rec.time);
    if (filter.since !== undefined && !(at >= filter.since.getTime())) return false;
    if (filter.until !== undefined && !(at <= filter.until.getTime())) return false;
  }
  return true;
}

function typeMatches(type: string, pattern: string): boolean {
  return pattern.endsWith("*") ? type.startsWith(pattern.slice(0, -1)) : type === pattern;
}
