// What the writer learns from the end of the file when it opens it: where the chain stands, and whether
// the last line is a torn write to cut away.
//
// Only the end is examined. A crash during a (group) write leaves at most a fragment with no newline
// after it, and possibly one whole line that is not a valid next record; both are cut. Anything wrong
// further back is corruption, not a torn write: it stays on disk for `verifyLog` to report.
import type { FileHandle } from "node:fs/promises";
import { readLinesBackward, type TailLine } from "./lines.js";
import { EMPTY_HEAD, hashMatches, linkProblem, parseRecordLine, type ChainHead, type LogRecord } from "./record.js";

export interface TailState {
  /** Where the chain stands once the torn tail is gone. */
  head: ChainHead;
  /** Byte offset to truncate the file at; equals the file size when nothing is torn. */
  cutAt: number;
  /** Why bytes are cut, for the operator; empty when nothing is. */
  reasons: string[];
}

/** Effects. Reads the end of an open log of `size` bytes and decides what, if anything, to cut. */
export async function examineTail(file: FileHandle, size: number): Promise<TailState> {
  const lines = readLinesBackward(file, size);
  try {
    return await decide(lines, size);
  } finally {
    await lines.return(undefined);
  }
}

async function decide(lines: AsyncGenerator<TailLine>, size: number): Promise<TailState> {
  const reasons: string[] = [];
  let cutAt = size;
  let next = await lines.next();
  if (!next.done && !next.value.terminated) {
    reasons.push(`last line has no newline (${next.value.bytes.length} bytes)`);
    cutAt = next.value.start;
    next = await lines.next();
  }
  if (next.done) return { head: EMPTY_HEAD, cutAt, reasons };

  const last = next.value;
  const parsed = parseRecordLine(last.bytes.toString("utf8"));
  const before = await lines.next();
  const beforeRecord = before.done ? null : parseHead(before.value);
  let problem: string;
  if (!parsed.ok) problem = `last line is ${parsed.reason}`;
  else if (!hashMatches(parsed.record)) problem = "last line's hash does not match its content";
  else {
    // When the line before is itself unreadable the link cannot be judged; that corruption is verify's to report.
    const link = before.done ? linkProblem(EMPTY_HEAD, parsed.record) : beforeRecord ? linkProblem(toHead(beforeRecord), parsed.record) : null;
    if (link === null) return { head: toHead(parsed.record), cutAt, reasons };
    problem = `last record does not follow the one before: ${link}`;
  }

  reasons.push(problem);
  cutAt = last.start;
  if (before.done) return { head: EMPTY_HEAD, cutAt, reasons };
  if (beforeRecord) return { head: toHead(beforeRecord), cutAt, reasons };
  // The new last line is damaged too (corruption before the tail): continue the chain after the last
  // record that still reads, and leave the damage in place for verify to name.
  for (let earlier = await lines.next(); !earlier.done; earlier = await lines.next()) {
    const rec = parseHead(earlier.value);
    if (rec) return { head: toHead(rec), cutAt, reasons };
  }
  return { head: EMPTY_HEAD, cutAt, reasons };
}

function parseHead(line: TailLine): LogRecord | null {
  const parsed = parseRecordLine(line.bytes.toString("utf8"));
  return parsed.ok ? parsed.record : null;
}

function toHead(rec: LogRecord): ChainHead {
  return { seq: rec.seq, hash: rec.hash };
}
