import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JetpackError } from "../../../../machines/errors.js";
import { EventLog, readLog, verifyLog, type LogFile, type LogRecord, type RecordDraft } from "../../../../machines/log/index.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "jetpack-log-writer-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let count = 0;
const freshPath = () => join(dir, `case-${++count}`, "events.log");
const draft = (i: number): RecordDraft => ({ stream: `pod/${i % 3}`, type: "pod.start.requested", actor: "root", data: { i } });

async function readAll(path: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const rec of readLog(path)) out.push(rec);
  return out;
}

function hasCode(code: string, kind: string) {
  return (err: unknown) => err instanceof JetpackError && err.code === code && err.kind === kind;
}

describe("EventLog", () => {
  it("creates the log and its directory, readable and writable by root only", async () => {
    const path = freshPath();
    const log = await EventLog.open(path);
    try {
      assert.equal(log.lastSeq, 0);
      assert.equal(log.path, path);
      assert.equal((await stat(path)).mode & 0o777, 0o600);
    } finally {
      await log.close();
    }
  });

  it("tightens an existing log file that others could read to mode 0600", async () => {
    const path = freshPath();
    await EventLog.open(path).then((log) => log.close());
    await chmod(path, 0o644);
    const log = await EventLog.open(path);
    await log.close();
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it("numbers records 1, 2, 3, chains them, stamps the time, and returns what readers will read", async () => {
    const path = freshPath();
    const log = await EventLog.open(path, { now: () => new Date("2024-06-01T12:00:00.000Z") });
    const written: LogRecord[] = [];
    try {
      for (let i = 0; i < 3; i++) written.push(await log.append({ ...draft(i), op: "op-7", state: { value: "starting" } }));
    } finally {
      await log.close();
    }
    assert.deepEqual(written.map((r) => r.seq), [1, 2, 3]);
    assert.equal(written[0]?.prev, "0".repeat(64));
    assert.equal(written[1]?.prev, written[0]?.hash);
    assert.equal(written[2]?.time, "2024-06-01T12:00:00.000Z");
    assert.deepEqual(await readAll(path), written);
    const text = await readFile(path, "utf8");
    assert.equal(text.split("\n").length, 4, "three lines, each ending in a newline");
  });

  it("keeps the seq and the hash chain across a close and a reopen", async () => {
    const path = freshPath();
    const first = await EventLog.open(path);
    await first.append(draft(1));
    const second = await first.append(draft(2));
    await first.close();
    const reopened = await EventLog.open(path);
    try {
      assert.equal(reopened.lastSeq, 2);
      assert.equal(reopened.lastHash, second.hash);
      const third = await reopened.append(draft(3));
      assert.equal(third.seq, 3);
      assert.equal(third.prev, second.hash);
    } finally {
      await reopened.close();
    }
    assert.deepEqual(await verifyLog(path), { ok: true, records: 3, lastHash: (await readAll(path))[2]?.hash });
  });

  it("keeps many concurrent callers in call order with contiguous seqs, using fewer fsyncs than records", async () => {
    const path = freshPath();
    const log = await EventLog.open(path);
    try {
      const records = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(draft(i))));
      assert.deepEqual(records.map((r) => r.seq), Array.from({ length: 200 }, (_, i) => i + 1));
      assert.deepEqual(records.map((r) => (r.data as { i: number }).i), Array.from({ length: 200 }, (_, i) => i));
      assert.ok(log.fsyncs < 200, `expected group commit, got ${log.fsyncs} fsyncs for 200 records`);
      assert.equal(log.writes, log.fsyncs);
    } finally {
      await log.close();
    }
    const check = await verifyLog(path);
    assert.equal(check.ok, true);
    assert.equal(check.records, 200);
  });

  it("groups the appends that arrive while a commit is in flight into exactly one next commit", async () => {
    const path = freshPath();
    let firstWrite!: () => void;
    const writing = new Promise<void>((resolve) => (firstWrite = resolve));
    const slowSync = (file: LogFile): LogFile => ({
      ...file,
      write: async (bytes) => {
        await file.write(bytes);
        firstWrite();
      },
      datasync: async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await file.datasync();
      },
    });
    const log = await EventLog.open(path, { wrapFile: slowSync });
    try {
      const first = log.append(draft(0));
      await writing;
      const rest = Array.from({ length: 50 }, (_, i) => log.append(draft(i + 1)));
      await Promise.all([first, ...rest]);
      assert.equal(log.lastSeq, 51);
      assert.equal(log.fsyncs, 2);
    } finally {
      await log.close();
    }
  });

  it("writes a batch with one write and one fsync, in order", async () => {
    const path = freshPath();
    const log = await EventLog.open(path);
    try {
      await log.append(draft(0));
      const before = log.fsyncs;
      const batch = await log.appendMany([draft(1), draft(2), draft(3)]);
      assert.deepEqual(batch.map((r) => r.seq), [2, 3, 4]);
      assert.equal(batch[1]?.prev, batch[0]?.hash);
      assert.equal(log.fsyncs - before, 1);
      assert.deepEqual(await log.appendMany([]), []);
      assert.equal(log.fsyncs - before, 1, "an empty batch writes nothing");
    } finally {
      await log.close();
    }
  });

  it("refuses a batch with one invalid draft without writing any of it, and serves the other callers", async () => {
    const path = freshPath();
    const log = await EventLog.open(path);
    try {
      const bad = log.appendMany([draft(1), { ...draft(2), stream: "" }]);
      const good = log.append(draft(3));
      await assert.rejects(bad, hasCode("JP_ERR_LOG_RECORD", "invalid"));
      assert.equal((await good).seq, 1);
      assert.equal(log.lastSeq, 1);
    } finally {
      await log.close();
    }
  });

  it("fails an append whose fsync fails as unavailable, leaves the seq alone, and keeps working afterwards", async () => {
    const path = freshPath();
    let failNext = false;
    const flaky = (file: LogFile): LogFile => ({
      ...file,
      datasync: async () => {
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
        }
        await file.datasync();
      },
    });
    const log = await EventLog.open(path, { wrapFile: flaky });
    try {
      const kept = await log.append(draft(1));
      failNext = true;
      await assert.rejects(log.append(draft(2)), hasCode("JP_ERR_LOG_WRITE", "unavailable"));
      assert.equal(log.lastSeq, 1);
      assert.equal(log.lastHash, kept.hash);
      const next = await log.append(draft(3));
      assert.equal(next.seq, 2);
      assert.equal(next.prev, kept.hash);
    } finally {
      await log.close();
    }
    const records = await readAll(path);
    assert.deepEqual(records.map((r) => (r.data as { i: number }).i), [1, 3], "the failed record was cut back out");
    assert.equal((await verifyLog(path)).ok, true);
  });

  it("refuses further appends when a failed write cannot even be cut back, until the log is reopened", async () => {
    const path = freshPath();
    let broken = false;
    const failing = (file: LogFile): LogFile => ({
      ...file,
      write: async (bytes) => {
        if (broken) throw new Error("ENOSPC: no space left on device, write");
        await file.write(bytes);
      },
      truncate: async () => {
        throw new Error("EIO: i/o error, ftruncate");
      },
    });
    const log = await EventLog.open(path, { wrapFile: failing });
    try {
      await log.append(draft(1));
      broken = true;
      await assert.rejects(log.append(draft(2)), hasCode("JP_ERR_LOG_WRITE", "unavailable"));
      broken = false;
      await assert.rejects(log.append(draft(3)), (err) => hasCode("JP_ERR_LOG_WRITE", "unavailable")(err) && /unknown state/.test((err as Error).message));
    } finally {
      await log.close();
    }
    const reopened = await EventLog.open(path);
    try {
      assert.equal((await reopened.append(draft(4))).seq, 2);
    } finally {
      await reopened.close();
    }
  });

  it("refuses to open a log that this process already has open, even through a symlink", async () => {
    const path = freshPath();
    const log = await EventLog.open(path);
    const link = join(dir, `link-${count}`);
    await symlink(path, link);
    try {
      await assert.rejects(EventLog.open(path), hasCode("JP_ERR_LOG_BUSY", "conflict"));
      await assert.rejects(EventLog.open(link), hasCode("JP_ERR_LOG_BUSY", "conflict"));
    } finally {
      await log.close();
    }
    const again = await EventLog.open(link);
    await again.close();
  });

  it("finishes queued appends on close and refuses appends after it", async () => {
    const path = freshPath();
    const log = await EventLog.open(path);
    const pending = Array.from({ length: 10 }, (_, i) => log.append(draft(i)));
    await log.close();
    assert.equal((await Promise.all(pending)).length, 10);
    await assert.rejects(log.append(draft(11)), hasCode("JP_ERR_LOG_CLOSED", "unavailable"));
    assert.equal((await verifyLog(path)).records, 10);
  });

  it("says which file it could not open when the path is a directory", async () => {
    const path = join(dir, `case-${++count}`);
    await mkdir(path, { recursive: true });
    await writeFile(join(path, "keep"), "");
    await assert.rejects(EventLog.open(path), (err) => hasCode("JP_ERR_LOG_OPEN", "unavailable")(err) && (err as Error).message.includes(path));
  });
});
