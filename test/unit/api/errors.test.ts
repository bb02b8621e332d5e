// Bad requests through inject(): each is refused with the status of its kind, a stable code, and the
// field or the limit at fault named in the message.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { after, before, describe, it } from "node:test";
import { buildInMemoryApi, type InMemoryApi } from "../../support/api-deps.js";

let dir: string;
let api: InMemoryApi;

before(async () => {
  dir = await mkdtemp(`${tmpdir()}/jp-errors-`);
  api = await buildInMemoryApi(dir, { enqueue: async () => undefined });
});

after(async () => {
  await api.app.close();
  await api.log.close();
  await rm(dir, { recursive: true, force: true });
});

const send = (method: "GET" | "POST" | "DELETE", url: string, payload?: string | object, headers: Record<string, string> = {}) =>
  api.app.inject({ method, url, headers, ...(payload !== undefined ? { payload } : {}) });

describe("400: requests the API cannot read", () => {
  it("refuses a body that is not JSON, saying so", async () => {
    const r = await send("POST", "/v1/images/fetch", '{"image": "example.com/app",', { "content-type": "application/json" });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, "JP_ERR_API_BAD_JSON");
    assert.match(r.json().error.message, /^the body is not valid JSON: /);
  });

  it("refuses an empty body that claims to be JSON", async () => {
    const r = await send("POST", "/v1/images/fetch", "", { "content-type": "application/json" });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, "JP_ERR_API_BAD_JSON");
  });

  it("refuses unknown fields, naming the field and where it is", async () => {
    const r = await send("POST", "/v1/images", { source: { path: "/x", pth: "/y" }, insecureOptions: ["image"] });
    assert.equal(r.statusCode, 400);
    const { error } = r.json();
    assert.equal(error.code, "JP_ERR_API_INVALID");
    assert.match(error.message, /source: Unrecognized key: "pth"/);
    assert.deepEqual(error.details.issues.map((i: { path: string }) => i.path), ["source"]);
  });

  it("refuses a field of the wrong type, naming its path", async () => {
    const r = await send("POST", "/v1/images/fetch", { image: "example.com/app", insecureOptions: ["image", "ftp"] });
    assert.equal(r.statusCode, 400);
    assert.deepEqual(r.json().error.details.issues.map((i: { path: string }) => i.path), ["insecureOptions[1]"]);
  });

  it("refuses unknown query parameters and bad values in them", async () => {
    const unknown = await send("GET", "/v1/events?limmit=3");
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json().error.message, /limmit/);
    const bad = await send("GET", "/v1/events?limit=0");
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.message, /^invalid events query: limit: /);
    assert.equal((await send("GET", "/v1/events?pod=..%2Fetc")).statusCode, 400);
  });

  it("refuses a body that is neither JSON nor an upload", async () => {
    const r = await send("POST", "/v1/images", "source=x", { "content-type": "application/x-www-form-urlencoded" });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, "JP_ERR_API_MEDIA_TYPE");
  });
});

describe("413: a body over the limit", () => {
  it("answers 413 (kind invalid), saying the limit and where large bodies go", async () => {
    const r = await send("POST", "/v1/images", { source: { path: "x".repeat(2 << 20) } });
    assert.equal(r.statusCode, 413);
    const { error } = r.json();
    assert.equal(error.code, "JP_ERR_API_BODY_TOO_LARGE");
    assert.equal(error.kind, "invalid");
    assert.equal(error.message, "request body is larger than the limit of 1 MiB");
    assert.match(error.hint, /\/v1\/images\/upload/);
  });
});

describe("404: things that are not there", () => {
  it("names the unknown operation, image, pod or route", async () => {
    const cases: Array<[string, string]> = [
      ["/v1/operations/0f0f", "JP_ERR_OP_NOT_FOUND"],
      ["/v1/operations/0f0f/events", "JP_ERR_OP_NOT_FOUND"],
      ["/v1/images/example.com/nothing", ""],
      ["/v1/pods/0f0f0f0f", ""],
      ["/v1/v2/nothing", "JP_ERR_API_NO_ROUTE"],
    ];
    for (const [url, code] of cases) {
      const r = await send("GET", url);
      assert.equal(r.statusCode, 404, url);
      assert.equal(r.json().error.kind, "not_found", url);
      if (code) assert.equal(r.json().error.code, code, url);
    }
    assert.equal((await send("DELETE", "/v1/pods/0f0f0f0f")).statusCode, 404);
    assert.equal((await send("POST", "/v1/pods/0f0f0f0f/start")).statusCode, 404);
  });
});
