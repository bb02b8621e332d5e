import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fail } from "../../../../../machines/errors.js";
import { DEFAULT_BUSY_DELAYS_MS, retryWhileBusy } from "../../../../../workers/host/zfs/retry.js";

const busy = () => fail("unavailable", "JP_ERR_ZFS_BUSY", "cannot destroy 'tank/a': dataset is busy");

describe("retrying while zfs says busy", () => {
  it("tries again after busy and returns the first success", async () => {
    const seen: number[] = [];
    const got = await retryWhileBusy([1, 1, 1], async (i) => {
      seen.push(i);
      if (i < 2) throw busy();
      return "done";
    });
    assert.equal(got, "done");
    assert.deepEqual(seen, [0, 1, 2]);
  });

  it("gives up with the busy error once the delays run out", async () => {
    let calls = 0;
    await assert.rejects(
      retryWhileBusy([1, 1], async () => {
        calls++;
        throw busy();
      }),
      (e: unknown) => (e as { code?: string }).code === "JP_ERR_ZFS_BUSY",
    );
    assert.equal(calls, 3);
  });

  it("does not retry any other failure", async () => {
    let calls = 0;
    await assert.rejects(
      retryWhileBusy([1, 1], async () => {
        calls++;
        throw fail("conflict", "JP_ERR_ZFS_HAS_DEPENDENTS", "has dependent clones");
      }),
      (e: unknown) => (e as { kind?: string }).kind === "conflict",
    );
    assert.equal(calls, 1);
  });

  it("by default makes ten attempts over a few seconds", () => {
    assert.equal(DEFAULT_BUSY_DELAYS_MS.length + 1, 10);
    const total = DEFAULT_BUSY_DELAYS_MS.reduce((a, b) => a + b, 0);
    assert.ok(total >= 2000 && total <= 6000, `total wait ${total} ms`);
  });
});
