// Reading the log back, record by record, for replay at boot and for `jetpack history`.
import { fail } from "../errors.js";
import { readLines } from "./lines.js";
import { EMPTY_HEAD, hashMatches, linkProblem, parseRecordLine, type ChainHead, type LogRecord, type ParsedLine } from "./record.js";

export interface ReadLogOptions {
  /** The first seq to yield. */
  fromSeq?: number;
  /** Told about each unreadable line before the last, which is skipped. */
  onCorruptLine?: (info: { line: number; reason: string }) => void;
}

/**
 * Effects. Streams the records of the log at `path` (from `fromSeq` on), one line in memory at a time.
 *
 * The last line is judged as the writer judges it on open: with no newline, unparseable, with a hash
 * that does not match, or not linking to the record before, it is a write in progress or cut short, and
 * reading stops before it without an error. An unparseable line further back is skipped and reported
 * through `onCorruptLine`: the daemon must still boot so users can inspect the damage, and since every
 * record carries its stream's snapshot, the next record of that stream sets its state right again. A
 * middle record whose hash or link is wrong is still yielded: finding tampering is `verifyLog`'s job, and
 * users must see what is there.
 */
export async function* readLog(path: string, opts: ReadLogOptions = {}): AsyncGenerator<LogRecord> {
  const fromSeq = opts.fromSeq ?? 1;
  let held: { number: number; parsed: ParsedLine } | null = null;
  // The record before `held`; null when that line was unreadable, so the link cannot be judged (as on open).
  let beforeHeld: ChainHead | null = EMPTY_HEAD;
  try {
    for await (const line of readLines(path)) {
      if (!line.terminated) break;
      if (held?.parsed.ok === true) {
        const rec = held.parsed.record;
        beforeHeld = { seq: rec.seq, hash: rec.hash };
        if (rec.seq >= fromSeq) yield rec;
      } else if (held?.parsed.ok === false) {
        beforeHeld = null;
        opts.onCorruptLine?.({ line: held.number, reason: held.parsed.reason });
      }
      held = { number: line.number, parsed: parseRecordLine(line.bytes.toString("utf8")) };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw fail("not_found", "JP_ERR_LOG_NOT_FOUND", `the event log ${path} does not exist`, {
        hint: "Check the path, or start the daemon once: it creates the log.",
      });
    }
    throw err;
  }
  const last = held?.parsed;
  const linked = (rec: LogRecord) => beforeHeld === null || linkProblem(beforeHeld, rec) === null;
  if (last?.ok && hashMatches(last.record) && linked(last.record) && last.record.seq >= fromSeq) {
    yield last.record;
  }
}
