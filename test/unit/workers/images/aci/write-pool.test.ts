import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WritePool } from "../../../../../workers/images/aci/write-pool.js";

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("WritePool", () => {
  it("runs at most maxTasks tasks at once", async () => {
    const pool = new WritePool(2, 1 << 20);
    const gates = [deferred(), deferred(), deferred()];
    let running = 0;
    let peak = 0;
    for (const [i, g] of gates.entries()) {
      await pool.room(0);
      pool.start(`t${i}`, 0, async () => {
        running++;
        peak = Math.max(peak, running);
        await g.promise;
        running--;
      });
      if (i === 1) setTimeout(() => gates[0]!.resolve(), 5);
    }
    gates[1]!.resolve();
    gates[2]!.resolve();
    await pool.drain();
    assert.equal(peak, 2);
  });

  it("waits when the bytes held would pass maxBytes", async () => {
    const pool = new WritePool(10, 100);
    const gate = deferred();
    pool.start("big", 80, () => gate.promise);
    let got = false;
    const waiting = pool.room(50).then(() => (got = true));
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(got, false);
    gate.resolve();
    await waiting;
    assert.equal(got, true);
  });

  it("surfaces a background failure at the next room() and at drain()", async () => {
    const pool = new WritePool(4, 1 << 20);
    pool.start("bad", 0, async () => {
      throw new Error("disk on fire");
    });
    await new Promise((r) => setImmediate(r));
    await assert.rejects(pool.room(0), /disk on fire/);
    await assert.rejects(pool.drain(), /disk on fire/);
  });

  it("lets a dependent wait for one named task", async () => {
    const pool = new WritePool(4, 1 << 20);
    const gate = deferred();
    let done = false;
    pool.start("target", 0, async () => {
      await gate.promise;
      done = true;
    });
    setTimeout(() => gate.resolve(), 5);
    await pool.waitFor("target");
    assert.equal(done, true);
    await pool.waitFor("nothing-running");
  });
});
