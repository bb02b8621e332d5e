// GET /v1/operations/:id/events: the operation as server-sent events until it ends.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { SseParser } from "../../../api/cli/client.js";
import { operationChanges, sseFrame, type OperationAnswer } from "../../../api/routes/operations.js";
import { computeProgress } from "../../../machines/progress.js";
import { buildInMemoryApi, type InMemoryApi } from "../../support/api-deps.js";

let dir: string;
let api: InMemoryApi;

before(async () => {
  dir = await mkdtemp(`${tmpdir()}/jp-sse-`);
  await writeFile(`${dir}/some.aci`, "x");
  api = await buildInMemoryApi(dir, { enqueue: async () => undefined });
});

after(async () => {
  await api.app.close();
  await api.log.close();
  await rm(dir, { recursive: true, force: true });
});

async function queueImport(): Promise<OperationAnswer> {
  const r = await api.app.inject({ method: "POST", url: "/v1/images", payload: { source: { path: `${dir}/some.aci` }, insecureOptions: ["image"] } });
  assert.equal(r.statusCode, 202, r.body);
  return r.json();
}

const failure = { error: { code: "JP_ERR_ACI_FORMAT", kind: "invalid" as const, message: "not an ACI" } };

describe("the operation event stream", () => {
  it("streams state, then progress, then the final state, and ends after it", async () => {
    const op = await queueImport();
    const answer = api.app.inject({ method: "GET", url: `/v1/operations/${op.id}/events` });
    await sleep(30);
    await api.engine.dispatch({ stream: op.stream, type: "image.import.started", actor: "system", op: op.id, data: { jobSeq: 1 } });
    await sleep(250);
    api.deps.progress.post(op.id, computeProgress("import", Date.now() - 1000, Date.now(), 512, 1024));
    await sleep(50);
    await api.engine.dispatch({ stream: op.stream, type: "image.import.failed", actor: "system", op: op.id, data: failure });
    const r = await answer;
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers["content-type"]), /^text\/event-stream/);
    const events = new SseParser().push(r.body).map((e) => ({ event: e.event, data: JSON.parse(e.data) }));
    assert.deepEqual(events.map((e) => (e.event === "state" ? `state:${e.data.state}` : `progress:${e.data.bytes}`)), ["state:queued", "state:running", "progress:512", "state:failed"]);
    assert.deepEqual(events.at(-1)!.data.error, failure.error);
  });

  it("sends the final state at once and ends for an operation that is already over", async () => {
    const op = await queueImport();
    await api.engine.dispatch({ stream: op.stream, type: "image.import.failed", actor: "system", op: op.id, data: failure });
    const r = await api.app.inject({ method: "GET", url: `/v1/operations/${op.id}/events` });
    assert.equal(r.body.split("\n\n").filter(Boolean).length, 1);
    assert.match(r.body, /^event: state\ndata: \{.*"state":"failed"/);
  });

  it("answers 404 with a JSON error, not a stream, for an unknown operation", async () => {
    const r = await api.app.inject({ method: "GET", url: "/v1/operations/no-such-op/events" });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().error.code, "JP_ERR_OP_NOT_FOUND");
  });
});

describe("what the stream tells a watcher", () => {
  const base = { id: "op", kind: "image.import", stream: "image/x", actor: "root", state: "running", createdAt: "t0", updatedAt: "t1", result: null, error: null, progress: null } as OperationAnswer;
  const p = computeProgress("fetch", 0, 1000, 10, null);

  it("tells the whole answer at first sight and when the state moves, the progress when only it moves, and nothing else", () => {
    assert.deepEqual(operationChanges(undefined, base), [{ event: "state", data: base }]);
    assert.deepEqual(operationChanges(base, { ...base, state: "succeeded", updatedAt: "t2" }).map((e) => e.event), ["state"]);
    assert.deepEqual(operationChanges(base, { ...base, progress: p }), [{ event: "progress", data: p }]);
    assert.deepEqual(operationChanges({ ...base, progress: p }, { ...base, progress: { ...p } }), []);
  });

  it("writes one event per frame: its name, one line of JSON data, a blank line", () => {
    assert.equal(sseFrame({ event: "progress", data: { a: "x\ny" } }), 'event: progress\ndata: {"a":"x\\ny"}\n\n');
  });
});

describe("the operation event stream at shutdown", () => {
  it("ends open streams when the server closes, so that closing does not wait for the operation", async () => {
    const other = await mkdtemp(`${tmpdir()}/jp-sse-close-`);
    const api2 = await buildInMemoryApi(other, { enqueue: async () => undefined });
    try {
      await writeFile(`${other}/some.aci`, "x");
      const op = (await api2.app.inject({ method: "POST", url: "/v1/images", payload: { source: { path: `${other}/some.aci` }, insecureOptions: ["image"] } })).json();
      const answer = api2.app.inject({ method: "GET", url: `/v1/operations/${op.id}/events` });
      await sleep(50);
      await api2.app.close();
      const r = await answer;
      assert.deepEqual(new SseParser().push(r.body).map((e) => JSON.parse(e.data).state), ["queued"]);
    } finally {
      await api2.app.close();
      await api2.log.close();
      await rm(other, { recursive: true, force: true });
    }
  });
});
