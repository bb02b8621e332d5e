import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decide, initialState, type PersistedState } from "../../../machines/decide.js";
import { imageMachine, MAX_IMPORT_RESTARTS } from "../../../machines/image.machine.js";

const source = { path: "/srv/busybox.aci", owned: false };
const err = { code: "JP_ERR_X", kind: "invalid" as const, message: "bad" };

function walk(events: Array<{ type: string } & Record<string, unknown>>): PersistedState {
  let state = initialState(imageMachine, { uuid: "u1" });
  for (const e of events) {
    const d = decide(imageMachine, state, e);
    assert.ok(d.accepted, `${e.type} should be accepted in ${JSON.stringify(state.value)}`);
    state = d.state;
  }
  return state;
}

describe("image machine", () => {
  it("an import request moves a new image to requested and asks for exactly one import job", () => {
    const d = decide(imageMachine, initialState(imageMachine, { uuid: "u1" }), { type: "image.import.requested", source, insecure: true });
    assert.equal(d.state.value, "requested");
    assert.deepEqual(d.jobs, [{ queue: "images", name: "import" }]);
    assert.deepEqual(d.state.context.source, source);
    assert.equal(d.state.context.insecure, true);
  });

  it("a started import becomes ready with its ID and asks for no job", () => {
    const importing = walk([{ type: "image.import.requested", source, insecure: true }, { type: "image.import.started", jobSeq: 1 }]);
    assert.equal(importing.value, "importing");
    const d = decide(imageMachine, importing, {
      type: "image.imported",
      id: "sha512-ab",
      name: "x",
      labels: [],
      manifest: {},
      dependencies: [],
      compression: "gzip",
      aciBytes: 1,
      tarBytes: 2,
    });
    assert.equal(d.state.value, "ready");
    assert.equal(d.state.context.id, "sha512-ab");
    assert.deepEqual(d.jobs, []);
  });

  it("a failed import keeps the error and ends", () => {
    const s = walk([{ type: "image.import.requested", source, insecure: true }, { type: "image.import.started", jobSeq: 1 }, { type: "image.import.failed", error: err }]);
    assert.equal(s.value, "failed");
    assert.equal(s.status, "done");
    assert.deepEqual(s.context.lastError, err);
  });

  it("destroying a ready image asks for one destroy job, and a failed destroy leaves it ready", () => {
    const ready = walk([
      { type: "image.import.requested", source, insecure: true },
      { type: "image.import.started", jobSeq: 1 },
      { type: "image.imported", id: "sha512-ab", name: "x", labels: [], manifest: {}, dependencies: [], compression: "none", aciBytes: 1, tarBytes: 1 },
    ]);
    const destroying = decide(imageMachine, ready, { type: "image.destroy.requested" });
    assert.equal(destroying.state.value, "destroying");
    assert.deepEqual(destroying.jobs, [{ queue: "images", name: "destroy" }]);
    const back = decide(imageMachine, destroying.state, { type: "image.destroy.failed", error: err });
    assert.equal(back.state.value, "ready");
    const gone = decide(imageMachine, destroying.state, { type: "image.destroyed" });
    assert.equal(gone.state.value, "destroyed");
  });

  it("refuses to destroy an image that is still importing", () => {
    const importing = walk([{ type: "image.import.requested", source, insecure: true }, { type: "image.import.started", jobSeq: 1 }]);
    const d = decide(imageMachine, importing, { type: "image.destroy.requested" });
    assert.equal(d.accepted, false);
    assert.equal(d.state, importing);
  });

  it("ignores a late outcome for an image that has moved on", () => {
    const failed = walk([{ type: "image.import.requested", source, insecure: true }, { type: "image.import.started", jobSeq: 1 }, { type: "image.import.failed", error: err }]);
    assert.equal(decide(imageMachine, failed, { type: "image.import.started", jobSeq: 1 }).accepted, false);
  });

  it(`a crashed import restarts with a new job up to ${MAX_IMPORT_RESTARTS} times, then fails as abandoned`, () => {
    let s = walk([{ type: "image.import.requested", source, insecure: true }, { type: "image.import.started", jobSeq: 1 }]);
    for (let i = 1; i <= MAX_IMPORT_RESTARTS; i++) {
      const d = decide(imageMachine, s, { type: "image.import.restarted", reason: "crash" });
      assert.equal(d.state.value, "requested");
      assert.deepEqual(d.jobs, [{ queue: "images", name: "import" }]);
      assert.equal(d.state.context.restarts, i);
      s = decide(imageMachine, d.state, { type: "image.import.started", jobSeq: 1 }).state;
    }
    const last = decide(imageMachine, s, { type: "image.import.restarted", reason: "crash" });
    assert.equal(last.state.value, "failed");
    assert.deepEqual(last.jobs, []);
    assert.equal((last.state.context.lastError as { code: string }).code, "JP_ERR_IMAGE_IMPORT_ABANDONED");
  });

  it("a persisted snapshot survives a JSON round trip and decides the same", () => {
    const s = walk([{ type: "image.import.requested", source, insecure: true }]);
    const copy = JSON.parse(JSON.stringify(s)) as PersistedState;
    assert.deepEqual(decide(imageMachine, copy, { type: "image.import.started", jobSeq: 1 }), decide(imageMachine, s, { type: "image.import.started", jobSeq: 1 }));
  });
});
