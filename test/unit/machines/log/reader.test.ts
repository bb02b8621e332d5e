import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JetpackError } from "../../../../machines/errors.js";
import { EventLog, readLog, replay, type LogRecord } from "../../../../machines/log/index.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "jetpack-log-reader-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let count = 0;

async function logOf(n: number): Promise<{ path: string; records: LogRecord[] }> {
  const path = join(dir, `case-${++count}.log`);
  const log = await EventLog.open(path);
  try {
    const records = await log.appendMany(Array.from({ length: n }, (_, i) => ({ stream: "pod/a", type: "pod.tick", actor: "system", data: i + 1 })));
    return { path, records };
  } finally {
    await log.close();
  }
}

async function collect(iterable: AsyncIterable<LogRecord>): Promise<number[]> {
  const seqs: number[] = [];
  for await (const rec of iterable) seqs.push(rec.seq);
  return seqs;
}

describe("readLog", () => {
  it("streams every record in order, equal to what the writer returned", async () => {
    const { path, records } = await logOf(5);
    const read: LogRecord[] = [];
    for await (const rec of readLog(path)) read.push(rec);
    assert.deepEqual(read, records);
  });

  it("starts at fromSeq", async () => {
    const { path } = await logOf(6);
    assert.deepEqual(await collect(readLog(path, { fromSeq: 4 })), [4, 5, 6]);
    assert.deepEqual(await collect(readLog(path, { fromSeq: 7 })), []);
  });

  it("stops before a half-written last line without throwing, as while the writer is mid-write", async () => {
    const { path } = await logOf(3);
    await appendFile(path, '{"seq":4,"stream":"po');
    assert.deepEqual(await collect(readLog(path)), [1, 2, 3]);
  });

  it("stops before a whole last line that is garbage or whose hash does not match", async () => {
    const { path } = await logOf(3);
    const text = await readFile(path, "utf8");
    await appendFile(path, "garbage\n");
    assert.deepEqual(await collect(readLog(path)), [1, 2, 3]);
    await writeFile(path, text.replace('"data":3', '"data":33'));
    assert.deepEqual(await collect(readLog(path)), [1, 2]);
  });

  it("skips an unreadable line before the last and reports it, so the daemon can still boot", async () => {
    const { path } = await logOf(4);
    const lines = (await readFile(path, "utf8")).split("\n");
    lines[1] = "{ broken";
    await writeFile(path, lines.join("\n"));
    const corrupt: { line: number; reason: string }[] = [];
    assert.deepEqual(await collect(readLog(path, { onCorruptLine: (info) => corrupt.push(info) })), [1, 3, 4]);
    assert.deepEqual(corrupt, [{ line: 2, reason: "not JSON" }]);
  });

  it("keeps a last record that follows an unreadable line, as the writer does on open", async () => {
    const { path } = await logOf(3);
    const lines = (await readFile(path, "utf8")).split("\n");
    lines[1] = "scribble";
    await writeFile(path, lines.join("\n"));
    assert.deepEqual(await collect(readLog(path)), [1, 3]);
  });

  it("reads an empty log as no records and a missing one as not_found", async () => {
    const path = join(dir, `case-${++count}.log`);
    await writeFile(path, "");
    assert.deepEqual(await collect(readLog(path)), []);
    await assert.rejects(collect(readLog(join(dir, "missing.log"))), (err) => err instanceof JetpackError && err.kind === "not_found");
  });

  it("feeds replay, which folds the records into a state in order", async () => {
    const { path } = await logOf(4);
    const sum = await replay(readLog(path), (acc: number[], rec) => [...acc, rec.data as number], []);
    assert.deepEqual(sum, [1, 2, 3, 4]);
  });
});
