import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { discoveryLevels, discoveryUrls, overHttp } from "../../../../../../workers/images/fetch/discovery/walk.js";

describe("discoveryUrls", () => {
  it("walks up from the full name to the host, one path segment at a time", () => {
    assert.deepEqual(discoveryUrls("a.com/p/s"), [
      "https://a.com/p/s?ac-discovery=1",
      "https://a.com/p?ac-discovery=1",
      "https://a.com?ac-discovery=1",
    ]);
  });

  it("tries only the host for a name without a path", () => {
    assert.deepEqual(discoveryUrls("a.com"), ["https://a.com?ac-discovery=1"]);
  });

  it("puts a given port after the host at every level", () => {
    assert.deepEqual(discoveryUrls("127.0.0.1/org/app", 8443), [
      "https://127.0.0.1:8443/org/app?ac-discovery=1",
      "https://127.0.0.1:8443/org?ac-discovery=1",
      "https://127.0.0.1:8443?ac-discovery=1",
    ]);
  });

  it("keeps every segment of a deep name, tilde included", () => {
    assert.deepEqual(discoveryLevels("example.com/~bob/db/x"), ["example.com/~bob/db/x", "example.com/~bob/db", "example.com/~bob", "example.com"]);
  });
});

describe("overHttp", () => {
  it("turns an https discovery URL into the same URL over http", () => {
    assert.equal(overHttp("https://a.com:8443/p?ac-discovery=1"), "http://a.com:8443/p?ac-discovery=1");
  });
});
