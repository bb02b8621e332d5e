import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSemVer, semVerError } from "../../../../machines/appc/index.js";

describe("acVersion (SemVer as the Go schema reads it)", () => {
  it("accepts today's version and the old ones still found in images", () => {
    for (const v of ["0.8.11", "0.6.1", "0.3.0", "1.0.0", "99.0.0"]) assert.equal(semVerError(v), undefined, v);
  });

  it("accepts leading zeros, pre-releases and build metadata", () => {
    for (const v of ["01.0.0", "1.0.0-rc.1", "1.0.0-x-y", "1.0.0+build.5", "0.0.0-alpha", "1.0.0-"]) assert.equal(semVerError(v), undefined, v);
  });

  it("rejects 0.0.0", () => {
    assert.equal(semVerError("0.0.0"), "SemVer cannot be zero");
    assert.equal(semVerError("00.0.0"), "SemVer cannot be zero");
  });

  it("rejects a v prefix, missing parts and stray spaces", () => {
    assert.equal(semVerError("v0.8.11"), "SemVer is bad: v0 is not a valid version number");
    assert.equal(semVerError("0.8"), "SemVer is bad: 0.8 is not in dotted-tri format");
    assert.equal(semVerError("1"), "SemVer is bad: 1 is not in dotted-tri format");
    assert.equal(semVerError(" 0.8.11"), "SemVer is bad:  0 is not a valid version number");
    assert.equal(semVerError("1.2.3.4"), "SemVer is bad: 3.4 is not a valid version number");
  });

  it("rejects bad pre-release and metadata identifiers, and numbers past int64", () => {
    assert.equal(semVerError("1.0.0-a_b"), "SemVer is bad: failed to validate pre-release: a_b is not a valid semver identifier");
    assert.equal(semVerError("1.0.0+x+y"), "SemVer is bad: failed to validate metadata: x+y is not a valid semver identifier");
    assert.equal(semVerError("1.0.0-.."), "SemVer is bad: failed to validate pre-release: .. is not a valid semver identifier");
    assert.equal(semVerError("99999999999999999999.0.0"), "SemVer is bad: 99999999999999999999 is not a valid version number");
  });

  it("returns the parts of a good version", () => {
    assert.deepEqual(parseSemVer("1.2.3-rc.1+b5"), { major: 1n, minor: 2n, patch: 3n, preRelease: "rc.1", metadata: "b5" });
  });
});
