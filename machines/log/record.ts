// The shape of one log record and the pure rules every reader and the writer share: how a record is
// sealed (seq, time, prev, hash), how a line on disk is parsed, and how a record links to the one before.
import { createHash } from "node:crypto";
import { z } from "zod";
import { fail } from "../errors.js";
import { parseOrFail } from "../validate.js";
import { canonicalJson } from "./canonical-json.js";

export interface JobSpec {
  queue: string;
  name: string;
  id: string;
  data: unknown;
  opts?: { delay?: number; attempts?: number };
}

export interface LogRecord {
  seq: number;
  time: string;
  stream: string;
  type: string;
  actor: string;
  op?: string;
  data: unknown;
  state?: unknown;
  jobs?: JobSpec[];
  prev: string;
  hash: string;
}

export type RecordDraft = Omit<LogRecord, "seq" | "time" | "prev" | "hash"> & { time?: string };

/** The `prev` of the first record: there is nothing before it. */
export const GENESIS_HASH = "0".repeat(64);

const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex digits");

const jobSpecSchema = z.strictObject({
  queue: z.string().min(1),
  name: z.string().min(1),
  // BullMQ refuses custom job ids that contain ':' (its key separator) or read as an integer; refuse
  // them here, before they become durable in a record whose jobs could then never be enqueued.
  id: z
    .string()
    .min(1)
    .refine((id) => !id.includes(":"), "a job id must not contain ':'")
    .refine((id) => `${parseInt(id, 10)}` !== id, "a job id must not be an integer"),
  data: z.unknown(),
  opts: z.strictObject({ delay: z.number().int().nonnegative().optional(), attempts: z.number().int().positive().optional() }).optional(),
});

const draftShape = {
  time: z.string().regex(ISO_UTC_MS, "expected ISO 8601 UTC with milliseconds").optional(),
  stream: z.string().min(1),
  type: z.string().min(1),
  actor: z.string().min(1),
  op: z.string().min(1).optional(),
  data: z.unknown(),
  state: z.unknown().optional(),
};

// Strict: a misspelt field (`stat` for `state`) is an error, not a silently dropped snapshot.
const draftSchema = z.strictObject({ ...draftShape, jobs: z.array(jobSpecSchema).optional() });

// Lenient when reading: the hash, not the schema, decides whether a stored record is intact.
const recordSchema = z.object({
  ...draftShape,
  jobs: z.array(z.object({ queue: z.string(), name: z.string(), id: z.string() })).optional(),
  seq: z.number().int().positive(),
  time: z.string().regex(ISO_UTC_MS, "expected ISO 8601 UTC with milliseconds"),
  prev: hex64,
  hash: hex64,
});

/** A draft after validation, reduced to plain JSON data (what a reader will see after parsing the line). */
export type NormalizedDraft = RecordDraft & { data: unknown };

/** Pure. Validates a draft and turns its payloads into plain JSON data; throws `invalid` naming the fields at fault. */
export function normalizeDraft(draft: RecordDraft): NormalizedDraft {
  const checked = parseOrFail(draftSchema, draft, "JP_ERR_LOG_RECORD", "log record");
  // The round trip makes the returned record equal to what readers parse later (Dates become strings,
  // undefined fields vanish), and surfaces BigInt or cycles here, failing only this caller. canonicalJson
  // follows JSON.stringify's rules, so the plain copy hashes the same as the original would.
  let plain: NormalizedDraft;
  try {
    plain = JSON.parse(JSON.stringify(checked)) as NormalizedDraft;
  } catch (err) {
    throw fail("invalid", "JP_ERR_LOG_NOT_JSON", `log record for ${draft.stream} cannot be written as JSON: ${(err as Error).message}`, {
      hint: "Pass plain data (objects, arrays, strings, numbers, booleans, null); write large integers as strings.",
    });
  }
  if (plain.data === undefined) plain.data = null;
  return plain;
}

/** Pure. sha256 hex of the canonical JSON of the record without its `hash` field. */
export function hashRecord(rec: Omit<LogRecord, "hash">): string {
  const { hash: _ignored, ...rest } = rec as LogRecord;
  return sha256(canonicalJson(rest));
}

/** Pure. The full record for a normalized draft at `seq`, chained after `prev`, and the line that stores it. */
export function sealRecord(draft: NormalizedDraft, seq: number, time: string, prev: string): { record: LogRecord; line: string } {
  const rec: Omit<LogRecord, "hash"> = {
    seq,
    time: draft.time ?? time,
    stream: draft.stream,
    type: draft.type,
    actor: draft.actor,
    data: draft.data,
    prev,
  };
  if (draft.op !== undefined) rec.op = draft.op;
  if (draft.state !== undefined) rec.state = draft.state;
  if (draft.jobs !== undefined) rec.jobs = draft.jobs;
  const body = canonicalJson(rec);
  const hash = sha256(body);
  return { record: { ...rec, hash }, line: withHash(body, hash) };
}

/** Pure. The line a record is stored as: the canonical JSON it was hashed over, its hash added last, a newline. */
export function recordLine(rec: LogRecord): string {
  const { hash, ...rest } = rec;
  return withHash(canonicalJson(rest), hash);
}

// The hash goes last rather than in sorted position: the body is then encoded once per record, and the
// line still parses to the same object (key order does not matter to readers, who re-canonicalize).
function withHash(body: string, hash: string): string {
  return `${body.slice(0, -1)},"hash":${JSON.stringify(hash)}}\n`;
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export type ParsedLine = { ok: true; record: LogRecord } | { ok: false; reason: string };

/** Pure. Parses one line (without its newline) into a record of the right shape; the hash is not checked here. */
export function parseRecordLine(text: string): ParsedLine {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  const shape = recordSchema.safeParse(raw);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return { ok: false, reason: `not a log record (${where}${issue?.message ?? "wrong shape"})` };
  }
  // Keep the raw object, not zod's output: a field added by hand must still count in the hash.
  return { ok: true, record: raw as LogRecord };
}

/** Pure. Whether a record's stored hash matches its content. */
export function hashMatches(rec: LogRecord): boolean {
  return hashRecord(rec) === rec.hash;
}

/** Where the chain stands: the seq and stored hash of the last record (seq 0 and GENESIS_HASH when empty). */
export interface ChainHead {
  seq: number;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

/** Pure. Why `rec` does not follow `head` (seq and prev), or null when it does. */
export function linkProblem(head: ChainHead, rec: LogRecord): string | null {
  if (rec.seq !== head.seq + 1) {
    return head.seq === 0 ? `first record has seq ${rec.seq}, expected 1` : `seq ${rec.seq} follows ${head.seq}`;
  }
  if (rec.prev !== head.hash) {
    return head.seq === 0 ? "prev of the first record is not 64 zeros" : `prev does not link to record ${head.seq}`;
  }
  return null;
}
