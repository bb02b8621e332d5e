import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { VERSION } from "../../../api/version.js";
import { repoPath } from "../../support/repo.js";

describe("version", () => {
  it("the version the CLI and daemon report is package.json's", () => {
    assert.equal(VERSION, JSON.parse(readFileSync(repoPath("package.json"), "utf8")).version);
  });
});
