import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { JetpackError } from "../../../../machines/errors.js";
import {
  EMPTY_HEAD,
  GENESIS_HASH,
  hashMatches,
  hashRecord,
  linkProblem,
  normalizeDraft,
  parseRecordLine,
  recordLine,
  sealRecord,
  type RecordDraft,
} from "../../../../machines/log/record.js";

const draft: RecordDraft = { stream: "pod/1", type: "pod.created", actor: "root", data: { name: "web" } };
const TIME = "2024-01-02T03:04:05.678Z";

describe("log records", () => {
  it("hashes the canonical JSON of the record without its hash field", () => {
    const rec = sealRecord(normalizeDraft(draft), 1, TIME, GENESIS_HASH).record;
    const { hash, ...rest } = rec;
    const expected = createHash("sha256")
      .update('{"actor":"root","data":{"name":"web"},"prev":"' + GENESIS_HASH + '","seq":1,"stream":"pod/1","time":"' + TIME + '","type":"pod.created"}')
      .digest("hex");
    assert.equal(hash, expected);
    assert.equal(hashRecord(rest), expected);
    assert.equal(hashRecord(rec), expected, "a hash field passed in is ignored");
  });

  it("keeps the writer's time unless the draft brings its own", () => {
    assert.equal(sealRecord(normalizeDraft(draft), 1, TIME, GENESIS_HASH).record.time, TIME);
    const own = "2020-05-05T05:05:05.005Z";
    assert.equal(sealRecord(normalizeDraft({ ...draft, time: own }), 1, TIME, GENESIS_HASH).record.time, own);
  });

  it("stores the record as the canonical JSON it hashed, with the hash added last", () => {
    const { record, line } = sealRecord(normalizeDraft(draft), 1, TIME, GENESIS_HASH);
    assert.equal(line, `{"actor":"root","data":{"name":"web"},"prev":"${GENESIS_HASH}","seq":1,"stream":"pod/1","time":"${TIME}","type":"pod.created","hash":"${record.hash}"}\n`);
    assert.equal(recordLine(record), line);
  });

  it("parses its own line back into an equal record whose hash matches", () => {
    const rec = sealRecord(normalizeDraft({ ...draft, op: "op-1", state: { value: "created" }, jobs: [{ queue: "pods", name: "prepare", id: "pod.1-1-prepare", data: {} }] }), 1, TIME, GENESIS_HASH).record;
    const line = recordLine(rec);
    assert.ok(line.endsWith("}\n") && !line.slice(0, -1).includes("\n"));
    const parsed = parseRecordLine(line.slice(0, -1));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.record, rec);
    assert.ok(hashMatches(parsed.record));
  });

  it("notices a field added by hand to a stored record", () => {
    const rec = sealRecord(normalizeDraft(draft), 1, TIME, GENESIS_HASH).record;
    const parsed = parseRecordLine(JSON.stringify({ ...rec, extra: 1 }));
    assert.ok(parsed.ok);
    assert.equal(hashMatches(parsed.record), false);
  });

  it("says why a line is not a record", () => {
    assert.deepEqual(parseRecordLine("{nope"), { ok: false, reason: "not JSON" });
    const noSeq = parseRecordLine(JSON.stringify({ stream: "s", type: "t", actor: "a", data: 1, time: TIME, prev: GENESIS_HASH, hash: GENESIS_HASH }));
    assert.equal(noSeq.ok, false);
    assert.match(noSeq.ok ? "" : noSeq.reason, /^not a log record \(seq: /);
  });

  it("refuses drafts with empty or unknown fields, job ids BullMQ would refuse, or a BigInt payload, naming the problem", () => {
    const isInvalid = (err: unknown) => err instanceof JetpackError && err.kind === "invalid";
    assert.throws(() => normalizeDraft({ ...draft, actor: "" }), (err) => isInvalid(err) && /actor/.test((err as Error).message));
    assert.throws(() => normalizeDraft({ ...draft, jobs: [{ queue: "q", name: "n", id: "a:b", data: 1 }] }), (err) => isInvalid(err) && /':'/.test((err as Error).message));
    assert.throws(() => normalizeDraft({ ...draft, jobs: [{ queue: "q", name: "n", id: "42", data: 1 }] }), (err) => isInvalid(err) && /integer/.test((err as Error).message));
    assert.throws(() => normalizeDraft({ ...draft, stat: { value: "x" } } as RecordDraft), (err) => isInvalid(err) && /stat/.test((err as Error).message));
    assert.throws(() => normalizeDraft({ ...draft, data: { n: 1n } }), isInvalid);
    assert.throws(() => normalizeDraft({ ...draft, time: "yesterday" }), (err) => isInvalid(err) && /time/.test((err as Error).message));
  });

  it("stores a missing payload as null so every record has data", () => {
    assert.equal(normalizeDraft({ stream: "s", type: "t", actor: "a", data: undefined }).data, null);
  });

  it("links a record only to the one right before it, by seq and by prev", () => {
    const first = sealRecord(normalizeDraft(draft), 1, TIME, GENESIS_HASH).record;
    const second = sealRecord(normalizeDraft(draft), 2, TIME, first.hash).record;
    assert.equal(linkProblem(EMPTY_HEAD, first), null);
    assert.equal(linkProblem({ seq: 1, hash: first.hash }, second), null);
    assert.equal(linkProblem(EMPTY_HEAD, second), "first record has seq 2, expected 1");
    assert.equal(linkProblem({ seq: 1, hash: "f".repeat(64) }, second), "prev does not link to record 1");
    assert.equal(linkProblem({ seq: 5, hash: first.hash }, second), "seq 2 follows 5");
    assert.equal(linkProblem(EMPTY_HEAD, { ...first, prev: "1".repeat(64) }), "prev of the first record is not 64 zeros");
  });
});
