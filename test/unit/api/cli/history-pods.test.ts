import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { eventSummary } from "../../../../api/cli/commands/history.js";
import type { LogRecord } from "../../../../machines/log/index.js";

const rec = (type: string, data: unknown): LogRecord => ({ seq: 1, time: "2026-11-28T00:00:00.000Z", stream: "pod/p1", type, actor: "alice", data, prev: "", hash: "" }) as unknown as LogRecord;

describe("the timeline of pod events", () => {
  it("says which address a create leased and who it is called", () => {
    assert.equal(eventSummary(rec("pod.create.requested", { name: "web", manifest: {}, ip: "172.29.0.2" })), "web  address 172.29.0.2");
  });

  it("gives each app's exit code, or the signal that killed it", () => {
    assert.equal(eventSummary(rec("pod.app.exited", { name: "web", state: "exited", exitCode: 3, signal: null })), "web exited 3");
    const apps = [{ name: "a", state: "exited", exitCode: 0, signal: null }, { name: "b", state: "exited", exitCode: null, signal: "SIGKILL" }];
    assert.equal(eventSummary(rec("pod.stopped", { apps })), "a exited 0, b killed (SIGKILL)");
  });

  it("says when a stop turns into SIGKILL", () => {
    assert.equal(eventSummary(rec("pod.stop.requested", { timeoutMs: 2500 })), "SIGKILL after 2.5 s");
  });
});
