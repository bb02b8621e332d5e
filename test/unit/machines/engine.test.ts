import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { after, describe, it } from "node:test";
import { Engine, jobId } from "../../../machines/engine.js";
import { EventLog, readLog, verifyLog, type JobSpec, type LogRecord } from "../../../machines/log/index.js";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function setup(enqueue: (jobs: JobSpec[]) => Promise<void> = async () => {}) {
  const dir = await mkdtemp(`${tmpdir()}/jp-engine-`);
  dirs.push(dir);
  const log = await EventLog.open(`${dir}/events.jsonl`);
  const seen: LogRecord[] = [];
  const engine = new Engine({ log, enqueue, onRecord: (r) => seen.push(r) });
  return { dir, log, engine, seen };
}

const request = (stream: string, op = "op-1") =>
  ({ stream, type: "image.import.requested", actor: "alice", op, data: { source: { path: "/x.aci" }, insecure: true } }) as const;

describe("engine", () => {
  it("appends one durable record with the next state and enqueues its jobs only after the append", async () => {
    const order: string[] = [];
    const { engine, log } = await setup(async (jobs) => {
      order.push(`enqueue after seq ${log.lastSeq}`);
      assert.equal(jobs.length, 1);
    });
    const r = await engine.dispatch(request("image/u1"));
    assert.equal(r.accepted, true);
    assert.deepEqual(order, ["enqueue after seq 1"]);
    const records = [];
    for await (const rec of readLog(log.path)) records.push(rec);
    assert.equal(records.length, 1);
    const rec = records[0]!;
    assert.equal(rec.type, "image.import.requested");
    assert.equal(rec.actor, "alice");
    assert.equal((rec.state as { value: string }).value, "requested");
    assert.deepEqual(rec.jobs, [{ queue: "images", name: "import", id: "image.u1-1-import", data: { stream: "image/u1", jobSeq: 1, actor: "alice", op: "op-1" } }]);
  });

  it("job ids are deterministic and free of ':'", () => {
    assert.equal(jobId("image/abc", 7, "import"), "image.abc-7-import");
    assert.ok(!jobId("pod/x:y", 1, "start").includes("/"));
  });

  it("does not append an event the stream's state refuses", async () => {
    const { engine, log } = await setup();
    await engine.dispatch(request("image/u1"));
    const r = await engine.dispatch({ stream: "image/u1", type: "image.destroy.requested", actor: "bob", data: {} });
    assert.equal(r.accepted, false);
    assert.equal((r.state as { value: string }).value, "requested");
    assert.equal(log.lastSeq, 1);
  });

  it("refuses an event whose payload is malformed, naming the field", async () => {
    const { engine } = await setup();
    await assert.rejects(
      engine.dispatch({ stream: "image/u1", type: "image.import.requested", actor: "a", data: { source: {} } as never }),
      (e: Error & { code?: string }) => e.code === "JP_ERR_EVENT_INVALID" && /source\.path/.test(e.message),
    );
  });

  it("concurrent dispatches are serialized with contiguous seqs and a chain that verifies", async () => {
    const { engine, log } = await setup();
    await Promise.all(Array.from({ length: 30 }, (_, i) => engine.dispatch(request(`image/u${i}`, `op-${i}`))));
    assert.equal(log.lastSeq, 30);
    const v = await verifyLog(log.path);
    assert.equal(v.ok, true);
  });

  it("a rebuilt engine resumes each stream where the log left it, with the jobs it waits for", async () => {
    const { engine, log, dir } = await setup();
    await engine.dispatch(request("image/u1"));
    await engine.dispatch({ stream: "image/u1", type: "image.import.started", actor: "system", op: "op-1", data: { jobSeq: 1 } });
    await log.close();
    const reopened = await EventLog.open(`${dir}/events.jsonl`);
    const fresh = new Engine({ log: reopened, enqueue: async () => {} });
    for await (const rec of readLog(reopened.path)) fresh.load(rec);
    const s = fresh.stream("image/u1")!;
    assert.equal(s.state.value, "importing");
    assert.equal(s.jobSeq, 1);
    assert.equal(s.jobs[0]!.id, "image.u1-1-import");
    await reopened.close();
  });

  it("keeps jobs that could not be enqueued and enqueues them on retry", async () => {
    let fail = true;
    const got: JobSpec[] = [];
    const { engine } = await setup(async (jobs) => {
      if (fail) throw new Error("redis down");
      got.push(...jobs);
    });
    const r = await engine.dispatch(request("image/u1"));
    assert.equal(r.accepted, true, "the event is durable even when Redis is down");
    fail = false;
    await engine.retryPending();
    assert.deepEqual(got.map((j) => j.id), ["image.u1-1-import"]);
  });
});
