import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventLog, verifyLog, type LogRecord, type RecordDraft } from "../../../../machines/log/index.js";
import { normalizeDraft, recordLine, sealRecord } from "../../../../machines/log/record.js";
import type { TornTailInfo } from "../../../../machines/log/writer.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "jetpack-log-torn-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let count = 0;
const draft = (i: number): RecordDraft => ({ stream: "image/abc", type: "image.import.requested", actor: "root", data: { i } });

/** A closed log of `n` good records; returns its path and the records. */
async function logWith(n: number): Promise<{ path: string; records: LogRecord[] }> {
  const path = join(dir, `case-${++count}.log`);
  const log = await EventLog.open(path);
  try {
    const records = await log.appendMany(Array.from({ length: n }, (_, i) => draft(i + 1)));
    return { path, records };
  } finally {
    await log.close();
  }
}

/** Reopens the log, appends one record, and returns what the writer reported and learnt. */
async function reopenAndAppend(path: string): Promise<{ torn: TornTailInfo[]; seqAfterOpen: number; appended: LogRecord }> {
  const torn: TornTailInfo[] = [];
  const log = await EventLog.open(path, { onTornTail: (info) => torn.push(info) });
  try {
    const seqAfterOpen = log.lastSeq;
    return { torn, seqAfterOpen, appended: await log.append(draft(99)) };
  } finally {
    await log.close();
  }
}

function nextLine(last: LogRecord, change: (rec: LogRecord) => LogRecord = (r) => r): string {
  return recordLine(change(sealRecord(normalizeDraft(draft(last.seq + 1)), last.seq + 1, last.time, last.hash).record));
}

describe("opening a log with a torn tail", () => {
  it("cuts half a record left by a crash during the write, and appends continue the chain", async () => {
    const { path, records } = await logWith(3);
    const half = nextLine(records[2]!).slice(0, 40);
    await appendFile(path, half);
    const { torn, seqAfterOpen, appended } = await reopenAndAppend(path);
    assert.equal(seqAfterOpen, 3);
    assert.deepEqual(torn.map((t) => t.bytes), [half.length]);
    assert.match(torn[0]!.reason, /no newline/);
    assert.equal(appended.seq, 4);
    assert.equal(appended.prev, records[2]!.hash);
    assert.deepEqual(await verifyLog(path), { ok: true, records: 4, lastHash: appended.hash });
  });

  it("cuts a whole record that is missing only its newline, since it was never acknowledged", async () => {
    const { path, records } = await logWith(3);
    const text = await readFile(path, "utf8");
    await writeFile(path, text.slice(0, -1));
    const { torn, seqAfterOpen, appended } = await reopenAndAppend(path);
    assert.equal(seqAfterOpen, 2);
    assert.equal(torn.length, 1);
    assert.equal(appended.prev, records[1]!.hash);
    assert.equal((await verifyLog(path)).ok, true);
  });

  it("cuts a garbage last line", async () => {
    const { path, records } = await logWith(2);
    await appendFile(path, "\u0000\u0000garbage}\n");
    const { torn, appended } = await reopenAndAppend(path);
    assert.match(torn[0]!.reason, /last line is not JSON/);
    assert.equal(appended.seq, 3);
    assert.equal(appended.prev, records[1]!.hash);
    assert.equal((await verifyLog(path)).ok, true);
  });

  it("cuts a last line whose hash does not match its content", async () => {
    const { path, records } = await logWith(2);
    await appendFile(path, nextLine(records[1]!, (r) => ({ ...r, data: { i: "changed" } })));
    const { torn, appended } = await reopenAndAppend(path);
    assert.match(torn[0]!.reason, /hash does not match/);
    assert.equal(appended.seq, 3);
    assert.equal((await verifyLog(path)).ok, true);
  });

  it("cuts a last record that does not link to the one before, and keeps its bytes in <log>.torn", async () => {
    const { path, records } = await logWith(2);
    const foreign = recordLine(sealRecord(normalizeDraft(draft(3)), 3, records[1]!.time, "f".repeat(64)).record);
    await appendFile(path, foreign);
    const { torn, appended } = await reopenAndAppend(path);
    assert.match(torn[0]!.reason, /prev does not link to record 2/);
    assert.equal(torn[0]!.savedTo, `${path}.torn`);
    assert.ok((await readFile(`${path}.torn`, "utf8")).includes(foreign));
    assert.equal((await stat(`${path}.torn`)).mode & 0o777, 0o600);
    assert.equal(appended.prev, records[1]!.hash);
  });

  it("cuts both the fragment and a bad whole line before it when a group write was torn", async () => {
    const { path, records } = await logWith(2);
    await appendFile(path, "not a record\n{\"seq\":4,");
    const { torn, appended } = await reopenAndAppend(path);
    assert.equal(torn.length, 1);
    assert.match(torn[0]!.reason, /no newline.*; last line is not JSON/);
    assert.equal(appended.prev, records[1]!.hash);
    assert.equal((await verifyLog(path)).ok, true);
  });

  it("cuts a log that holds only a fragment down to empty and starts at seq 1", async () => {
    const path = join(dir, `case-${++count}.log`);
    await writeFile(path, '{"seq":1,"ti');
    const { torn, seqAfterOpen, appended } = await reopenAndAppend(path);
    assert.equal(torn.length, 1);
    assert.equal(seqAfterOpen, 0);
    assert.equal(appended.seq, 1);
    assert.equal(appended.prev, "0".repeat(64));
  });

  it("reports nothing and cuts nothing when the log is whole", async () => {
    const { path } = await logWith(3);
    const { torn, seqAfterOpen } = await reopenAndAppend(path);
    assert.deepEqual(torn, []);
    assert.equal(seqAfterOpen, 3);
  });

  it("does not cut corruption before the last line: open succeeds, verify names it, appends continue", async () => {
    const { path, records } = await logWith(4);
    const lines = (await readFile(path, "utf8")).split("\n");
    lines[1] = lines[1]!.replace('"i":2', '"i":20');
    await writeFile(path, lines.join("\n"));
    const { torn, seqAfterOpen, appended } = await reopenAndAppend(path);
    assert.deepEqual(torn, []);
    assert.equal(seqAfterOpen, 4);
    assert.equal(appended.prev, records[3]!.hash);
    assert.deepEqual(await verifyLog(path), { ok: false, records: 1, firstBad: { seq: 2, line: 2, reason: "hash does not match content" } });
  });

  it("keeps a last line that follows an unreadable one, leaving the damage for verify to name", async () => {
    const { path, records } = await logWith(3);
    const lines = (await readFile(path, "utf8")).split("\n");
    lines[1] = "scribble";
    await writeFile(path, lines.join("\n"));
    const { torn, seqAfterOpen } = await reopenAndAppend(path);
    assert.deepEqual(torn, []);
    assert.equal(seqAfterOpen, 3);
    assert.equal(records.length, 3);
    assert.deepEqual(await verifyLog(path), { ok: false, records: 1, firstBad: { seq: null, line: 2, reason: "not JSON" } });
  });

  it("reads the tail of a log whose records are larger than one read chunk", async () => {
    const path = join(dir, `case-${++count}.log`);
    const big = "x".repeat(100 * 1024);
    const log = await EventLog.open(path);
    let last: LogRecord;
    try {
      await log.append({ ...draft(1), data: big });
      last = await log.append({ ...draft(2), data: big });
    } finally {
      await log.close();
    }
    await appendFile(path, `{"seq":3,"data":"${big.slice(0, 70 * 1024)}`);
    const { torn, seqAfterOpen, appended } = await reopenAndAppend(path);
    assert.equal(torn.length, 1);
    assert.equal(seqAfterOpen, 2);
    assert.equal(appended.prev, last.hash);
  });
});
