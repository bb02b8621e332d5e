// The metadata service as apps see it: a real daemon serving it on the pod network's gateway, real pods
// on a zfs-fuse pool running busybox wget against $AC_METADATA_URL. One pod reads its uuid, manifest and
// annotations and signs; a second pod verifies that signature by the first pod's uuid, sees forgeries
// refused, and cannot use the first pod's token; the host cannot either.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import type { TestDaemon } from "../../support/daemon.js";
import { startPodHost, type PodHost } from "../../support/pod-host.js";

let host: PodHost;
let daemon: TestDaemon;
let work: string;
let port: number;
let gateway: string;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port: p } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return p;
}

before(async () => {
  port = await freePort();
  host = await startPodHost({ secondOctet: 252, daemonArgs: ["--metadata-port", String(port)] });
  ({ daemon, work } = host);
  gateway = `${host.net}.1`;
});

after(() => host.teardown());

/** Shell helpers for busybox: `mds PATH` GETs, `mdspost PATH FORM` POSTs, both with the flavor header. */
const SH_PRELUDE = [
  'H="Metadata-Flavor: AppContainer"',
  'M="$AC_METADATA_URL/acMetadata/v1"',
  'mds() { wget -q -O - --header "$H" "$M/$1"; }',
  'mdspost() { wget -q -O - --header "$H" --post-data "$2" "$M/$1"; }',
].join("\n");

function podFile(name: string, sh: string, extra: { annotations?: unknown[]; appAnnotations?: unknown[] } = {}): string {
  const manifest = {
    acVersion: "0.8.11",
    acKind: "PodManifest",
    apps: [
      {
        name,
        image: { name: "example.com/busybox", labels: [{ name: "version", value: "1.0.0" }] },
        app: { exec: ["/bin/sh", "-c", `${SH_PRELUDE}\n${sh}`], user: "0", group: "0" },
        annotations: extra.appAnnotations ?? [],
      },
    ],
    annotations: extra.annotations ?? [],
  };
  const path = `${work}/${name}.json`;
  writeFileSync(path, JSON.stringify(manifest));
  return path;
}

/** The value printed as `key=value` on a line of an app's output (`jetpack run` may prefix the app's name). */
function field(output: string, key: string): string {
  const m = new RegExp(`(?:^|\\| )${key}=(.*)$`, "m").exec(output);
  assert.ok(m, `no ${key}= in:\n${output}`);
  return m[1]!;
}

function hostGet(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: gateway, port, path, headers: { "metadata-flavor": "AppContainer" } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("metadata service from inside pods", () => {
  let signer: string;
  let signature: string;

  it("the daemon serves the metadata service on the pod network's gateway at --metadata-port", async () => {
    // An unknown token: the service answers (403) rather than the connection being refused.
    assert.equal(await hostGet(`/${randomBytes(24).toString("base64url")}/acMetadata/v1/pod/uuid`), 403);
  });

  it("an app reads its uuid, manifest, annotations and image id, and signs content", async () => {
    const file = podFile("signer", "while true; do sleep 1; done", {
      annotations: [{ name: "role", value: "signer" }],
      // Replaces the image's `created` in place; `tier` comes after it.
      appAnnotations: [{ name: "tier", value: "front" }, { name: "created", value: "2020-01-02T03:04:05Z" }],
    });
    const created = await daemon.run(["pod", "create", "-f", file, "--name", "signer"]);
    assert.equal(created.code, 0, created.stderr);
    signer = created.stdout.trim();
    assert.equal((await daemon.run(["pod", "start", "signer"])).code, 0);

    const script = [
      SH_PRELUDE,
      'echo "uuid=$(mds pod/uuid)"',
      'mds pod/uuid > /tmp/uuid; echo "uuidbytes=$(busybox wc -c < /tmp/uuid)"',
      'echo "manifest=$(mds pod/manifest)"',
      'echo "annotations=$(mds pod/annotations)"',
      'echo "appannotations=$(mds apps/$AC_APP_NAME/annotations)"',
      'echo "imageid=$(mds apps/$AC_APP_NAME/image/id)"',
      'echo "imagemanifest=$(mds apps/$AC_APP_NAME/image/manifest)"',
      'echo "signature=$(mdspost pod/hmac/sign content=signed-by-the-signer)"',
      'wget -q -O - "$M/pod/uuid" > /dev/null 2>&1; echo "noflavor=$?"',
    ].join("\n");
    const r = await daemon.run(["pod", "exec", "signer", "--", "/bin/sh", "-c", script]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = r.stdout;

    assert.equal(field(out, "uuid"), signer);
    assert.equal(field(out, "uuidbytes").trim(), "36", "no trailing newline after the uuid");
    const manifest = JSON.parse(field(out, "manifest"));
    assert.deepEqual(manifest.annotations, [{ name: "role", value: "signer" }]);
    assert.deepEqual(JSON.parse(field(out, "annotations")), manifest.annotations);
    assert.equal(field(out, "imageid"), manifest.apps[0].image.id);
    const imageManifest = JSON.parse(field(out, "imagemanifest"));
    assert.equal(imageManifest.name, "example.com/busybox");
    assert.deepEqual(JSON.parse(field(out, "appannotations")), [{ name: "created", value: "2020-01-02T03:04:05Z" }, { name: "tier", value: "front" }]);
    signature = field(out, "signature");
    assert.match(signature, /^[A-Za-z0-9+/]{86}==$/, "base64 of 64 bytes");
    assert.notEqual(field(out, "noflavor"), "0", "a request without Metadata-Flavor is refused");
  });

  it("a second pod verifies the signature by the signer's uuid, and forged, altered or stolen-token requests fail", async () => {
    assert.ok(signer && signature, "the signer pod ran");
    const form = (content: string, sig: string) => new URLSearchParams({ content, uuid: signer, signature: sig }).toString();
    const forged = Buffer.from(signature, "base64").map((b, i) => (i === 0 ? b ^ 1 : b));
    const token = JSON.parse(readFileSync(`${daemon.root}/pods/${signer}/mds/secrets.json`, "utf8")).token as string;
    const file = podFile("verifier", [
      `mdspost pod/hmac/verify '${form("signed-by-the-signer", signature)}' > /dev/null; echo "verify=$?"`,
      `mdspost pod/hmac/verify '${form("signed-by-the-signer", Buffer.from(forged).toString("base64"))}' > /dev/null 2>&1; echo "forged=$?"`,
      `mdspost pod/hmac/verify '${form("altered-content", signature)}' > /dev/null 2>&1; echo "altered=$?"`,
      'echo "own=$(mds pod/uuid)"',
      `wget -q -O - --header "$H" "http://${gateway}:${port}/${token}/acMetadata/v1/pod/uuid" > /dev/null 2>&1; echo "stolen=$?"`,
    ].join("\n"));
    const r = await daemon.run(["run", "-f", file, "--rm"]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(field(r.stdout, "verify"), "0");
    assert.notEqual(field(r.stdout, "forged"), "0");
    assert.notEqual(field(r.stdout, "altered"), "0");
    assert.match(field(r.stdout, "own"), /^[0-9a-f-]{36}$/);
    assert.notEqual(field(r.stdout, "own"), signer);
    assert.notEqual(field(r.stdout, "stolen"), "0", "another pod cannot use the signer's token");

    // The host (the gateway address) cannot use a pod's token either; no log line carries the token.
    assert.equal(await hostGet(`/${token}/acMetadata/v1/pod/uuid`), 403);
    assert.equal(await hostGet(`/${randomBytes(24).toString("base64url")}/acMetadata/v1/pod/uuid`), 403);
    assert.ok(!daemon.output().includes(token), "the daemon's output never shows a token");
  });

  it("once the signer pod is destroyed, its signatures no longer verify", async () => {
    assert.ok(signer && signature, "the signer pod ran");
    const destroyed = await daemon.run(["pod", "destroy", "signer"]);
    assert.equal(destroyed.code, 0, destroyed.stderr);
    const form = new URLSearchParams({ content: "signed-by-the-signer", uuid: signer, signature }).toString();
    const file = podFile("late", `mdspost pod/hmac/verify '${form}' > /dev/null 2>&1; echo "verify=$?"`);
    const r = await daemon.run(["run", "-f", file, "--rm"]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.notEqual(field(r.stdout, "verify"), "0");
  });
});
