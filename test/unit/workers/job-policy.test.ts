import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fail } from "../../../machines/errors.js";
import { decideFailure } from "../../../workers/job-policy.js";

describe("job failure policy", () => {
  it("never retries a permanent kind, and gives the error as data", () => {
    const d = decideFailure(fail("invalid", "JP_ERR_X", "bad manifest"), 0, 3);
    assert.equal(d.retry, false);
    assert.deepEqual(d.error, { code: "JP_ERR_X", kind: "invalid", message: "bad manifest" });
    assert.equal(decideFailure(fail("conflict", "JP_ERR_Y", "in use"), 0, 3).retry, false);
  });

  it("retries unavailable and internal failures while attempts remain", () => {
    assert.equal(decideFailure(fail("unavailable", "JP_ERR_Z", "busy"), 0, 3).retry, true);
    assert.equal(decideFailure(new Error("boom"), 1, 3).retry, true);
    assert.equal(decideFailure(new Error("boom"), 2, 3).retry, false);
    assert.equal(decideFailure(new Error("boom"), 2, 3).error.kind, "internal");
  });
});
