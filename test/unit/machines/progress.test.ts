import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeProgress } from "../../../machines/progress.js";

describe("progress figures", () => {
  it("gives rate, percent and time left from bytes, total and elapsed time", () => {
    const p = computeProgress("extracting", 0, 2000, 50, 200);
    assert.equal(p.rate, 25);
    assert.equal(p.percent, 25);
    assert.equal(p.etaSeconds, 6);
    assert.equal(p.startedAt, new Date(0).toISOString());
  });

  it("leaves percent and time left unknown without a total", () => {
    const p = computeProgress("downloading", 0, 1000, 10, null);
    assert.equal(p.percent, null);
    assert.equal(p.etaSeconds, null);
  });
});
