import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_LIMITS, GIB, MIB, resolveLimits } from "../../../../../workers/images/aci/limits.js";

describe("resolveLimits", () => {
  it("defaults to a 1 MiB manifest, 64 GiB of tar and 5,000,000 entries", () => {
    assert.deepEqual(resolveLimits(), { maxManifestBytes: MIB, maxTotalBytes: 64 * GIB, maxEntries: 5_000_000 });
    assert.deepEqual(resolveLimits({}), DEFAULT_LIMITS);
  });

  it("overrides only what is given", () => {
    assert.deepEqual(resolveLimits({ maxEntries: 10 }), { ...DEFAULT_LIMITS, maxEntries: 10 });
  });

  it("refuses zero, negative and fractional bounds", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => resolveLimits({ maxTotalBytes: bad }), { code: "JP_ERR_ACI_LIMITS" });
    }
  });
});
