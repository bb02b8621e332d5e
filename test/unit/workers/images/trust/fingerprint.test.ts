import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { groupFingerprint, isCanonicalFingerprint, normalizeFingerprint } from "../../../../../workers/images/trust/fingerprint.js";

const FPR = "8e207dc50cd4c69fdbc009fcba76c5b76b898873";

describe("normalizeFingerprint", () => {
  it("accepts a fingerprint as gpg prints it, in upper case with spaces, or with 0x", () => {
    assert.equal(normalizeFingerprint(FPR), FPR);
    assert.equal(normalizeFingerprint("8E20 7DC5 0CD4 C69F DBC0  09FC BA76 C5B7 6B89 8873"), FPR);
    assert.equal(normalizeFingerprint(`0x${FPR.toUpperCase()}`), FPR);
    assert.equal(normalizeFingerprint(` ${FPR}\n`), FPR);
  });

  it("accepts the 64-digit fingerprint of a v6 key", () => {
    assert.equal(normalizeFingerprint("ab".repeat(32)), "ab".repeat(32));
  });

  it("refuses short key ids, truncated fingerprints and non-hex text", () => {
    for (const s of ["6b898873", "ba76c5b76b898873", FPR.slice(0, 39), `${FPR}0`, FPR.replace("8", "g"), "", "../../etc/passwd"]) {
      assert.equal(normalizeFingerprint(s), undefined, s);
    }
  });
});

describe("isCanonicalFingerprint", () => {
  it("takes only lower-case full fingerprints, the names of key files", () => {
    assert.equal(isCanonicalFingerprint(FPR), true);
    assert.equal(isCanonicalFingerprint(FPR.toUpperCase()), false);
    assert.equal(isCanonicalFingerprint(`.${FPR}.tmp`), false);
  });
});

describe("groupFingerprint", () => {
  it("shows a fingerprint in groups of four for comparing by eye", () => {
    assert.equal(groupFingerprint(FPR), "8E20 7DC5 0CD4 C69F DBC0 09FC BA76 C5B7 6B89 8873");
  });
});
