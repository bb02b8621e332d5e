import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { canonicalJson } from "../../../../machines/log/canonical-json.js";
import { JetpackError } from "../../../../machines/errors.js";

describe("canonicalJson", () => {
  it("sorts keys at every depth and writes no whitespace", () => {
    const value = { b: 1, a: { z: [3, { y: true, x: null }], c: "s" } };
    assert.equal(canonicalJson(value), '{"a":{"c":"s","z":[3,{"x":null,"y":true}]},"b":1}');
  });

  it("spells the same data the same way whatever order its keys were inserted in", () => {
    assert.equal(canonicalJson({ one: 1, two: { p: 1, q: 2 } }), canonicalJson({ two: { q: 2, p: 1 }, one: 1 }));
  });

  it("omits undefined fields and writes undefined array items as null, like JSON.stringify", () => {
    assert.equal(canonicalJson({ a: undefined, b: [undefined, 1], c: () => 1 }), '{"b":[null,1]}');
  });

  it("writes non-finite numbers as null and honours toJSON (dates become ISO strings)", () => {
    assert.equal(canonicalJson({ n: Number.NaN, i: Infinity, d: new Date(0) }), '{"d":"1970-01-01T00:00:00.000Z","i":null,"n":null}');
  });

  it("escapes strings as JSON does, including quotes, control characters and lone surrogates", () => {
    const s = 'say "hi"\n\u0001\ud800é';
    assert.equal(canonicalJson(s), JSON.stringify(s));
  });

  it("gives back the same text after a parse round trip, which is what lets readers recompute hashes", () => {
    const value = { z: [1.5, -0, 1e21, "x", { b: undefined, a: new Date(5) }], a: { "é": 1, É: 2, _: 3 } };
    const once = canonicalJson(value);
    assert.equal(canonicalJson(JSON.parse(once)), once);
  });

  it("refuses a BigInt or a cycle with an invalid error instead of writing something ambiguous", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [{ n: 10n }, cyclic, undefined]) {
      assert.throws(() => canonicalJson(bad), (err: unknown) => err instanceof JetpackError && err.kind === "invalid" && err.code === "JP_ERR_LOG_NOT_JSON");
    }
  });

  it("accepts the same object twice in different branches (shared, not cyclic)", () => {
    const shared = { k: 1 };
    assert.equal(canonicalJson({ a: shared, b: [shared] }), '{"a":{"k":1},"b":[{"k":1}]}');
  });
});
