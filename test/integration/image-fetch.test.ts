// `jetpack image fetch` against a real HTTPS registry on 127.0.0.1 with its own CA (handed to the daemon):
// discovery, signatures and trust, dependencies, and a download that survives kill -9 of the daemon.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { after, before, describe, it } from "node:test";
import { buildAci, minimalManifest } from "../support/aci-builder.js";
import { sleep, startTestDaemon, teardown, type TestDaemon } from "../support/daemon.js";
import { startHttpsServer, type TestHttpsServer } from "../support/https-server.js";
import { gpgCleanup, gpgMakeKeyAndSign, makeKey, signDetached, type TestKey } from "../support/pgp-keys.js";
import { makeRegistry, type Registry } from "../support/registry.js";
import { createTestPool, type TestPool } from "../support/zfs-pool.js";

let pool: TestPool;
let daemon: TestDaemon;
let server: TestHttpsServer;
let reg: Registry;
let work: string;
let publisher: TestKey;
let stranger: TestKey;
const HOST = "127.0.0.1";

/** Publishes an image under `name` (version 1.0.0, linux/amd64), signed by `signer` unless null. */
async function publish(name: string, aci: Buffer, signer: TestKey | null, version = "1.0.0"): Promise<void> {
  const path = `/images/${name}-${version}-linux-amd64.aci`;
  reg.files.set(path, aci);
  reg.files.delete(`${path}.asc`);
  if (signer) {
    const file = `${work}/to-sign`;
    writeFileSync(file, aci);
    reg.files.set(`${path}.asc`, Buffer.from(await signDetached(file, signer.privateKey)));
  }
}

function image(name: string, extra: Record<string, unknown> = {}, content = name): Promise<Buffer> {
  return buildAci({
    manifest: minimalManifest(name, { labels: [{ name: "version", value: "1.0.0" }, { name: "os", value: "linux" }, { name: "arch", value: "amd64" }], ...extra }),
    entries: [{ name: "rootfs", type: "directory" }, { name: "rootfs/hello", type: "file", content }],
    compression: "gzip",
  });
}

before(async () => {
  work = await mkdtemp(`${tmpdir()}/jp-fetch-`);
  reg = makeRegistry();
  server = await startHttpsServer((req, res) => reg.handler(req, res));
  for (const path of ["/org", "/org/app", "/org/base", "/org/big", "/org/plain", "/org/unsigned"]) {
    reg.files.set(`${path}?ac-discovery=1`, Buffer.from(reg.discoveryPage(`${HOST}/org`, server.url)));
  }
  publisher = await makeKey({ name: "Org Publisher", email: "release@org.example" });
  stranger = await makeKey({ name: "Somebody Else", email: "other@example.net" });
  reg.files.set("/pubkeys.asc", Buffer.from(publisher.publicArmored));
  writeFileSync(`${work}/ca.pem`, server.caPem);
  pool = await createTestPool({ sizeMiB: 1024 });
  daemon = await startTestDaemon({ zfsRoot: `${pool.pool}/jetpack`, args: ["--ca", `${work}/ca.pem`, "--discovery-port", String(server.port)] });
});

after(async () => {
  await server?.close();
  await teardown(daemon, pool, work);
});

describe("image fetch", () => {
  it("refuses an image signed by a key nobody trusted, showing the publisher's key", async () => {
    await publish(`${HOST}/org/app`, await image(`${HOST}/org/app`), publisher);
    const r = (await daemon.run(["image", "fetch", `${HOST}/org/app:1.0.0`]));
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, new RegExp(publisher.fingerprint));
    assert.match(r.stderr, /--trust-keys-from-https/);
  });

  it("with --trust-keys-from-https trusts the discovered key for that name, verifies and imports", async () => {
    const r = (await daemon.run(["image", "fetch", `${HOST}/org/app:1.0.0`, "--trust-keys-from-https"]));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^sha512-[0-9a-f]{128}$/);
    const keys = JSON.parse((await daemon.run(["trust", "list", "--json"])).stdout).keys;
    assert.deepEqual(keys.map((k: { fingerprint: string; prefix: string }) => [k.fingerprint, k.prefix]), [[publisher.fingerprint, `${HOST}/org/app`]]);
    const shown = JSON.parse((await daemon.run(["image", "show", `${HOST}/org/app`, "--json"])).stdout);
    assert.equal(shown.name, `${HOST}/org/app`);
    const history = (await daemon.run(["history", "--json", "--type", "trust.*"])).stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(history[0].type, "trust.key.added");
    assert.equal(history[0].data.source, `${server.url}/pubkeys.asc`);
  });

  it("a pinned --fingerprint trusts only the key that has it", async () => {
    await publish(`${HOST}/org/pinned`, await image(`${HOST}/org/pinned`), publisher);
    reg.files.set("/org/pinned?ac-discovery=1", Buffer.from(reg.discoveryPage(`${HOST}/org`, server.url)));
    const wrong = await daemon.run(["image", "fetch", `${HOST}/org/pinned:1.0.0`, "--fingerprint", stranger.fingerprint]);
    assert.equal(wrong.code, 6, wrong.stderr);
    const right = await daemon.run(["image", "fetch", `${HOST}/org/pinned:1.0.0`, "--fingerprint", publisher.fingerprint]);
    assert.equal(right.code, 0, right.stderr);
  });

  it("refuses a tampered image and one signed by another key, before extracting anything", async () => {
    const genuine = await image(`${HOST}/org/app`, {}, "v2");
    await publish(`${HOST}/org/app`, genuine, publisher);
    const path = `/images/${HOST}/org/app-1.0.0-linux-amd64.aci`;
    const tampered = Buffer.from(genuine);
    const at = tampered.length - 20;
    tampered[at] = tampered[at]! ^ 0xff;
    reg.files.set(path, tampered);
    const bad = (await daemon.run(["image", "fetch", `${HOST}/org/app:1.0.0`]));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /JP_ERR_SIGNATURE_INVALID|signature/i);
    await publish(`${HOST}/org/app`, genuine, stranger);
    const wrong = (await daemon.run(["image", "fetch", `${HOST}/org/app:1.0.0`]));
    assert.equal(wrong.code, 6, wrong.stderr);
    assert.equal(JSON.parse((await daemon.run(["image", "list", "--json"])).stdout).images.length, 2);
  });

  it("refuses an unsigned image unless --insecure-options=image, which the audit trail records", async () => {
    await publish(`${HOST}/org/unsigned`, await image(`${HOST}/org/unsigned`), null);
    const refused = (await daemon.run(["image", "fetch", `${HOST}/org/unsigned:1.0.0`]));
    assert.equal(refused.code, 6, refused.stderr);
    const ok = (await daemon.run(["image", "fetch", `${HOST}/org/unsigned:1.0.0`, "--insecure-options=image"]));
    assert.equal(ok.code, 0, ok.stderr);
    assert.match((await daemon.run(["history"])).stdout, /UNVERIFIED/);
  });

  it("fetches a missing dependency too, depth-first, each as an image of its own", async () => {
    await publish(`${HOST}/org/base`, await image(`${HOST}/org/base`), publisher);
    writeFileSync(`${work}/publisher.asc`, publisher.publicArmored);
    const added = (await daemon.run(["trust", "add", `${work}/publisher.asc`, "--prefix", `${HOST}/org`]));
    assert.equal(added.code, 0, added.stderr);
    const plain = await image(`${HOST}/org/plain`, { dependencies: [{ imageName: `${HOST}/org/base`, labels: [{ name: "version", value: "1.0.0" }] }] });
    await publish(`${HOST}/org/plain`, plain, publisher);
    const r = (await daemon.run(["image", "fetch", `${HOST}/org/plain:1.0.0`]));
    assert.equal(r.code, 0, r.stderr);
    const names = JSON.parse((await daemon.run(["image", "list", "--json"])).stdout).images.map((i: { name: string }) => i.name).sort();
    assert.deepEqual(names, [`${HOST}/org/app`, `${HOST}/org/base`, `${HOST}/org/pinned`, `${HOST}/org/plain`, `${HOST}/org/unsigned`]);
    const rootfs = `${daemon.root}/images/${r.stdout.trim()}/rootfs/hello`;
    assert.equal(readFileSync(rootfs, "utf8"), `${HOST}/org/plain`);
  });

  it("refuses a dependency whose size or pinned image ID is not what the manifest declares", async () => {
    const dep = await image(`${HOST}/org/dep`);
    await publish(`${HOST}/org/dep`, dep, publisher);
    reg.files.set("/org/dep?ac-discovery=1", Buffer.from(reg.discoveryPage(`${HOST}/org`, server.url)));
    for (const [label, pin] of [
      ["size", { size: dep.length - 1 }],
      ["id", { imageID: `sha512-${"0".repeat(128)}` }],
    ] as const) {
      const top = `${HOST}/org/top-${label}`;
      reg.files.set(`/org/top-${label}?ac-discovery=1`, Buffer.from(reg.discoveryPage(`${HOST}/org`, server.url)));
      await publish(top, await image(top, { dependencies: [{ imageName: `${HOST}/org/dep`, labels: [{ name: "version", value: "1.0.0" }], ...pin }] }), publisher);
      const r = await daemon.run(["image", "fetch", `${top}:1.0.0`]);
      assert.notEqual(r.code, 0, `${label}: ${r.stdout}`);
      assert.match(r.stderr, label === "size" ? /JP_ERR_FETCH_TOO_LARGE|bytes/ : /hashes to/);
    }
    const names = JSON.parse((await daemon.run(["image", "list", "--json"])).stdout).images.map((i: { name: string }) => i.name);
    assert.ok(!names.some((n: string) => n.includes("top-") || n.endsWith("/dep")), names.join(", "));
  });

  it("verifies a signature made by GnuPG", async () => {
    const aci = await image(`${HOST}/org/plain`, {}, "gpg");
    const file = `${work}/gpg.aci`;
    writeFileSync(file, aci);
    const home = `${work}/gnupg`;
    mkdirSync(home, { mode: 0o700 });
    try {
      const signed = await gpgMakeKeyAndSign(file, home);
      writeFileSync(`${work}/gpg-pub.asc`, signed.publicArmored);
      writeFileSync(`${file}.asc`, signed.signature);
      assert.equal((await daemon.run(["trust", "add", `${work}/gpg-pub.asc`, "--prefix", `${HOST}/org/plain`])).code, 0);
      const r = (await daemon.run(["image", "import", file, "--sig", `${file}.asc`]));
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await gpgCleanup(home);
    }
  });

  it("resumes a large download after the daemon is killed, asking only for the remaining bytes", async () => {
    // Incompressible bulk so the ACI itself is large: a plain tar with 48 MB of random data.
    const bulk = execFileSync("bash", ["-c", `set -e; d=$(mktemp -d); mkdir -p $d/rootfs; head -c 48M /dev/urandom > $d/rootfs/blob; printf '%s' '${JSON.stringify(minimalManifest(`${HOST}/org/big`, { labels: [{ name: "version", value: "1.0.0" }, { name: "os", value: "linux" }, { name: "arch", value: "amd64" }] }))}' > $d/manifest; tar -C $d -cf - manifest rootfs; rm -rf $d`], { maxBuffer: 1 << 30 });
    await publish(`${HOST}/org/big`, bulk, publisher);
    reg.rate = 12 * 1024 * 1024;
    reg.log.length = 0;
    const start = await daemon.request("POST", "/v1/images/fetch", { image: `${HOST}/org/big:1.0.0` });
    assert.equal(start.status, 202, JSON.stringify(start.json));
    const op = start.json.id;
    for (let i = 0; i < 300; i++) {
      const p = (await daemon.request("GET", `/v1/operations/${op}`)).json.progress;
      if (p && p.stage === "downloading" && p.bytes > 12 * 1024 * 1024) break;
      await sleep(50);
    }
    await daemon.crash();
    reg.rate = undefined;
    await daemon.restart();
    const done = await daemon.waitOp(op);
    assert.equal(done.state, "succeeded", JSON.stringify(done.error));
    const expected = "sha512-" + execFileSync("sha512sum", { input: bulk, maxBuffer: 1 << 30, encoding: "utf8" }).split(" ")[0];
    assert.equal(done.result.id, expected);
    const gets = reg.log.filter((e) => e.path.endsWith("big-1.0.0-linux-amd64.aci"));
    assert.equal(gets.length, 2, JSON.stringify(gets));
    assert.equal(gets[0]!.range, null);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range ?? "")?.[1]);
    assert.ok(resumedAt > 10 * 1024 * 1024, `resumed at ${resumedAt}`);
    assert.equal(gets[1]!.status, 206);
    assert.equal(gets[1]!.bytesSent, bulk.length - resumedAt, "only the remaining bytes were sent again");
  });
});
