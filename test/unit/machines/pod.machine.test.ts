import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decide, initialState, type PersistedState } from "../../../machines/decide.js";
import { podMachine, type PodContext } from "../../../machines/pod.machine.js";

const err = { code: "JP_ERR_X", kind: "internal" as const, message: "it broke" };
const app = (name: string, exitCode: number | null, state: "running" | "exited" = "exited") => ({ name, state, exitCode, signal: null, reason: null });

type Ev = { type: string } & Record<string, unknown>;

function walk(events: Ev[]): PersistedState {
  let state = initialState(podMachine, { uuid: "p1" });
  for (const e of events) {
    const d = decide(podMachine, state, e);
    assert.ok(d.accepted, `${e.type} should be accepted in ${JSON.stringify(state.value)}`);
    state = d.state;
  }
  return state;
}

const create: Ev = { type: "pod.create.requested", name: "web", manifest: { acKind: "PodManifest" }, ip: "172.29.0.2" };
const toPrepared: Ev[] = [create, { type: "pod.prepare.started", jobSeq: 1 }, { type: "pod.prepared" }];
const toRunning: Ev[] = [...toPrepared, { type: "pod.start.requested" }, { type: "pod.start.started", jobSeq: 4 }, { type: "pod.started", apps: [app("a", null, "running")], isolatorsIgnored: [] }];

describe("pod machine", () => {
  it("a create request keeps the name, manifest and address and asks for exactly one prepare job", () => {
    const d = decide(podMachine, initialState(podMachine, { uuid: "p1" }), create);
    assert.equal(d.state.value, "preparing");
    assert.deepEqual(d.jobs, [{ queue: "pods", name: "prepare" }]);
    const ctx = d.state.context as unknown as PodContext;
    assert.equal(ctx.name, "web");
    assert.equal(ctx.ip, "172.29.0.2");
  });

  it("a moved lease keeps the old address as skipped", () => {
    const s = walk([create, { type: "pod.address.changed", from: "172.29.0.2", to: "172.29.0.3" }]);
    const ctx = s.context as unknown as PodContext;
    assert.equal(ctx.ip, "172.29.0.3");
    assert.deepEqual(ctx.skippedIps, ["172.29.0.2"]);
  });

  it("a failed prepare ends in failed, holding no address", () => {
    const s = walk([create, { type: "pod.prepare.failed", error: err }]);
    assert.equal(s.value, "failed");
    assert.equal((s.context as unknown as PodContext).ip, null);
    assert.deepEqual((s.context as unknown as PodContext).lastError, err);
  });

  it("start asks for one start job, and a started pod is running with its apps", () => {
    const d = decide(podMachine, walk(toPrepared), { type: "pod.start.requested" });
    assert.equal(d.state.value, "starting");
    assert.deepEqual(d.jobs, [{ queue: "pods", name: "start" }]);
    assert.equal(walk(toRunning).value, "running");
  });

  it("a failed start goes back to prepared with the error, so the pod can be started again", () => {
    const s = walk([...toPrepared, { type: "pod.start.requested" }, { type: "pod.start.failed", error: err }]);
    assert.equal(s.value, "prepared");
    assert.equal(decide(podMachine, s, { type: "pod.start.requested" }).state.value, "starting");
  });

  it("refuses a destroy while starting: one job at a time", () => {
    const starting = walk([...toPrepared, { type: "pod.start.requested" }]);
    const d = decide(podMachine, starting, { type: "pod.destroy.requested" });
    assert.equal(d.accepted, false);
    assert.deepEqual(d.jobs, []);
  });

  it("refuses a second start while running", () => {
    assert.equal(decide(podMachine, walk(toRunning), { type: "pod.start.requested" }).accepted, false);
  });

  it("keeps each app's exit code as apps end, and exits when all have", () => {
    let s = walk([...toRunning, { type: "pod.app.exited", ...app("a", 3) }]);
    assert.equal(s.value, "running");
    assert.deepEqual((s.context as unknown as PodContext).apps, [app("a", 3)]);
    s = walk([...toRunning, { type: "pod.exited", apps: [app("a", 3), app("b", 0)] }]);
    assert.equal(s.value, "exited");
    assert.deepEqual((s.context as unknown as PodContext).apps.map((a) => a.exitCode), [3, 0]);
  });

  it("stop asks for one stop job with its grace period, and an exited pod can start again", () => {
    const d = decide(podMachine, walk(toRunning), { type: "pod.stop.requested", timeoutMs: 2500 });
    assert.equal(d.state.value, "stopping");
    assert.deepEqual(d.jobs, [{ queue: "pods", name: "stop" }]);
    assert.equal((d.state.context as unknown as PodContext).stopTimeoutMs, 2500);
    const exited = walk([...toRunning, { type: "pod.stop.requested", timeoutMs: 1 }, { type: "pod.stopped", apps: [app("a", null)] }]);
    assert.equal(exited.value, "exited");
    const again = decide(podMachine, exited, { type: "pod.start.requested" });
    assert.equal(again.state.value, "starting");
    assert.deepEqual(again.jobs, [{ queue: "pods", name: "start" }]);
  });

  it("an app ending during a stop exits the pod, and the late stop outcome is not accepted", () => {
    const s = walk([...toRunning, { type: "pod.stop.requested", timeoutMs: 1 }, { type: "pod.exited", apps: [app("a", 0)] }]);
    assert.equal(s.value, "exited");
    assert.equal(decide(podMachine, s, { type: "pod.stopped", apps: [] }).accepted, false);
  });

  it("a pod found dead has exited, with the reason as its error", () => {
    const s = walk([...toRunning, { type: "pod.found-dead", reason: "supervisor gone", apps: [app("a", null)] }]);
    assert.equal(s.value, "exited");
    assert.equal((s.context as unknown as PodContext).lastError?.code, "JP_ERR_POD_FOUND_DEAD");
  });

  it("destroy from prepared, running, exited or failed asks for one destroy job and ends destroyed", () => {
    for (const path of [toPrepared, toRunning, [...toRunning, { type: "pod.exited", apps: [] }], [create, { type: "pod.prepare.failed", error: err }]]) {
      const d = decide(podMachine, walk(path), { type: "pod.destroy.requested" });
      assert.equal(d.state.value, "destroying");
      assert.deepEqual(d.jobs, [{ queue: "pods", name: "destroy" }]);
      assert.equal(decide(podMachine, d.state, { type: "pod.destroyed" }).state.status, "done");
    }
  });

  it("a failed destroy leaves the pod failed, and destroy can be asked again", () => {
    const s = walk([...toPrepared, { type: "pod.destroy.requested" }, { type: "pod.destroy.failed", error: err }]);
    assert.equal(s.value, "failed");
    assert.equal(decide(podMachine, s, { type: "pod.destroy.requested" }).state.value, "destroying");
  });

  it("a restart after a daemon stop runs the same step again as a new job", () => {
    for (const path of [[create], [...toPrepared, { type: "pod.start.requested" }], [...toRunning, { type: "pod.stop.requested", timeoutMs: 1 }], [...toPrepared, { type: "pod.destroy.requested" }]]) {
      const s = walk(path);
      const d = decide(podMachine, s, { type: "pod.restarted", reason: "daemon stopped" });
      assert.equal(d.state.value, s.value);
      assert.equal(d.jobs.length, 1);
    }
    assert.equal(decide(podMachine, walk(toRunning), { type: "pod.restarted", reason: "x" }).accepted, false);
  });
});
