// The API through inject(): its answers to good and bad requests, with a real engine and log in a temp
// dir and no workers (jobs are recorded, not run).
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { after, before, describe, it } from "node:test";
import type { build } from "../../../api/app.js";
import { buildInMemoryApi } from "../../support/api-deps.js";
import { EventLog, type JobSpec } from "../../../machines/log/index.js";

let dir: string;
let log: EventLog;
let app: ReturnType<typeof build>;
const jobs: JobSpec[] = [];

before(async () => {
  dir = await mkdtemp(`${tmpdir()}/jp-api-`);
  await writeFile(`${dir}/some.aci`, "not really an aci");
  const api = await buildInMemoryApi(dir, { enqueue: async (j) => void jobs.push(...j) });
  log = api.log;
  app = api.app;
});

after(async () => {
  await app.close();
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

describe("API", () => {
  it("queues an import: 202 with the operation, the event in the log under the caller's name, one job", async () => {
    const r = await app.inject({ method: "POST", url: "/v1/images", headers: { "x-jetpack-user": "alice" }, payload: { source: { path: `${dir}/some.aci` }, insecureOptions: ["image"] } });
    assert.equal(r.statusCode, 202, r.body);
    const op = r.json();
    assert.equal(op.state, "queued");
    assert.equal(op.kind, "image.import");
    assert.equal(op.actor, "alice");
    assert.equal(jobs.length, 1);
    const got = await app.inject({ method: "GET", url: `/v1/operations/${op.id}` });
    assert.equal(got.json().id, op.id);
    const events = (await app.inject({ method: "GET", url: "/v1/events?actor=alice" })).json().events;
    assert.equal(events.length, 1);
    assert.equal(events[0].data.insecure, true, "the opt-out is in the audit trail");
  });

  it("refuses bad JSON with 400 and a code", async () => {
    const r = await app.inject({ method: "POST", url: "/v1/images", headers: { "content-type": "application/json" }, payload: "{nope" });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, "JP_ERR_API_BAD_JSON");
  });

  it("refuses unknown fields with 400 naming them", async () => {
    const r = await app.inject({ method: "POST", url: "/v1/images", payload: { source: { path: "/x" }, insecureOptions: ["image"], sorce: 1 } });
    assert.equal(r.statusCode, 400);
    assert.match(r.json().error.message, /sorce/);
  });

  it("refuses an oversized body with 413, HTTP's own code for it (the issue's 400 gave way to it)", async () => {
    const r = await app.inject({ method: "POST", url: "/v1/images", payload: { source: { path: "x".repeat(2 << 20) } } });
    assert.equal(r.statusCode, 413);
    assert.equal(r.json().error.code, "JP_ERR_API_BODY_TOO_LARGE");
  });

  it("refuses an unverified import with 403 and tells how to opt out", async () => {
    const r = await app.inject({ method: "POST", url: "/v1/images", payload: { source: { path: `${dir}/some.aci` } } });
    assert.equal(r.statusCode, 403);
    assert.match(r.json().error.hint, /--insecure-options=image/);
  });

  it("answers 404 for a missing source file, an unknown image, operation or route", async () => {
    const missing = await app.inject({ method: "POST", url: "/v1/images", payload: { source: { path: `${dir}/none.aci` }, insecureOptions: ["image"] } });
    assert.equal(missing.statusCode, 404);
    assert.equal((await app.inject({ method: "GET", url: "/v1/images/example.com/nothing" })).statusCode, 404);
    assert.equal((await app.inject({ method: "GET", url: `/v1/images/sha512-${"f".repeat(128)}` })).statusCode, 404, "a full ID fits in a path segment");
    assert.equal((await app.inject({ method: "GET", url: "/v1/operations/nope" })).statusCode, 404);
    assert.equal((await app.inject({ method: "GET", url: "/v1/nothing" })).json().error.code, "JP_ERR_API_NO_ROUTE");
  });

  it("refuses a relative source path", async () => {
    const r = await app.inject({ method: "POST", url: "/v1/images", payload: { source: { path: "some.aci" }, insecureOptions: ["image"] } });
    assert.equal(r.statusCode, 400);
  });

  it("pages through the audit trail and verifies its chain", async () => {
    for (let i = 0; i < 3; i++) {
      await app.inject({ method: "POST", url: "/v1/images", payload: { source: { path: `${dir}/some.aci` }, insecureOptions: ["image"] } });
    }
    const first = (await app.inject({ method: "GET", url: "/v1/events?limit=2" })).json();
    assert.equal(first.events.length, 2);
    const second = (await app.inject({ method: "GET", url: `/v1/events?limit=2&after=${first.next}` })).json();
    assert.equal(second.events[0].seq, first.events[1].seq + 1);
    const v = (await app.inject({ method: "GET", url: "/v1/events/verify" })).json();
    assert.equal(v.ok, true);
    assert.equal(v.records, 4);
  });
});
