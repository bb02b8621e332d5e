import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { outcome, waitForOperation, waitShowingProgress, type OperationAnswer } from "../../../../api/cli/wait.js";
import { JetpackError } from "../../../../machines/errors.js";
import type { Progress } from "../../../../machines/progress.js";
import { FakeClient, MemoryOut, operation, sequence, testContext } from "./fake-client.js";

const progress: Progress = { stage: "import", bytes: 1024, total: 4096, rate: 1024, etaSeconds: 3, percent: 25, startedAt: "2024-05-01T12:00:00.000Z" };

describe("waiting for an operation", () => {
  it("polls until the operation succeeds, sleeping between polls, and returns the final answer", async () => {
    const client = new FakeClient({
      "GET /v1/operations/op-1": sequence(operation(), operation({ state: "running", progress }), operation({ state: "succeeded", result: { id: "sha512-aa" } })),
    });
    const sleeps: number[] = [];
    const seen: Array<Progress | null> = [];
    const done = await waitForOperation(client, "op-1", { sleep: async (ms) => void sleeps.push(ms), onProgress: (p) => seen.push(p) });
    assert.equal(done.state, "succeeded");
    assert.deepEqual(done.result, { id: "sha512-aa" });
    assert.equal(client.calls.length, 3);
    assert.equal(sleeps.length, 2);
    assert.ok(sleeps.every((ms) => ms >= 100 && ms <= 200));
    assert.deepEqual(seen, [null, progress]);
  });

  it("throws the failed operation's error with its kind, code and hint", async () => {
    const error = { code: "JP_ERR_ACI_PATH", kind: "invalid", message: "bad path ../x in the ACI", hint: "rebuild the image" };
    const client = new FakeClient({ "GET /v1/operations/op-1": sequence(operation({ state: "failed", error })) });
    await assert.rejects(waitForOperation(client, "op-1", { sleep: async () => undefined }), (e: unknown) => e instanceof JetpackError && JSON.stringify(e.toData()) === JSON.stringify(error));
  });

  it("gives a failed operation without an error an internal one naming it", () => {
    assert.throws(() => outcome(operation({ state: "failed" }) as OperationAnswer), (e: JetpackError) => e.kind === "internal" && e.message === "operation op-1 failed");
  });

  it("encodes the operation id in the path", async () => {
    const client = new FakeClient({ "GET /v1/operations/a%2Fb": sequence(operation({ id: "a/b", state: "succeeded" })) });
    assert.equal((await waitForOperation(client, "a/b")).id, "a/b");
  });

  it("shows progress on a terminal and erases it before returning", async () => {
    const client = new FakeClient({ "GET /v1/operations/op-1": sequence(operation({ state: "running", progress }), operation({ state: "succeeded" })) });
    const ctx = testContext(client, { stderr: new MemoryOut(true) });
    await waitShowingProgress(ctx, "op-1");
    assert.equal(ctx.stderr.text, "\rimport  1.00 KiB / 4.00 KiB (25%)  1.00 KiB/s  3s left\x1b[K\r\x1b[K");
  });

  it("erases the progress line before the error of a failed operation is printed", async () => {
    const failed = operation({ state: "failed", error: { code: "JP_ERR_X", kind: "unavailable", message: "disk gone" } });
    const client = new FakeClient({ "GET /v1/operations/op-1": sequence(operation({ state: "running", progress }), failed) });
    const ctx = testContext(client, { stderr: new MemoryOut(true) });
    await assert.rejects(waitShowingProgress(ctx, "op-1"), /disk gone/);
    assert.ok(ctx.stderr.text.endsWith("\r\x1b[K"));
  });
});
