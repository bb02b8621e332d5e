// The pod routes through inject(): create (dry run, leases, names), the state conflicts, and the refusals
// a user meets first. A real engine and log; jobs are recorded, not run.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { after, before, describe, it } from "node:test";
import type { JobSpec } from "../../../machines/log/index.js";
import { buildInMemoryApi, type InMemoryApi } from "../../support/api-deps.js";

let dir: string;
let api: InMemoryApi;
const jobs: JobSpec[] = [];
const IMAGE_ID = `sha512-${"ab".repeat(64)}`;

before(async () => {
  dir = await mkdtemp(`${tmpdir()}/jp-api-pods-`);
  api = await buildInMemoryApi(dir, { enqueue: async (j) => void jobs.push(...j) });
  const labels = [{ name: "os", value: "linux" }, { name: "arch", value: "amd64" }];
  const manifest = { acKind: "ImageManifest", acVersion: "0.8.11", name: "example.com/busybox", labels, app: { exec: ["/bin/sh"], user: "0", group: "0", mountPoints: [{ name: "data", path: "/data" }] } };
  await api.engine.dispatch({ stream: "image/i1", type: "image.import.requested", actor: "t", data: { source: { path: "/x.aci" }, insecure: true } });
  await api.engine.dispatch({ stream: "image/i1", type: "image.import.started", actor: "t", data: { jobSeq: 1 } });
  await api.engine.dispatch({ stream: "image/i1", type: "image.imported", actor: "t", data: { id: IMAGE_ID, name: "example.com/busybox", labels, manifest, dependencies: [], compression: "none", aciBytes: 1, tarBytes: 1 } });
});

after(async () => {
  await api.app.close();
  await api.log.close();
  await rm(dir, { recursive: true, force: true });
});

const create = (payload: unknown, user = "alice") => api.app.inject({ method: "POST", url: "/v1/pods", headers: { "x-jetpack-user": user }, payload: payload as object });

describe("pods API", () => {
  it("a dry run answers the reified manifest, pinned and with the mount point's volume, and queues nothing", async () => {
    const before = jobs.length;
    const r = await create({ template: { apps: [{ image: "example.com/busybox" }] }, dryRun: true });
    assert.equal(r.statusCode, 200, r.body);
    const m = r.json().manifest;
    assert.equal(m.apps[0].image.id, IMAGE_ID);
    assert.deepEqual(m.apps[0].mounts, [{ volume: "data", path: "/data" }]);
    assert.deepEqual(m.volumes.map((v: { name: string; kind: string }) => [v.name, v.kind]), [["data", "empty"]]);
    assert.equal(jobs.length, before);
  });

  it("create answers 202 with the operation and pod, leases an address, and queues one prepare job in the caller's name", async () => {
    const r = await create({ template: { apps: [{ image: "example.com/busybox" }] }, name: "web" });
    assert.equal(r.statusCode, 202, r.body);
    const { pod, id: op } = r.json();
    const show = await api.app.inject({ url: "/v1/pods/web" });
    assert.equal(show.json().uuid, pod);
    assert.equal(show.json().state, "preparing");
    assert.match(show.json().ip, /^172\.29\.0\.\d+$/);
    assert.equal(show.json().createdBy, "alice");
    const last = jobs.at(-1)!;
    assert.equal(last.name, "prepare");
    assert.deepEqual(last.data, { stream: `pod/${pod}`, jobSeq: (last.data as { jobSeq: number }).jobSeq, actor: "alice", op });
  });

  it("refuses a second pod with the same name (409 naming it)", async () => {
    const r = await create({ template: { apps: [{ image: "example.com/busybox" }] }, name: "web" });
    assert.equal(r.statusCode, 409, r.body);
    assert.equal(r.json().error.code, "JP_ERR_POD_NAME_TAKEN");
    assert.match(r.json().error.message, /web/);
  });

  it("gives 20 concurrent creates 20 different addresses", async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => create({ template: { apps: [{ image: "example.com/busybox" }] } })));
    assert.ok(answers.every((a) => a.statusCode === 202));
    const list = (await api.app.inject({ url: "/v1/pods" })).json().pods as Array<{ ip: string }>;
    const ips = list.map((p) => p.ip);
    assert.equal(new Set(ips).size, ips.length);
    assert.equal(ips.length, 21);
  });

  it("names the field at fault in a bad template, and the image a create cannot find", async () => {
    const bad = await create({ template: { apps: [{ image: "" }] } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.message, /template\.apps\.0\.image|image must not be empty/);
    const missing = await create({ template: { apps: [{ image: "example.com/nothing" }] } });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json().error.message, /example\.com\/nothing/);
  });

  it("refuses to start a pod that is still preparing, with 409 saying its state", async () => {
    const r = await api.app.inject({ method: "POST", url: "/v1/pods/web/start" });
    assert.equal(r.statusCode, 409);
    assert.match(r.json().error.message, /preparing/);
  });

  it("answers 404 for an unknown pod, and for exec into a pod that does not run says to start it", async () => {
    assert.equal((await api.app.inject({ url: "/v1/pods/nope-nope" })).statusCode, 404);
    const r = await api.app.inject({ method: "POST", url: "/v1/pods/web/exec", payload: { argv: ["/bin/true"] } });
    assert.equal(r.statusCode, 409);
    assert.match(r.json().error.hint, /jetpack pod start web/);
  });
});
