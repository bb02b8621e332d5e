// The JetpackError a call throws, for tests that check what a refusal says.
import assert from "node:assert/strict";
import { JetpackError } from "../../machines/errors.js";

/** Calls `fn`, which must throw a JetpackError, and returns that error. */
export function refusal(fn: () => unknown): JetpackError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof JetpackError, String(e));
    return e;
  }
  assert.fail("accepted");
}
