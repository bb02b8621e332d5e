import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JetpackError } from "../../../../machines/errors.js";
import { EventLog, hashRecord, verifyLog, type LogRecord } from "../../../../machines/log/index.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "jetpack-log-verify-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let count = 0;

/** A closed log of 8 records; returns its path and its lines (without the final empty string). */
async function logOfEight(): Promise<{ path: string; lines: string[]; records: LogRecord[] }> {
  const path = join(dir, `case-${++count}.log`);
  const log = await EventLog.open(path);
  let records: LogRecord[];
  try {
    records = await log.appendMany(Array.from({ length: 8 }, (_, i) => ({ stream: `pod/${i}`, type: "pod.created", actor: "root", data: { n: i + 1 } })));
  } finally {
    await log.close();
  }
  return { path, lines: (await readFile(path, "utf8")).split("\n").slice(0, -1), records };
}

const save = (path: string, lines: string[]) => writeFile(path, lines.map((l) => `${l}\n`).join(""));

describe("verifyLog", () => {
  it("passes an intact log and gives its record count and last hash", async () => {
    const { path, records } = await logOfEight();
    assert.deepEqual(await verifyLog(path), { ok: true, records: 8, lastHash: records[7]!.hash });
  });

  it("passes an empty log", async () => {
    const path = join(dir, `case-${++count}.log`);
    await writeFile(path, "");
    assert.deepEqual(await verifyLog(path), { ok: true, records: 0, lastHash: "0".repeat(64) });
  });

  it("names the record whose data was changed", async () => {
    const { path, lines } = await logOfEight();
    lines[4] = lines[4]!.replace('"n":5', '"n":500');
    await save(path, lines);
    assert.deepEqual(await verifyLog(path), { ok: false, records: 4, firstBad: { seq: 5, line: 5, reason: "hash does not match content" } });
  });

  it("names the record after a deleted line", async () => {
    const { path, lines } = await logOfEight();
    lines.splice(2, 1);
    await save(path, lines);
    assert.deepEqual(await verifyLog(path), { ok: false, records: 2, firstBad: { seq: 4, line: 3, reason: "seq 4 follows 2" } });
  });

  it("names the first of two swapped lines", async () => {
    const { path, lines } = await logOfEight();
    [lines[5], lines[6]] = [lines[6]!, lines[5]!];
    await save(path, lines);
    assert.deepEqual(await verifyLog(path), { ok: false, records: 5, firstBad: { seq: 7, line: 6, reason: "seq 7 follows 5" } });
  });

  it("names the record after one that was rewritten with a fresh hash, since the chain no longer links", async () => {
    const { path, lines } = await logOfEight();
    const forged = { ...(JSON.parse(lines[3]!) as LogRecord), data: { n: 40 } };
    forged.hash = hashRecord(forged);
    lines[3] = JSON.stringify(forged);
    await save(path, lines);
    assert.deepEqual(await verifyLog(path), { ok: false, records: 4, firstBad: { seq: 5, line: 5, reason: "prev does not link to record 4" } });
  });

  it("names a line that is not JSON", async () => {
    const { path, lines } = await logOfEight();
    lines[1] = "{ oops";
    await save(path, lines);
    assert.deepEqual(await verifyLog(path), { ok: false, records: 1, firstBad: { seq: null, line: 2, reason: "not JSON" } });
  });

  it("names a first record that does not start the chain", async () => {
    const { path, lines } = await logOfEight();
    await save(path, lines.slice(1));
    assert.deepEqual(await verifyLog(path), { ok: false, records: 0, firstBad: { seq: 2, line: 1, reason: "first record has seq 2, expected 1" } });
  });

  it("reports a last line without its newline as a write cut short", async () => {
    const { path, lines } = await logOfEight();
    await writeFile(path, lines.join("\n"));
    const result = await verifyLog(path);
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.firstBad, { seq: 8, line: 8, reason: "no newline at the end (a write cut short)" });
    assert.equal(result.records, 7);
  });

  it("says not_found for a log that does not exist", async () => {
    await assert.rejects(verifyLog(join(dir, "missing.log")), (err) => err instanceof JetpackError && err.kind === "not_found" && err.code === "JP_ERR_LOG_NOT_FOUND");
  });
});
