import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EXIT_CODES, exitCodeOf, renderError } from "../../../../api/cli/exit.js";
import { ERROR_KINDS, fail } from "../../../../machines/errors.js";

describe("exit codes and error messages", () => {
  it("gives each error kind its own exit code, as documented", () => {
    assert.deepEqual(EXIT_CODES, { internal: 1, invalid: 2, not_found: 3, already_exists: 4, conflict: 5, permission_denied: 6, unavailable: 7 });
    assert.deepEqual(Object.keys(EXIT_CODES).sort(), [...ERROR_KINDS].sort());
  });

  it("exits with the code of the error's kind, and 1 for an error that is not a JetpackError", () => {
    assert.equal(exitCodeOf(fail("not_found", "JP_ERR_X", "gone")), 3);
    assert.equal(exitCodeOf(fail("unavailable", "JP_ERR_X", "later")), 7);
    assert.equal(exitCodeOf(new TypeError("oops")), 1);
    assert.equal(exitCodeOf("a string"), 1);
  });

  it("prints the message after jetpack: and the hint on the next line", () => {
    const err = fail("not_found", "JP_ERR_IMAGE_NOT_FOUND", "no image matches foo", { hint: "see `jetpack image list`" });
    assert.equal(renderError(err, false), "jetpack: no image matches foo\nhint: see `jetpack image list`\n");
  });

  it("prints no hint line when there is no hint", () => {
    assert.equal(renderError(fail("invalid", "JP_ERR_X", "bad"), false), "jetpack: bad\n");
    assert.equal(renderError(new Error("boom"), false), "jetpack: boom\n");
  });

  it("prints the error as one line of JSON with --json", () => {
    const err = fail("conflict", "JP_ERR_IMAGE_BUSY", "busy", { hint: "wait" });
    const line = renderError(err, true);
    assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"));
    assert.deepEqual(JSON.parse(line), { error: { code: "JP_ERR_IMAGE_BUSY", kind: "conflict", message: "busy", hint: "wait" } });
  });
});
