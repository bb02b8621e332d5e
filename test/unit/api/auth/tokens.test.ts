import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bearerToken, MIN_TOKEN_LENGTH, parseTokenFile } from "../../../../api/auth/tokens.js";
import type { JetpackError } from "../../../../machines/errors.js";

const A = "a".repeat(32);
const B = "0123456789abcdef0123456789abcdef0123";

describe("token files", () => {
  it("reads one NAME TOKEN per line, skipping blank lines and # comments", () => {
    const t = parseTokenFile(`# ci and alice\n\nci ${A}\n  alice\t${B}  \n# end\n`, "/etc/jetpack/tokens");
    assert.deepEqual(t.names, ["ci", "alice"]);
    assert.equal(t.nameOf(A), "ci");
    assert.equal(t.nameOf(B), "alice");
  });

  it("knows no token that is not in the file, nor a prefix or an extension of one", () => {
    const t = parseTokenFile(`ci ${A}\n`, "tokens");
    assert.equal(t.nameOf("b".repeat(32)), undefined);
    assert.equal(t.nameOf(A.slice(0, 31)), undefined);
    assert.equal(t.nameOf(`${A}x`), undefined);
    assert.equal(t.nameOf(""), undefined);
  });

  it("refuses a token shorter than 32 characters, naming the file, the line and the holder", () => {
    assert.equal(MIN_TOKEN_LENGTH, 32);
    assert.throws(
      () => parseTokenFile(`# comment\nci ${A}\nbob ${"x".repeat(31)}\n`, "tokens"),
      (e: JetpackError) => e.kind === "invalid" && e.code === "JP_ERR_AUTH_TOKEN_SHORT" && e.message.startsWith("tokens:3: the token of bob has 31 characters"),
    );
  });

  it("refuses a line that is not two fields, a bad name, a token given twice, and a file with no token", () => {
    assert.throws(() => parseTokenFile(`ci\n`, "f"), /f:1: expected NAME TOKEN, found 1 fields/);
    assert.throws(() => parseTokenFile(`ci ${A} extra\n`, "f"), /f:1: expected NAME TOKEN, found 3 fields/);
    assert.throws(() => parseTokenFile(`c/i ${A}\n`, "f"), /f:1: "c\/i" is not a valid name/);
    assert.throws(() => parseTokenFile(`ci ${A}\nbob ${A}\n`, "f"), /f:2: the token of bob is the same as the one on line 1/);
    assert.throws(() => parseTokenFile(`# nothing\n\n`, "f"), /f has no tokens/);
  });
});

describe("the Authorization header", () => {
  it("yields the token of `Bearer <token>`, whatever the case of the scheme", () => {
    assert.equal(bearerToken(`Bearer ${A}`), A);
    assert.equal(bearerToken(`bearer ${A}`), A);
    assert.equal(bearerToken([`Bearer ${B}`]), B);
  });

  it("yields nothing for another scheme, an empty token or no header", () => {
    assert.equal(bearerToken(`Basic ${A}`), undefined);
    assert.equal(bearerToken("Bearer "), undefined);
    assert.equal(bearerToken(`Bearer ${A} more`), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });
});
