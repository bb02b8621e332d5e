import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LogRecord } from "../../../../machines/log/index.js";
import { dependentsOf, emptyImages, foldImages } from "../../../../machines/projections/images.js";
import { emptyOperations, foldOperations } from "../../../../machines/projections/operations.js";

let seq = 0;
function rec(stream: string, type: string, data: unknown, op?: string, actor = "alice"): LogRecord {
  seq++;
  return { seq, time: `2026-11-28T10:00:${String(seq).padStart(2, "0")}.000Z`, stream, type, actor, data, prev: "0".repeat(64), hash: "0".repeat(64), ...(op ? { op } : {}) };
}
const imported = (id: string, name: string, deps: string[] = []) => ({ id, name, labels: [], manifest: { name }, dependencies: deps, compression: "gzip", aciBytes: 10, tarBytes: 20 });

describe("images projection", () => {
  it("holds imported images until destroyed, marking the ones being destroyed", () => {
    const images = emptyImages();
    foldImages(images, rec("image/u1", "image.import.requested", {}, "op1"));
    assert.equal(images.size, 0);
    foldImages(images, rec("image/u1", "image.imported", imported("sha512-a", "base"), "op1"));
    foldImages(images, rec("image/u2", "image.imported", imported("sha512-b", "app", ["sha512-a"]), "op2"));
    assert.deepEqual([...images.keys()], ["sha512-a", "sha512-b"]);
    assert.equal(images.get("sha512-a")!.importedBy, "alice");
    assert.deepEqual(dependentsOf(images, "sha512-a").map((v) => v.name), ["app"]);
    foldImages(images, rec("image/u2", "image.destroy.requested", {}, "op3"));
    assert.equal(images.get("sha512-b")!.state, "destroying");
    foldImages(images, rec("image/u2", "image.destroy.failed", { error: {} }, "op3"));
    assert.equal(images.get("sha512-b")!.state, "ready");
    foldImages(images, rec("image/u2", "image.destroyed", {}, "op3"));
    assert.deepEqual([...images.keys()], ["sha512-a"]);
  });
});

describe("operations projection", () => {
  it("follows an import from queued to succeeded with its result, under the actor who asked", () => {
    const ops = emptyOperations();
    foldOperations(ops, rec("image/u1", "image.import.requested", {}, "op1", "bob"));
    assert.equal(ops.get("op1")!.state, "queued");
    assert.equal(ops.get("op1")!.kind, "image.import");
    foldOperations(ops, rec("image/u1", "image.import.started", { jobSeq: 1 }, "op1", "bob"));
    assert.equal(ops.get("op1")!.state, "running");
    foldOperations(ops, rec("image/u1", "image.imported", imported("sha512-a", "base"), "op1", "bob"));
    const done = ops.get("op1")!;
    assert.equal(done.state, "succeeded");
    assert.deepEqual(done.result, { id: "sha512-a", name: "base" });
    assert.equal(done.actor, "bob");
  });

  it("keeps the error of a failed operation, and clears it when recovery queues it again", () => {
    const ops = emptyOperations();
    const error = { code: "JP_ERR_X", kind: "invalid", message: "bad" };
    foldOperations(ops, rec("image/u1", "image.import.requested", {}, "op1"));
    foldOperations(ops, rec("image/u1", "image.import.failed", { error }, "op1"));
    assert.deepEqual(ops.get("op1")!.error, error);
    const ops2 = emptyOperations();
    foldOperations(ops2, rec("image/u1", "image.import.requested", {}, "op2"));
    foldOperations(ops2, rec("image/u1", "image.import.restarted", { reason: "crash" }, "op2", "system"));
    assert.equal(ops2.get("op2")!.state, "queued");
    assert.equal(ops2.get("op2")!.actor, "alice", "the operation stays the asker's");
  });

  it("ignores records without an operation", () => {
    const ops = emptyOperations();
    foldOperations(ops, rec("image/u1", "image.found-missing", { reason: "gone" }));
    assert.equal(ops.size, 0);
  });
});

describe("operations and the streams they touch", () => {
  it("an event the operation caused on another stream (a dependency, a key) does not end it", () => {
    const ops = emptyOperations();
    foldOperations(ops, rec("image/app", "image.fetch.requested", {}, "op9"));
    foldOperations(ops, rec("image/app", "image.import.started", { jobSeq: 1 }, "op9"));
    foldOperations(ops, rec("trust/abc", "trust.key.added", { fingerprint: "abc" }, "op9"));
    foldOperations(ops, rec("image/dep", "image.imported", imported("sha512-d", "dep"), "op9"));
    assert.equal(ops.get("op9")!.state, "running");
    foldOperations(ops, rec("image/app", "image.imported", imported("sha512-a", "app"), "op9"));
    assert.deepEqual(ops.get("op9")!.result, { id: "sha512-a", name: "app" });
  });
});
