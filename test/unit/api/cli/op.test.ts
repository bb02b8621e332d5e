import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseArgs } from "../../../../api/cli/args.js";
import { operationFields, operationNote, opList, opShow, opWait } from "../../../../api/cli/commands/op.js";
import type { OperationAnswer } from "../../../../api/cli/wait.js";
import type { JetpackError } from "../../../../machines/errors.js";
import { FakeClient, operation, sequence, testContext } from "./fake-client.js";

const ID = `sha512-${"d".repeat(128)}`;
const op = (over: Record<string, unknown> = {}) => operation(over) as OperationAnswer;
const progress = { stage: "import", bytes: 2048, total: null, rate: 1024, etaSeconds: null, percent: null, startedAt: "2024-05-01T12:00:00.000Z" };

describe("jetpack op", () => {
  it("notes the result, the error or the progress of each operation", () => {
    assert.equal(operationNote(op({ state: "succeeded", result: { id: ID } })), "sha512-dddddddddddd");
    assert.equal(operationNote(op({ state: "succeeded", result: { id: ID, existing: true } })), "sha512-dddddddddddd (already there)");
    assert.equal(operationNote(op({ state: "failed", error: { code: "JP_ERR_X", kind: "invalid", message: "bad ACI" } })), "bad ACI (JP_ERR_X)");
    assert.equal(operationNote(op({ state: "running", progress })), "import  2.00 KiB  1.00 KiB/s");
    assert.equal(operationNote(op()), "");
  });

  it("lists operations as a table", async () => {
    const ctx = testContext(new FakeClient({ "GET /v1/operations": () => ({ operations: [op({ state: "running", progress })] }) }));
    await opList(parseArgs([], {}), ctx);
    const [header, row] = ctx.stdout.text.split("\n");
    assert.match(header!, /^ID\s+KIND\s+STATE\s+ACTOR\s+CREATED\s+NOTE$/);
    assert.match(row!, /^op-1\s+image\.import\s+running\s+root\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+import {2}2\.00 KiB/);
  });

  it("shows one operation's fields, with error and hint when it failed", async () => {
    const failed = op({ state: "failed", error: { code: "JP_ERR_IMAGE_UNVERIFIED", kind: "permission_denied", message: "not verified", hint: "pass --insecure-options=image" } });
    const fields = Object.fromEntries(operationFields(failed));
    assert.equal(fields.Error, "not verified (JP_ERR_IMAGE_UNVERIFIED, permission_denied)");
    assert.equal(fields.Hint, "pass --insecure-options=image");
    const ctx = testContext(new FakeClient({ "GET /v1/operations/op-1": () => failed }));
    await opShow(parseArgs(["op-1"], {}), ctx);
    assert.match(ctx.stdout.text, /^State:\s+failed$/m);
  });

  it("shows the raw answer with --json", async () => {
    const ctx = testContext(new FakeClient({ "GET /v1/operations/op-1": () => op() }), { json: true });
    await opShow(parseArgs(["op-1"], {}), ctx);
    assert.deepEqual(JSON.parse(ctx.stdout.text), op());
  });

  it("waits for an operation and prints the image it made", async () => {
    const ctx = testContext(new FakeClient({ "GET /v1/operations/op-1": sequence(op({ state: "running" }), op({ state: "succeeded", result: { id: ID } })) }));
    await opWait(parseArgs(["op-1"], {}), ctx);
    assert.equal(ctx.stdout.text, `${ID}\n`);
  });

  it("prints the final state of an operation that made no image", async () => {
    const ctx = testContext(new FakeClient({ "GET /v1/operations/op-1": sequence(op({ kind: "image.destroy", state: "succeeded", result: {} })) }));
    await opWait(parseArgs(["op-1"], {}), ctx);
    assert.equal(ctx.stdout.text, "op-1 succeeded (image/0b1c2d3e)\n");
  });

  it("fails with the operation's own error when it failed", async () => {
    const failed = op({ state: "failed", error: { code: "JP_ERR_ZFS_BUSY", kind: "unavailable", message: "dataset is busy" } });
    const ctx = testContext(new FakeClient({ "GET /v1/operations/op-1": sequence(failed) }));
    await assert.rejects(opWait(parseArgs(["op-1"], {}), ctx), (e: JetpackError) => e.kind === "unavailable" && e.message === "dataset is busy");
  });
});
