// Checking the whole chain, for `jetpack history --verify`.
import { fail } from "../errors.js";
import { readLines } from "./lines.js";
import { EMPTY_HEAD, hashMatches, linkProblem, parseRecordLine, type ChainHead } from "./record.js";

export type VerifyResult =
  | { ok: true; records: number; lastHash: string }
  | { ok: false; records: number; firstBad: { seq: number | null; line: number; reason: string } };

/**
 * Effects. Reads the log at `path` and checks that every line parses, seqs run 1, 2, 3..., each `prev` is
 * the hash of the record before, and each hash matches its record. Names the first bad line (its number,
 * its seq when it has one, and why); `records` counts the good records before it.
 */
export async function verifyLog(path: string): Promise<VerifyResult> {
  let head: ChainHead = EMPTY_HEAD;
  let records = 0;
  try {
    for await (const line of readLines(path)) {
      const parsed = parseRecordLine(line.bytes.toString("utf8"));
      const bad = (seq: number | null, reason: string): VerifyResult => ({ ok: false, records, firstBad: { seq, line: line.number, reason } });
      if (!parsed.ok) return bad(null, line.terminated ? parsed.reason : `${parsed.reason}, and has no newline (a write cut short)`);
      const rec = parsed.record;
      if (!line.terminated) return bad(rec.seq, "no newline at the end (a write cut short)");
      if (!hashMatches(rec)) return bad(rec.seq, "hash does not match content");
      const link = linkProblem(head, rec);
      if (link) return bad(rec.seq, link);
      head = { seq: rec.seq, hash: rec.hash };
      records++;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw fail("not_found", "JP_ERR_LOG_NOT_FOUND", `the event log ${path} does not exist`, { hint: "Check the path of the log." });
    }
    throw err;
  }
  return { ok: true, records, lastHash: head.hash };
}
