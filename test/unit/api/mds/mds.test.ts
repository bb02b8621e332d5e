// The metadata service through inject(), over projections built by hand: every endpoint of appc §6 with
// the exact content types and bodies a strict client checks, the annotation rules, HMAC sign and verify
// across pods, and the refusals (unknown token, wrong source, missing header, forged signatures).
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { beforeEach, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildMetadataService, type MdsDeps } from "../../../../api/mds/app.js";
import { emptyImages, type ImageView } from "../../../../machines/projections/images.js";
import { emptyPods, type PodView } from "../../../../machines/projections/pods.js";

const ID_A = `sha512-${"a1".repeat(64)}`;
const ID_B = `sha512-${"b2".repeat(64)}`;
const FLAVOR = { "metadata-flavor": "AppContainer" };

function image(id: string, name: string, annotations?: unknown): ImageView {
  const manifest: Record<string, unknown> = { acKind: "ImageManifest", acVersion: "0.8.11", name, labels: [{ name: "os", value: "linux" }] };
  if (annotations !== undefined) manifest.annotations = annotations;
  return { id, uuid: randomBytes(4).toString("hex"), name, labels: [], manifest, dependencies: [], compression: "none", aciBytes: 1, tarBytes: 1, importedAt: "t", importedBy: "t", state: "ready" };
}

function pod(uuid: string, manifest: unknown, ip: string | null = null, state: PodView["state"] = "running"): PodView {
  return { uuid, name: null, state, ip, manifest, apps: [], isolatorsIgnored: [], lastError: null, createdAt: "t", createdBy: "t", updatedAt: "t" };
}

function runtimeApp(name: string, id: string, annotations?: unknown) {
  return { name, image: { name: `example.com/${name}`, id, labels: [] }, readOnlyRootFS: false, mounts: [], ...(annotations === undefined ? {} : { annotations }) };
}

const UUID_A = "11111111-1111-4111-8111-111111111111";
const UUID_B = "22222222-2222-4222-8222-222222222222";
const UUID_C = "33333333-3333-4333-8333-333333333333";

interface World {
  app: FastifyInstance;
  deps: MdsDeps;
  pods: ReturnType<typeof emptyPods>;
  secrets: Map<string, { token: string; hmacKey: string }>;
  said: string[];
  reads: string[];
}

function world(opts: { checkSource?: boolean } = {}): World {
  const images = emptyImages();
  images.set(ID_A, image(ID_A, "example.com/worker", [{ name: "a", value: "1" }, { name: "b", value: "2" }, { name: "c", value: "3" }]));
  images.set(ID_B, image(ID_B, "example.com/sidecar"));
  const pods = emptyPods();
  // Pod A: no pod annotations at all, two apps; pod B: annotations given.
  pods.pods.set(UUID_A, pod(UUID_A, { acVersion: "0.8.11", acKind: "PodManifest", apps: [runtimeApp("worker", ID_A, [{ name: "d", value: "4" }, { name: "b", value: "X" }]), runtimeApp("sidecar", ID_B)], volumes: [] }));
  pods.pods.set(UUID_B, pod(UUID_B, { acVersion: "0.8.11", acKind: "PodManifest", apps: [runtimeApp("solo", ID_B, [])], annotations: [{ name: "ip-address", value: "10.0.0.9" }] }));
  const secrets = new Map<string, { token: string; hmacKey: string }>();
  for (const uuid of [UUID_A, UUID_B, UUID_C]) secrets.set(uuid, { token: randomBytes(24).toString("base64url"), hmacKey: randomBytes(64).toString("base64") });
  const said: string[] = [];
  const reads: string[] = [];
  const deps: MdsDeps = {
    pods: () => pods,
    images: () => images,
    secretsOf: async (uuid) => {
      reads.push(uuid);
      const s = secrets.get(uuid);
      if (s === undefined) throw new Error(`no secrets for ${uuid}`);
      return s;
    },
    say: (line) => void said.push(line),
    checkSource: opts.checkSource ?? false,
  };
  return { app: buildMetadataService(deps), deps, pods, secrets, said, reads };
}

let w: World;
beforeEach(() => {
  w = world();
});

const tokenOf = (uuid: string) => w.secrets.get(uuid)!.token;
const get = (uuid: string, path: string, headers: Record<string, string> = FLAVOR) => w.app.inject({ method: "GET", url: `/${tokenOf(uuid)}/acMetadata/v1${path}`, headers });
const post = (uuid: string, path: string, form: Record<string, string>) =>
  w.app.inject({ method: "POST", url: `/${tokenOf(uuid)}/acMetadata/v1${path}`, headers: { ...FLAVOR, "content-type": "application/x-www-form-urlencoded" }, payload: new URLSearchParams(form).toString() });

describe("metadata service: what a pod reads", () => {
  it("/pod/uuid answers the pod's UUID as text/plain; charset=us-ascii with no trailing newline", async () => {
    const r = await get(UUID_A, "/pod/uuid");
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers["content-type"], "text/plain; charset=us-ascii");
    assert.equal(r.body, UUID_A);
  });

  it("/pod/manifest is application/json exactly and always carries annotations, [] when the pod has none", async () => {
    const r = await get(UUID_A, "/pod/manifest");
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers["content-type"], "application/json");
    const m = r.json();
    assert.deepEqual(m.annotations, []);
    assert.deepEqual(m.apps.map((a: { name: string }) => a.name), ["worker", "sidecar"]);
    const a = await get(UUID_A, "/pod/annotations");
    assert.equal(a.headers["content-type"], "application/json");
    assert.equal(a.body, "[]");
  });

  it("/pod/annotations answers exactly the served manifest's annotations, null or [] never mixed up", async () => {
    w.pods.pods.set(UUID_C, pod(UUID_C, { acKind: "PodManifest", apps: [], annotations: null }));
    for (const uuid of [UUID_A, UUID_B, UUID_C]) {
      const m = (await get(uuid, "/pod/manifest")).json();
      const a = await get(uuid, "/pod/annotations");
      assert.equal(a.statusCode, 200);
      assert.deepEqual(a.json(), m.annotations);
      assert.ok(Array.isArray(m.annotations), `pod ${uuid} serves an annotations array`);
    }
    assert.deepEqual((await get(UUID_B, "/pod/annotations")).json(), [{ name: "ip-address", value: "10.0.0.9" }]);
  });

  it("each app's image id equals the manifest's apps[].image.id byte for byte, for every app of the pod", async () => {
    const m = (await get(UUID_A, "/pod/manifest")).json();
    for (const app of m.apps) {
      const r = await get(UUID_A, `/apps/${app.name}/image/id`);
      assert.equal(r.statusCode, 200);
      assert.equal(r.headers["content-type"], "text/plain; charset=us-ascii");
      assert.equal(r.body, app.image.id);
    }
  });

  it("each app's image manifest is the image's original manifest as application/json", async () => {
    const r = await get(UUID_A, "/apps/sidecar/image/manifest");
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers["content-type"], "application/json");
    assert.deepEqual(r.json(), { acKind: "ImageManifest", acVersion: "0.8.11", name: "example.com/sidecar", labels: [{ name: "os", value: "linux" }] });
  });

  it("app annotations keep the image's order, a pod-app annotation replaces its namesake in place and new ones come after", async () => {
    const r = await get(UUID_A, "/apps/worker/annotations");
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers["content-type"], "application/json");
    assert.equal(r.body, JSON.stringify([{ name: "a", value: "1" }, { name: "b", value: "X" }, { name: "c", value: "3" }, { name: "d", value: "4" }]));
    // Neither the image nor the pod app has any: an empty list.
    assert.equal((await get(UUID_A, "/apps/sidecar/annotations")).body, "[]");
  });

  it("an app the pod does not have is a 404 in plain text", async () => {
    const r = await get(UUID_A, "/apps/solo/image/id");
    assert.equal(r.statusCode, 404);
    assert.equal(r.headers["content-type"], "text/plain; charset=us-ascii");
  });

  it("a pod's token serves that pod's data only: pod A's token answers A's uuid, manifest and apps, never B's", async () => {
    assert.equal((await get(UUID_A, "/pod/uuid")).body, UUID_A);
    assert.equal((await get(UUID_B, "/pod/uuid")).body, UUID_B);
    const m = (await get(UUID_A, "/pod/manifest")).json();
    assert.ok(!JSON.stringify(m).includes("ip-address"));
    // B's app is not reachable through A's token.
    assert.equal((await get(UUID_A, "/apps/solo/annotations")).statusCode, 404);
  });

  it("an unknown path answers 404 without echoing the URL and its token", async () => {
    const r = await get(UUID_A, "/pod/nothing");
    assert.equal(r.statusCode, 404);
    assert.ok(!r.body.includes(tokenOf(UUID_A)));
  });
});

describe("metadata service: HMAC sign and verify", () => {
  it("sign answers the base64 HMAC-SHA512 of the content under the pod's key, as plain text", async () => {
    const r = await post(UUID_A, "/pod/hmac/sign", { content: "hello world+&=" });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers["content-type"], "text/plain; charset=us-ascii");
    const expected = createHmac("sha512", Buffer.from(w.secrets.get(UUID_A)!.hmacKey, "base64")).update("hello world+&=").digest("base64");
    assert.equal(r.body, expected);
  });

  it("a pod verifies its own signature and another pod verifies it by the signer's uuid", async () => {
    const signature = (await post(UUID_A, "/pod/hmac/sign", { content: "payload" })).body;
    const own = await post(UUID_A, "/pod/hmac/verify", { content: "payload", uuid: UUID_A, signature });
    assert.equal(own.statusCode, 200);
    assert.equal(own.headers["content-type"], "text/plain; charset=us-ascii");
    assert.equal((await post(UUID_B, "/pod/hmac/verify", { content: "payload", uuid: UUID_A, signature })).statusCode, 200);
  });

  it("altered content, a forged signature, the wrong signer and an unknown uuid are all refused with 403", async () => {
    const signature = (await post(UUID_A, "/pod/hmac/sign", { content: "payload" })).body;
    const forged = createHmac("sha512", randomBytes(64)).update("payload").digest("base64");
    const cases = [
      { content: "payload!", uuid: UUID_A, signature },
      { content: "payload", uuid: UUID_A, signature: forged },
      { content: "payload", uuid: UUID_B, signature },
      { content: "payload", uuid: "99999999-9999-4999-8999-999999999999", signature },
      { content: "payload", uuid: UUID_A, signature: signature.slice(0, -4) },
      // The same bytes in a non-canonical spelling (a stray character Node's decoder would skip).
      { content: "payload", uuid: UUID_A, signature: `${signature.slice(0, 10)}!${signature.slice(10)}` },
    ];
    for (const form of cases) assert.equal((await post(UUID_B, "/pod/hmac/verify", form)).statusCode, 403, JSON.stringify(form));
  });

  it("sign and verify without their form fields are bad requests", async () => {
    assert.equal((await post(UUID_A, "/pod/hmac/sign", {})).statusCode, 400);
    assert.equal((await post(UUID_A, "/pod/hmac/verify", { content: "x", uuid: UUID_A })).statusCode, 400);
  });
});

describe("metadata service: who may ask", () => {
  it("an unknown token is refused with 403 and the log line does not contain the token", async () => {
    const token = randomBytes(24).toString("base64url");
    const r = await w.app.inject({ method: "GET", url: `/${token}/acMetadata/v1/pod/uuid`, headers: FLAVOR });
    assert.equal(r.statusCode, 403);
    assert.ok(!r.body.includes(token));
    assert.equal(w.said.length, 1);
    assert.match(w.said[0]!, /unknown token/);
    assert.ok(!w.said[0]!.includes(token), w.said[0]);
    assert.ok(!w.said[0]!.includes(token.slice(0, 8)), "not even a prefix of the token");
  });

  it("a request without Metadata-Flavor: AppContainer is refused with 403 and says why", async () => {
    const none = await get(UUID_A, "/pod/uuid", {});
    assert.equal(none.statusCode, 403);
    assert.match(none.body, /Metadata-Flavor: AppContainer/);
    assert.equal((await get(UUID_A, "/pod/uuid", { "metadata-flavor": "Google" })).statusCode, 403);
  });

  it("with source checks on, only the pod's own address may use its token (IPv4-mapped addresses included)", async () => {
    w = world({ checkSource: true });
    w.pods.pods.set(UUID_A, { ...w.pods.pods.get(UUID_A)!, ip: "10.9.0.2" });
    const from = (remoteAddress: string) => w.app.inject({ method: "GET", url: `/${tokenOf(UUID_A)}/acMetadata/v1/pod/uuid`, headers: FLAVOR, remoteAddress });
    assert.equal((await from("10.9.0.2")).statusCode, 200);
    assert.equal((await from("::ffff:10.9.0.2")).statusCode, 200);
    assert.equal((await from("10.9.0.3")).statusCode, 403);
    assert.equal((await from("127.0.0.1")).statusCode, 403);
    assert.match(w.said.at(-1)!, /not the pod's address 10\.9\.0\.2/);
    assert.ok(!w.said.some((l) => l.includes(tokenOf(UUID_A))));
  });

  it("secrets are read once per pod, not per request", async () => {
    for (let i = 0; i < 5; i++) {
      await get(UUID_A, "/pod/uuid");
      await get(UUID_B, "/pod/manifest");
    }
    assert.deepEqual([...w.reads].sort(), [UUID_A, UUID_B]);
  });

  it("a pod created after the service started is found on its first request", async () => {
    assert.equal((await get(UUID_A, "/pod/uuid")).statusCode, 200);
    w.pods.pods.set(UUID_C, pod(UUID_C, { acKind: "PodManifest", apps: [] }));
    const r = await get(UUID_C, "/pod/uuid");
    assert.equal(r.statusCode, 200);
    assert.equal(r.body, UUID_C);
  });

  it("a destroyed pod's token stops working and its signatures no longer verify", async () => {
    const signature = (await post(UUID_A, "/pod/hmac/sign", { content: "payload" })).body;
    w.pods.pods.delete(UUID_A);
    assert.equal((await get(UUID_A, "/pod/uuid")).statusCode, 403);
    assert.equal((await post(UUID_B, "/pod/hmac/verify", { content: "payload", uuid: UUID_A, signature })).statusCode, 403);
  });

  it("a pod still preparing (secrets not settled) is not served, and is once prepared", async () => {
    w.pods.pods.set(UUID_C, pod(UUID_C, { acKind: "PodManifest", apps: [] }, null, "preparing"));
    assert.equal((await get(UUID_C, "/pod/uuid")).statusCode, 403);
    assert.ok(!w.reads.includes(UUID_C));
    w.pods.pods.set(UUID_C, { ...pod(UUID_C, { acKind: "PodManifest", apps: [] }, null, "prepared"), updatedAt: "t2" });
    assert.equal((await get(UUID_C, "/pod/uuid")).statusCode, 200);
  });
});
