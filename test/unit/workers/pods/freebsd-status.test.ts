import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { jailSandboxStatus, needsFinish, readJailRecord, UNWATCHED_EXIT, withJailApp, writeJailRecord, type JailPodRecord } from "../../../../workers/pods/freebsd-status.js";

const record = (over: Partial<JailPodRecord> = {}): JailPodRecord => ({
  uuid: "0d5b0f8e-4a57-4c0c-9d7f-3e1f6f0c2a11",
  jail: "jetpack/0d5b0f8e-4a57-4c0c-9d7f-3e1f6f0c2a11",
  jid: 7,
  state: "running",
  apps: [
    { name: "db", state: "running", exitCode: null, signal: null, reason: null, pid: 100, postStop: [] },
    { name: "web", state: "exited", exitCode: 3, signal: null, reason: null, pid: 101, postStop: [] },
  ],
  error: null,
  ...over,
});

describe("FreeBSD pod status", () => {
  const dir = mkdtempSync(join(tmpdir(), "jp-fbsd-status-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps the record in the pod's status.json and reads it back; a missing or torn file reads as never launched", () => {
    assert.equal(readJailRecord(dir), null);
    writeJailRecord(dir, record());
    assert.deepEqual(readJailRecord(dir), record());
    assert.match(readFileSync(join(dir, "status.json"), "utf8"), /"jail": "jetpack\//);
    writeFileSync(join(dir, "status.json"), '{"uuid": "0d5b');
    assert.equal(readJailRecord(dir), null);
  });

  it("reports recorded exit codes, and the jail's presence as live", () => {
    const s = jailSandboxStatus(record(), true, () => true);
    assert.deepEqual(s, {
      state: "running",
      live: true,
      apps: [
        { name: "db", state: "running", exitCode: null, signal: null, reason: null },
        { name: "web", state: "exited", exitCode: 3, signal: null, reason: null },
      ],
    });
    assert.equal(jailSandboxStatus(record(), false, () => true).live, false);
  });

  it("counts an app whose process is gone with no exit recorded as exited, saying its code is unknown", () => {
    const s = jailSandboxStatus(record(), true, (pid) => pid !== 100);
    assert.deepEqual(s.apps[0], { name: "db", state: "exited", exitCode: null, signal: null, reason: UNWATCHED_EXIT });
    assert.equal(needsFinish(s), true);
  });

  it("needs no finish while an app runs, nor once the pod is over", () => {
    assert.equal(needsFinish(jailSandboxStatus(record(), true, () => true)), false);
    const over = withJailApp(record({ state: "exited" }), "db", { state: "exited", exitCode: 0 });
    assert.equal(needsFinish(jailSandboxStatus(over, false, () => false)), false);
  });
});
