import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decideResponse,
  ifRangeValue,
  parseContentRange,
  planResume,
  rangeHeaders,
  redirectTarget,
  type ResponseHead,
  type ResumePlan,
  type Validators,
} from "../../../../../../workers/images/fetch/download/state.js";

const URL_A = "https://example.com/a.aci";

function validators(over: Partial<Validators> = {}): Validators {
  return { v: 1, url: URL_A, etag: '"v1"', lastModified: "Wed, 01 Jan 2025 00:00:00 GMT", total: 1000, ...over };
}

function head(over: Partial<ResponseHead>): ResponseHead {
  return { status: 200, contentLength: null, contentRange: null, etag: null, lastModified: null, ...over };
}

const resumeAt400: ResumePlan = { kind: "resume", from: 400, ifRange: '"v1"', validators: validators() };
const fresh: ResumePlan = { kind: "fresh", discardPartial: false, reason: "no partial file" };

describe("planResume: whether the bytes on disk can be resumed", () => {
  const cases: Array<[string, Parameters<typeof planResume>[0], Partial<ResumePlan>]> = [
    ["no partial file and no record: a fresh download with nothing to clean", { url: URL_A, validators: null, partialSize: null }, { kind: "fresh", discardPartial: false }],
    ["a record without a partial file: fresh, and the stale record goes", { url: URL_A, validators: validators(), partialSize: null }, { kind: "fresh", discardPartial: true }],
    ["a partial file without a record cannot be trusted", { url: URL_A, validators: null, partialSize: 400 }, { kind: "fresh", discardPartial: true }],
    ["a partial file of another URL is not reused", { url: URL_A, validators: validators({ url: "https://example.com/b.aci" }), partialSize: 400 }, { kind: "fresh", discardPartial: true }],
    ["an empty partial file is simply started over", { url: URL_A, validators: validators(), partialSize: 0 }, { kind: "fresh", discardPartial: true }],
    ["a partial file longer than the resource is discarded", { url: URL_A, validators: validators(), partialSize: 1001 }, { kind: "fresh", discardPartial: true }],
    ["a weak ETag and no Last-Modified give nothing to resume against", { url: URL_A, validators: validators({ etag: 'W/"v1"', lastModified: null }), partialSize: 400 }, { kind: "fresh", discardPartial: true }],
    ["a strong ETag resumes from the partial size", { url: URL_A, validators: validators(), partialSize: 400 }, { kind: "resume", from: 400, ifRange: '"v1"' }],
    ["Last-Modified alone resumes too", { url: URL_A, validators: validators({ etag: null }), partialSize: 400 }, { kind: "resume", from: 400, ifRange: "Wed, 01 Jan 2025 00:00:00 GMT" }],
    ["a complete partial file still asks (the server confirms with 416)", { url: URL_A, validators: validators(), partialSize: 1000 }, { kind: "resume", from: 1000 }],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => {
      const plan = planResume(input);
      for (const [k, v] of Object.entries(expected)) assert.deepEqual((plan as Record<string, unknown>)[k], v, `${k} of ${JSON.stringify(plan)}`);
    });
  }

  it("a resume sends Range from the partial size with If-Range; a fresh plan sends neither", () => {
    assert.deepEqual(rangeHeaders(resumeAt400), { range: "bytes=400-", "if-range": '"v1"' });
    assert.deepEqual(rangeHeaders(fresh), {});
  });

  it("prefers a strong ETag over Last-Modified for If-Range", () => {
    assert.equal(ifRangeValue({ etag: '"x"', lastModified: "Mon" }), '"x"');
    assert.equal(ifRangeValue({ etag: 'W/"x"', lastModified: "Mon" }), "Mon");
    assert.equal(ifRangeValue({ etag: null, lastModified: null }), null);
  });
});

describe("decideResponse: what an answer means for the partial file", () => {
  const decide = (plan: ResumePlan, h: Partial<ResponseHead>, maxBytes?: number) =>
    decideResponse({ url: URL_A, finalUrl: URL_A, plan, head: head(h), ...(maxBytes !== undefined && { maxBytes }) });

  it("a 206 whose Content-Range starts at the partial size appends and keeps the validators", () => {
    const d = decide(resumeAt400, { status: 206, contentRange: "bytes 400-999/1000", etag: '"v1"' });
    assert.deepEqual(d, { kind: "append", from: 400, validators: validators() });
  });

  it("a 206 starting elsewhere is not appended: the partial is dropped and asked for again", () => {
    assert.equal(decide(resumeAt400, { status: 206, contentRange: "bytes 0-999/1000" }).kind, "retry-fresh");
  });

  it("a 206 with another total or another ETag is not appended (a server ignoring If-Range)", () => {
    assert.equal(decide(resumeAt400, { status: 206, contentRange: "bytes 400-1999/2000" }).kind, "retry-fresh");
    assert.equal(decide(resumeAt400, { status: 206, contentRange: "bytes 400-999/1000", etag: '"v2"' }).kind, "retry-fresh");
  });

  it("a 206 that stops short of the end, or has no Content-Range, is not appended", () => {
    assert.equal(decide(resumeAt400, { status: 206, contentRange: "bytes 400-499/1000" }).kind, "retry-fresh");
    assert.equal(decide(resumeAt400, { status: 206 }).kind, "retry-fresh");
  });

  it("a 206 to a request without Range is not used", () => {
    assert.equal(decide(fresh, { status: 206, contentRange: "bytes 0-999/1000" }).kind, "retry-fresh");
  });

  it("a 200 restarts from zero with the new validators, whether or not a Range was sent", () => {
    const h = { status: 200, contentLength: "2000", etag: '"v2"', lastModified: "Thu, 02 Jan 2025 00:00:00 GMT" };
    const expected = { kind: "restart", validators: { v: 1, url: URL_A, etag: '"v2"', lastModified: "Thu, 02 Jan 2025 00:00:00 GMT", total: 2000 } };
    assert.deepEqual(decide(resumeAt400, h), expected);
    assert.deepEqual(decide(fresh, h), expected);
  });

  it("a 200 without Content-Length restarts with an unknown total", () => {
    const d = decide(fresh, { status: 200 });
    assert.equal(d.kind, "restart");
    assert.equal(d.kind === "restart" && d.validators.total, null);
  });

  it("a 416 when the partial already holds the known total means complete", () => {
    const plan: ResumePlan = { kind: "resume", from: 1000, ifRange: '"v1"', validators: validators() };
    assert.equal(decide(plan, { status: 416, contentRange: "bytes */1000" }).kind, "complete");
    assert.equal(decide(plan, { status: 416 }).kind, "complete");
  });

  it("a 416 when the partial is short of the total, or the server's total differs, restarts", () => {
    assert.equal(decide(resumeAt400, { status: 416, contentRange: "bytes */1000" }).kind, "retry-fresh");
    const plan: ResumePlan = { kind: "resume", from: 1000, ifRange: '"v1"', validators: validators() };
    assert.equal(decide(plan, { status: 416, contentRange: "bytes */900" }).kind, "retry-fresh");
    const unknownTotal: ResumePlan = { kind: "resume", from: 1000, ifRange: '"v1"', validators: validators({ total: null }) };
    assert.equal(decide(unknownTotal, { status: 416 }).kind, "retry-fresh");
  });

  const failures: Array<[number, string, string, boolean]> = [
    [404, "not_found", "JP_ERR_FETCH_NOT_FOUND", true],
    [410, "not_found", "JP_ERR_FETCH_NOT_FOUND", true],
    [401, "permission_denied", "JP_ERR_FETCH_DENIED", false],
    [403, "permission_denied", "JP_ERR_FETCH_DENIED", false],
    [500, "unavailable", "JP_ERR_FETCH_NETWORK", false],
    [503, "unavailable", "JP_ERR_FETCH_NETWORK", false],
    [429, "unavailable", "JP_ERR_FETCH_NETWORK", false],
    [400, "invalid", "JP_ERR_FETCH_STATUS", false],
    [418, "invalid", "JP_ERR_FETCH_STATUS", false],
  ];
  for (const [status, errorKind, code, discardPartial] of failures) {
    it(`HTTP ${status} fails as ${errorKind}${discardPartial ? " and drops the partial" : " and keeps the partial"}`, () => {
      const d = decide(resumeAt400, { status });
      assert.equal(d.kind, "fail");
      assert.ok(d.kind === "fail");
      assert.equal(d.errorKind, errorKind);
      assert.equal(d.code, code);
      assert.equal(d.discardPartial, discardPartial);
      assert.match(d.message, new RegExp(`${URL_A}.*${status}`));
    });
  }

  it("refuses a resource whose announced size exceeds maxBytes, and drops the partial", () => {
    const d = decide(fresh, { status: 200, contentLength: "2000" }, 1999);
    assert.ok(d.kind === "fail");
    assert.equal(d.code, "JP_ERR_FETCH_TOO_LARGE");
    assert.equal(d.errorKind, "invalid");
    assert.equal(d.discardPartial, true);
    const r = decide(resumeAt400, { status: 206, contentRange: "bytes 400-999/1000" }, 999);
    assert.ok(r.kind === "fail" && r.code === "JP_ERR_FETCH_TOO_LARGE");
    assert.equal(decide(fresh, { status: 200, contentLength: "2000" }, 2000).kind, "restart");
  });
});

describe("header parsing", () => {
  it("reads satisfied and unsatisfied Content-Range values and rejects malformed ones", () => {
    assert.deepEqual(parseContentRange("bytes 10-99/100"), { start: 10, end: 99, total: 100 });
    assert.deepEqual(parseContentRange("bytes 10-99/*"), { start: 10, end: 99, total: null });
    assert.deepEqual(parseContentRange("bytes */100"), { unsatisfied: true, total: 100 });
    assert.equal(parseContentRange("bytes 99-10/100"), null);
    assert.equal(parseContentRange("bytes 10-100/100"), null);
    assert.equal(parseContentRange("items 1-2/3"), null);
    assert.equal(parseContentRange(null), null);
  });

  it("resolves redirect targets against the URL that sent them, and only for redirect statuses", () => {
    assert.equal(redirectTarget(302, "/b.aci", URL_A), "https://example.com/b.aci");
    assert.equal(redirectTarget(308, "https://cdn.example.net/x", URL_A), "https://cdn.example.net/x");
    assert.equal(redirectTarget(200, "/b.aci", URL_A), null);
    assert.equal(redirectTarget(301, null, URL_A), null);
  });
});
