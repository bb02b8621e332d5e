import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JetpackError } from "../../../../../../machines/errors.js";
import { noneFoundError, noneFoundHint } from "../../../../../../workers/images/fetch/discovery/report.js";

describe("noneFoundError", () => {
  it("is not_found JP_ERR_DISCOVERY_NONE and lists every URL with its reason", () => {
    const err = noneFoundError("image", "a.com/app", [
      { url: "https://a.com/app?ac-discovery=1", reason: "HTTP 404", failure: "status" },
      { url: "https://a.com?ac-discovery=1", reason: "connect ECONNREFUSED 1.2.3.4:443", failure: "network" },
    ], {});
    assert.ok(err instanceof JetpackError);
    assert.equal(err.kind, "not_found");
    assert.equal(err.code, "JP_ERR_DISCOVERY_NONE");
    assert.match(err.message, /a\.com\/app/);
    assert.match(err.message, /https:\/\/a\.com\/app\?ac-discovery=1: HTTP 404/);
    assert.match(err.message, /https:\/\/a\.com\?ac-discovery=1: connect ECONNREFUSED/);
    assert.deepEqual((err.details as { tried: unknown[] }).tried.length, 2);
  });
});

describe("noneFoundHint", () => {
  it("suggests trusting the CA or --insecure-options=tls after a certificate failure", () => {
    assert.match(noneFoundHint([{ url: "https://a", reason: "x", failure: "tls" }]), /insecure-options=tls/);
  });

  it("suggests --insecure-options=http after a connection failure, unless http was already allowed", () => {
    assert.match(noneFoundHint([{ url: "https://a", reason: "x", failure: "network" }]), /insecure-options=http/);
    assert.doesNotMatch(noneFoundHint([{ url: "https://a", reason: "x", failure: "network" }], { http: true }), /insecure-options=http/);
  });

  it("suggests giving labels when templates lacked variables", () => {
    assert.match(noneFoundHint([{ url: "https://a", reason: "x", failure: "unfilled" }]), /labels/);
  });

  it("falls back to checking the name", () => {
    assert.match(noneFoundHint([{ url: "https://a", reason: "HTTP 404", failure: "status" }]), /image name/);
  });
});
