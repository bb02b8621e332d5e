import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { labelsMatch, matchDependency, resolveImageRef } from "../../../machines/image-ref.js";
import type { ImageView } from "../../../machines/projections/images.js";

const hex = (c: string) => c.repeat(128);
function image(id: string, name: string, labels: Record<string, string>, importedAt = "2026-01-01T00:00:00.000Z"): ImageView {
  return {
    id: `sha512-${id}`,
    uuid: id.slice(0, 8),
    name,
    labels: Object.entries(labels).map(([n, v]) => ({ name: n, value: v })),
    manifest: {},
    dependencies: [],
    compression: "gzip",
    aciBytes: 1,
    tarBytes: 1,
    importedAt,
    importedBy: "root",
    state: "ready",
  };
}
const a = image(hex("a"), "example.com/app", { version: "1.0", os: "linux" });
const b = image(hex("b"), "example.com/app", { version: "2.0", os: "linux" });
const c = image("aaaaaaaa" + hex("c").slice(8), "example.com/other", { version: "1.0" });
const all = [a, b, c];

describe("resolving IMAGE references", () => {
  it("finds an image by its full ID, by a unique prefix with or without sha512-, and by name with labels", () => {
    assert.equal(resolveImageRef(all, a.id), a);
    assert.equal(resolveImageRef(all, `sha512-${"b".repeat(10)}`), b);
    assert.equal(resolveImageRef(all, "bbbbbbbb"), b);
    assert.equal(resolveImageRef(all, "example.com/app:2.0"), b);
    assert.equal(resolveImageRef(all, "example.com/app,version=1.0,os=linux"), a);
    assert.equal(resolveImageRef(all, "example.com/other"), c);
  });

  it("calls an ambiguous name a conflict and lists the candidates", () => {
    assert.throws(() => resolveImageRef(all, "example.com/app"), (e: Error & { kind?: string; details?: any }) => e.kind === "conflict" && e.details.candidates.length === 2);
    assert.throws(() => resolveImageRef(all, "aaaaaa"), (e: Error & { kind?: string }) => e.kind === "conflict", "aaaaaa prefixes both a... and aaaaaaaac...");
  });

  it("says not found with a hint, and refuses prefixes too short to be safe", () => {
    assert.throws(() => resolveImageRef(all, "example.com/nope"), (e: Error & { kind?: string; hint?: string }) => e.kind === "not_found" && /image list/.test(e.hint ?? ""));
    assert.throws(() => resolveImageRef(all, "sha512-ab"), (e: Error & { kind?: string }) => e.kind === "invalid");
  });
});

describe("matching dependencies", () => {
  it("a label not asked for matches anything; an asked label must be equal", () => {
    assert.equal(labelsMatch([], a.labels), true);
    assert.equal(labelsMatch([{ name: "os", value: "linux" }], a.labels), true);
    assert.equal(labelsMatch([{ name: "os", value: "freebsd" }], a.labels), false);
    assert.deepEqual(matchDependency(all, { imageName: "example.com/app" }), [a, b]);
    assert.deepEqual(matchDependency(all, { imageName: "example.com/app", labels: [{ name: "version", value: "2.0" }] }), [b]);
  });

  it("an imageID pins the dependency, and must belong to the named image", () => {
    assert.deepEqual(matchDependency(all, { imageName: "example.com/app", imageID: a.id }), [a]);
    assert.deepEqual(matchDependency(all, { imageName: "example.com/other", imageID: a.id }), []);
  });
});
