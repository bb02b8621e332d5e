import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeNetworkError } from "../../../../../../workers/images/fetch/discovery/fetch-page.js";

function withCode(message: string, code: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

describe("describeNetworkError", () => {
  it("keeps the error code beside the message", () => {
    assert.deepEqual(describeNetworkError(withCode("getaddrinfo ENOTFOUND a.invalid", "ENOTFOUND"), 30_000), { reason: "getaddrinfo ENOTFOUND a.invalid", failure: "network" });
    assert.deepEqual(describeNetworkError(withCode("socket hang up", "UND_ERR_SOCKET"), 30_000), { reason: "socket hang up (UND_ERR_SOCKET)", failure: "network" });
  });

  it("calls an unverifiable certificate a trust problem", () => {
    const out = describeNetworkError(withCode("self-signed certificate in certificate chain", "SELF_SIGNED_CERT_IN_CHAIN"), 30_000);
    assert.equal(out.failure, "tls");
    assert.equal(out.reason, "certificate not trusted: self-signed certificate in certificate chain (SELF_SIGNED_CERT_IN_CHAIN)");
  });

  it("replaces OpenSSL's file-and-line dump with its readable reason", () => {
    const err = withCode("80:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:ssl3_record.c:350:\n", "ERR_SSL_WRONG_VERSION_NUMBER", { reason: "wrong version number" });
    assert.deepEqual(describeNetworkError(err, 30_000), { reason: "TLS handshake failed: wrong version number (ERR_SSL_WRONG_VERSION_NUMBER)", failure: "network" });
  });

  it("reads the cause that undici wraps around the socket error", () => {
    const err = new TypeError("fetch failed", { cause: withCode("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED") });
    assert.equal(describeNetworkError(err, 30_000).reason, "connect ECONNREFUSED 127.0.0.1:1");
  });

  it("says how long it waited when the page timed out", () => {
    const err = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    assert.deepEqual(describeNetworkError(err, 5_000), { reason: "no answer within 5s", failure: "network" });
  });
});
