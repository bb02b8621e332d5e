// The metadata service on a real socket: the source-address check against real peers on loopback
// (127.0.0.2 plays the pod, 127.0.0.3 a neighbour), a strict client's 100 ms budget, and the errors of
// listening where it cannot.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { createServer, type Server } from "node:net";
import { after, before, describe, it } from "node:test";
import { startMetadataService, type RunningMetadataService } from "../../../api/mds/listen.js";
import { JetpackError } from "../../../machines/errors.js";
import { emptyImages } from "../../../machines/projections/images.js";
import { emptyPods } from "../../../machines/projections/pods.js";

const UUID = "44444444-4444-4444-8444-444444444444";
const secrets = { token: randomBytes(24).toString("base64url"), hmacKey: randomBytes(64).toString("base64") };
const said: string[] = [];
let hookRan = false;
let service: RunningMetadataService;

function deps() {
  const pods = emptyPods();
  pods.pods.set(UUID, {
    uuid: UUID, name: null, state: "running", ip: "127.0.0.2", manifest: { acKind: "PodManifest", acVersion: "0.8.11", apps: [] },
    apps: [], isolatorsIgnored: [], lastError: null, createdAt: "t", createdBy: "t", updatedAt: "t",
  });
  return {
    pods: () => pods,
    images: () => emptyImages(),
    secretsOf: async (uuid: string) => {
      if (uuid !== UUID) throw new Error("no such pod");
      return secrets;
    },
    say: (line: string) => void said.push(line),
  };
}

function fetchFrom(localAddress: string, path: string): Promise<{ status: number; type: string | undefined; body: string }> {
  const [host, port] = service.address.split(":");
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), localAddress, path, headers: { "metadata-flavor": "AppContainer" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], body }));
    });
    req.on("error", reject);
    req.end();
  });
}

before(async () => {
  service = await startMetadataService(deps(), { host: "127.0.0.1", port: 0, beforeListen: async () => void (hookRan = true) });
});

after(async () => {
  await service.close();
});

describe("metadata service on a socket", () => {
  it("runs the beforeListen hook and listens on the address it was given", () => {
    assert.equal(hookRan, true);
    assert.match(service.address, /^127\.0\.0\.1:\d+$/);
  });

  it("answers the pod from its own address, within a strict client's 100 ms", async () => {
    await fetchFrom("127.0.0.2", `/${secrets.token}/acMetadata/v1/pod/uuid`); // warm: reads the secrets once
    const started = performance.now();
    const r = await fetchFrom("127.0.0.2", `/${secrets.token}/acMetadata/v1/pod/uuid`);
    const took = performance.now() - started;
    assert.equal(r.status, 200);
    assert.equal(r.type, "text/plain; charset=us-ascii");
    assert.equal(r.body, UUID);
    assert.ok(took < 100, `took ${took} ms`);
  });

  it("refuses the pod's token from any other address with 403, and logs the address but not the token", async () => {
    for (const from of ["127.0.0.3", "127.0.0.1"]) {
      const r = await fetchFrom(from, `/${secrets.token}/acMetadata/v1/pod/manifest`);
      assert.equal(r.status, 403, from);
    }
    assert.match(said.at(-1)!, /came from 127\.0\.0\.1, not the pod's address 127\.0\.0\.2/);
    assert.ok(!said.some((l) => l.includes(secrets.token)));
  });

  it("fails with JP_ERR_MDS_ADDRESS_UNAVAILABLE when no interface holds the address (no bridge yet)", async () => {
    await assert.rejects(
      startMetadataService(deps(), { host: "192.0.2.77", port: 0 }),
      (err) => err instanceof JetpackError && err.code === "JP_ERR_MDS_ADDRESS_UNAVAILABLE" && err.kind === "unavailable",
    );
  });

  it("fails with JP_ERR_MDS_PORT_IN_USE when the port is taken", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    try {
      const port = (blocker.address() as { port: number }).port;
      await assert.rejects(
        startMetadataService(deps(), { host: "127.0.0.1", port }),
        (err) => err instanceof JetpackError && err.code === "JP_ERR_MDS_PORT_IN_USE" && err.kind === "conflict",
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
