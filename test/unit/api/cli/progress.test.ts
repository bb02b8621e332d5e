import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProgressLine, progressText } from "../../../../api/cli/progress.js";
import type { Progress } from "../../../../machines/progress.js";
import { MemoryOut } from "./fake-client.js";

const MiB = 1024 * 1024;

function progress(over: Partial<Progress> = {}): Progress {
  return { stage: "import", bytes: 12.5 * MiB, total: 50 * MiB, rate: 2.5 * MiB, etaSeconds: 15, percent: 25, startedAt: "2024-05-01T12:00:00.000Z", ...over };
}

describe("the progress line", () => {
  it("shows bytes, total, percent, rate and time left", () => {
    assert.equal(progressText(progress()), "import  12.5 MiB / 50.0 MiB (25%)  2.50 MiB/s  15s left");
  });

  it("leaves out what is not known yet", () => {
    assert.equal(progressText(progress({ total: null, percent: null, etaSeconds: null })), "import  12.5 MiB  2.50 MiB/s");
    assert.equal(progressText(progress({ bytes: 0, rate: 0, etaSeconds: null, percent: 0 })), "import  0 B / 50.0 MiB (0%)");
  });

  it("draws nothing at all when stderr is not a terminal", () => {
    const out = new MemoryOut(false);
    const line = new ProgressLine(out, () => 0);
    line.update(progress());
    line.clear();
    assert.equal(out.text, "");
  });

  it("redraws in place with a carriage return at most every 100 ms, and erases itself at the end", () => {
    const out = new MemoryOut(true);
    let t = 1000;
    const line = new ProgressLine(out, () => t);
    line.update(progress({ bytes: 1 }));
    t += 50;
    line.update(progress({ bytes: 2 }));
    t += 60;
    line.update(progress({ bytes: 3 }));
    line.clear();
    assert.deepEqual(
      out.chunks.map((c) => c.toString()),
      ["\rimport  1 B / 50.0 MiB (25%)  2.50 MiB/s  15s left\x1b[K", "\rimport  3 B / 50.0 MiB (25%)  2.50 MiB/s  15s left\x1b[K", "\r\x1b[K"],
    );
  });

  it("cuts the line to the terminal's width so it never wraps", () => {
    const out = new MemoryOut(true, 20);
    new ProgressLine(out, () => 0).update(progress());
    assert.equal(out.text, `\r${"import  12.5 MiB / 50.0 MiB".slice(0, 19)}\x1b[K`);
  });

  it("erases nothing when it never drew", () => {
    const out = new MemoryOut(true);
    const line = new ProgressLine(out, () => 0);
    line.update(null);
    line.clear();
    assert.equal(out.text, "");
  });
});
