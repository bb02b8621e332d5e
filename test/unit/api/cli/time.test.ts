import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseTime } from "../../../../api/cli/time.js";
import { JetpackError } from "../../../../machines/errors.js";

const now = new Date("2024-05-01T12:00:00.000Z");

describe("times on the command line", () => {
  it("reads 30s, 10m, 2h, 1d and 1w as that long ago", () => {
    assert.equal(parseTime("30s", now, "since").toISOString(), "2024-05-01T11:59:30.000Z");
    assert.equal(parseTime("10m", now, "since").toISOString(), "2024-05-01T11:50:00.000Z");
    assert.equal(parseTime("2h", now, "since").toISOString(), "2024-05-01T10:00:00.000Z");
    assert.equal(parseTime("1d", now, "since").toISOString(), "2024-04-30T12:00:00.000Z");
    assert.equal(parseTime("1w", now, "since").toISOString(), "2024-04-24T12:00:00.000Z");
  });

  it("reads a date as local midnight", () => {
    assert.equal(parseTime("2024-03-05", now, "since").getTime(), new Date(2024, 2, 5).getTime());
  });

  it("reads a date and time without an offset as local, like the times history prints", () => {
    assert.equal(parseTime("2024-03-05T06:07", now, "since").getTime(), new Date(2024, 2, 5, 6, 7).getTime());
    assert.equal(parseTime("2024-03-05 06:07:08", now, "since").getTime(), new Date(2024, 2, 5, 6, 7, 8).getTime());
  });

  it("reads ISO times with Z or an offset as those instants", () => {
    assert.equal(parseTime("2024-03-05T06:07:08Z", now, "until").toISOString(), "2024-03-05T06:07:08.000Z");
    assert.equal(parseTime("2024-03-05T06:07:08.250+02:00", now, "until").toISOString(), "2024-03-05T04:07:08.250Z");
  });

  it("refuses what is not a time, naming the flag and showing the forms it takes", () => {
    for (const bad of ["yesterday", "10", "10y", "2024-13-01", "2024-02-30", "", "-2h"]) {
      assert.throws(
        () => parseTime(bad, now, "until"),
        (e: unknown) => e instanceof JetpackError && e.kind === "invalid" && e.message === `--until ${bad} is not a time` && /10m, 2h, 1d/.test(e.hint ?? ""),
        bad,
      );
    }
  });
});
