import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { JetpackError } from "../../../../machines/errors.js";
import { imageIdError, isFullImageId, parseImageId, shortImageId } from "../../../../machines/appc/index.js";

const FULL = `sha512-${createHash("sha512").update("image").digest("hex")}`;

describe("image IDs", () => {
  it("accepts any non-empty sha512 value, as the Go schema does", () => {
    assert.equal(parseImageId(FULL), FULL);
    assert.equal(parseImageId("sha512-..."), "sha512-...");
    assert.equal(parseImageId("sha512-abc"), "sha512-abc");
  });

  it("rejects other hash types, empty parts and extra dashes with the Go texts", () => {
    assert.equal(imageIdError("sha512-"), "unexpected empty hash value");
    assert.equal(imageIdError("-abc"), "unexpected empty hash type");
    assert.equal(imageIdError("sha256-x"), "unrecognized hash type: sha256");
    assert.equal(imageIdError("SHA512-x"), "unrecognized hash type: SHA512");
    assert.equal(imageIdError("sha512-a-b"), "badly formatted hash string");
    assert.equal(imageIdError(""), "badly formatted hash string");
  });

  it("throws invalid JP_ERR_IMAGE_ID naming the id", () => {
    assert.throws(
      () => parseImageId("sha256-x"),
      (err: unknown) => err instanceof JetpackError && err.kind === "invalid" && err.code === "JP_ERR_IMAGE_ID" && err.message === 'invalid image ID "sha256-x": unrecognized hash type: sha256',
    );
  });

  it("tells a full id (128 lower-case hex digits) from a merely parseable one", () => {
    assert.equal(isFullImageId(FULL), true);
    assert.equal(isFullImageId("sha512-..."), false);
    assert.equal(isFullImageId(FULL.toUpperCase().replace("SHA512", "sha512")), false);
    assert.equal(isFullImageId(`${FULL}0`), false);
    assert.equal(isFullImageId(FULL.slice(0, -1)), false);
  });

  it("shortens an id to sha512- and 32 hex digits, and leaves short ones alone", () => {
    assert.equal(shortImageId(FULL), FULL.slice(0, 39));
    assert.equal(shortImageId(FULL).length, 39);
    assert.equal(shortImageId("sha512-abc"), "sha512-abc");
  });
});
