import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dirNameToPrefix, nameHost, prefixError, prefixMatches, prefixToDirName } from "../../../../../workers/images/trust/prefix.js";

describe("prefixMatches", () => {
  const table: Array<[prefix: string, name: string, matches: boolean]> = [
    ["example.com", "example.com", true],
    ["example.com", "example.com/app", true],
    ["example.com", "example.com/org/app", true],
    ["example.com", "example.community", false],
    ["example.com", "example.community/app", false],
    ["example.com", "example.co", false],
    ["example.com", "www.example.com/app", false],
    ["example.com", "sub.example.com", false],
    ["example.com/org", "example.com/org/app", true],
    ["example.com/org", "example.com/org", true],
    ["example.com/org", "example.com/organic", false],
    ["example.com/org", "example.com/organic/app", false],
    ["example.com/org", "example.com", false],
    ["example.com/org", "example.com/other/app", false],
    ["example.com/org/app", "example.com/org", false],
    ["", "example.com", false],
    ["example.com", "", false],
  ];
  for (const [prefix, name, matches] of table) {
    it(`says a key trusted for "${prefix}" ${matches ? "may" : "may not"} sign "${name}"`, () => {
      assert.equal(prefixMatches(prefix, name), matches);
    });
  }
});

describe("prefixError", () => {
  it("accepts hosts and host paths as trust prefixes", () => {
    for (const p of ["example.com", "example.com/org", "example.com/org/app", "localhost", "a-b.c_d~e/f"]) {
      assert.equal(prefixError(p), undefined, p);
    }
  });

  it("refuses prefixes that are not AC Identifiers or that have empty, dot or dot-dot segments", () => {
    for (const p of ["", "Example.com", "example.com/", "/example.com", "example.com//org", "example.com/./org", "example.com/../org", "example,com", "@"]) {
      assert.notEqual(prefixError(p), undefined, p);
    }
  });
});

describe("prefix directory names", () => {
  it("writes slashes as commas and reads them back", () => {
    assert.equal(prefixToDirName("example.com/org/app"), "example.com,org,app");
    assert.equal(dirNameToPrefix("example.com,org,app"), "example.com/org/app");
    assert.equal(dirNameToPrefix("example.com"), "example.com");
  });

  it("does not read a directory name that no valid prefix would produce", () => {
    for (const d of ["..", ".", "example.com,,org", ",example.com", "Example.com", "example com"]) {
      assert.equal(dirNameToPrefix(d), undefined, d);
    }
  });
});

describe("nameHost", () => {
  it("names the host of an image name, for the hint that suggests a prefix", () => {
    assert.equal(nameHost("example.com/org/app"), "example.com");
    assert.equal(nameHost("example.com"), "example.com");
  });
});
