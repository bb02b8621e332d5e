import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { acIdentifierError, acNameError, isACIdentifier, isACName } from "../../../../machines/appc/index.js";

describe("AC Identifier", () => {
  it("accepts the valid examples of the Go schema's tests", () => {
    for (const s of ["asdf", "foo-bar-baz", "zab_rab_oof", "my~database", "example.com/~bob/database", "sub-domain.example.com/org/product/~alice/release-1.0.0"]) {
      assert.equal(isACIdentifier(s), true, s);
    }
  });

  it("accepts doubled separators as the Go code does, though the spec's regex would not", () => {
    for (const s of ["a--b", "a//b", "a/-b", "a._~b"]) assert.equal(isACIdentifier(s), true, s);
  });

  it("rejects the invalid examples of the Go schema's tests", () => {
    for (const s of ["", "BAR", "foo#", "EXAMPLE.com", "foo.com/BAR", "/app", "app/", "-app", "app-", ".app", "app.", "_app", "app_", "~app", "app~"]) {
      assert.equal(isACIdentifier(s), false, JSON.stringify(s));
    }
  });

  it("says why, in the Go schema's words, checking characters before edges", () => {
    assert.equal(acIdentifierError(""), "ACIdentifier cannot be empty");
    assert.equal(acIdentifierError("-A"), 'ACIdentifier must contain only lower case alphanumeric characters plus "-._~/"');
    assert.equal(acIdentifierError("app/"), "ACIdentifier must start and end with only lower case alphanumeric characters");
    assert.equal(acIdentifierError("example.com/app"), undefined);
  });

  it("is false for values that are not strings", () => {
    assert.equal(isACIdentifier(42), false);
    assert.equal(isACIdentifier(undefined), false);
  });
});

describe("AC Name", () => {
  it("accepts lower-case letters, digits and inner dashes, doubled dashes included", () => {
    for (const s of ["web", "web-main", "a1", "a--b", "0"]) assert.equal(isACName(s), true, s);
  });

  it("rejects dots, slashes, underscores, upper case and edge dashes", () => {
    for (const s of ["", "example.com", "example/database", "example.com/app_1", "foo#", "Web", "-web", "web-"]) assert.equal(isACName(s), false, JSON.stringify(s));
  });

  it("says why, in the Go schema's words", () => {
    assert.equal(acNameError(""), "ACName cannot be empty");
    assert.equal(acNameError("a_b"), 'ACName must contain only lower case alphanumeric characters plus "-"');
    assert.equal(acNameError("a-"), "ACName must start and end with only lower case alphanumeric characters");
  });
});
