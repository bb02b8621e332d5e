import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fail } from "../../../../../../machines/errors.js";
import { checkUrl, transferFailure, truncatedBody } from "../../../../../../workers/images/fetch/download/errors.js";
import { backoffDelay, MAX_BACKOFF_MS } from "../../../../../../workers/images/fetch/download/retry.js";
import { refusal as thrown } from "../../../../../support/refusal.js";

describe("which URLs a download accepts", () => {
  it("accepts https always and http only when allowed", () => {
    assert.equal(checkUrl("https://example.com/a.aci", false).host, "example.com");
    assert.equal(checkUrl("http://example.com/a.aci", true).protocol, "http:");
  });

  it("refuses plain http by default, as permission_denied with the --insecure-options=http hint", () => {
    const e = thrown(() => checkUrl("http://example.com/a.aci", false));
    assert.equal(e.kind, "permission_denied");
    assert.equal(e.code, "JP_ERR_FETCH_INSECURE");
    assert.match(e.message, /http:\/\/example\.com\/a\.aci/);
    assert.match(e.hint ?? "", /--insecure-options=http/);
  });

  it("refuses other schemes and malformed URLs as invalid", () => {
    assert.equal(thrown(() => checkUrl("file:///etc/passwd", true)).code, "JP_ERR_FETCH_URL");
    assert.equal(thrown(() => checkUrl("not a url", true)).kind, "invalid");
  });
});

describe("what a failed transfer means", () => {
  it("a reset connection is unavailable (retryable) and names the URL", () => {
    const e = transferFailure(Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }), "https://example.com/a.aci");
    assert.equal(e.kind, "unavailable");
    assert.equal(e.code, "JP_ERR_FETCH_NETWORK");
    assert.match(e.message, /example\.com\/a\.aci.*other side closed/);
  });

  it("an untrusted certificate, even wrapped in a cause, is permission_denied and not retried", () => {
    const inner = Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    const e = transferFailure(Object.assign(new Error("connect failed", { cause: inner }), { code: "UND_ERR_CONNECT" }), "https://example.com/a.aci");
    assert.equal(e.kind, "permission_denied");
    assert.equal(e.code, "JP_ERR_FETCH_TLS");
  });

  it("a cancelled signal is reported as cancelled, not as a network fault", () => {
    const ac = new AbortController();
    ac.abort();
    assert.equal(transferFailure(new Error("aborted"), "https://example.com/a.aci", ac.signal).code, "JP_ERR_FETCH_ABORTED");
  });

  it("a JetpackError passes through unchanged", () => {
    const original = fail("invalid", "JP_ERR_FETCH_TOO_LARGE", "too big");
    assert.equal(transferFailure(original, "https://example.com/a.aci"), original);
  });

  it("a body shorter than announced is a retryable network failure that says how far it got", () => {
    const e = truncatedBody("https://example.com/a.aci", 10, 30);
    assert.equal(e.kind, "unavailable");
    assert.match(e.message, /10 of 30 bytes/);
  });
});

describe("retry backoff", () => {
  it("doubles the wait after each failed attempt, up to a cap", () => {
    assert.deepEqual([1, 2, 3, 4].map((a) => backoffDelay(a, 100)), [100, 200, 400, 800]);
    assert.equal(backoffDelay(30, 1000), MAX_BACKOFF_MS);
  });
});
