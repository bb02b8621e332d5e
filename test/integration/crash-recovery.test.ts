// Crash safety of the image store: kill -9 the daemon in the middle of a large import, lose Redis, tear
// the log's last line; after a restart nothing the log knows is lost and nothing half-made is left.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { after, before, describe, it } from "node:test";
import { killRedisOf, sleep, startTestDaemon, teardown, type TestDaemon } from "../support/daemon.js";
import { createTestPool, type TestPool } from "../support/zfs-pool.js";

let pool: TestPool;
let daemon: TestDaemon;
let work: string;
let bigAci: string;
let bigId: string;

before(async () => {
  pool = await createTestPool({ sizeMiB: 3072 });
  work = await mkdtemp(`${tmpdir()}/jp-crash-`);
  // A plain tar of ~400 MB of incompressible data: long enough to be caught half-way.
  execFileSync("bash", [
    "-c",
    `set -e; cd '${work}'; mkdir -p img/rootfs/data
     printf '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/big","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}' > img/manifest
     for i in 1 2 3 4; do head -c 100M /dev/urandom > img/rootfs/data/blob$i; done
     tar --numeric-owner -C img -cf big.aci manifest rootfs; rm -rf img`,
  ]);
  bigAci = `${work}/big.aci`;
  bigId = "sha512-" + execFileSync("sha512sum", [bigAci], { encoding: "utf8" }).split(" ")[0];
  daemon = await startTestDaemon({ zfsRoot: `${pool.pool}/jetpack` });
});

after(() => teardown(daemon, pool, work));

function imageDatasets(): string[] {
  return execFileSync("zfs", ["list", "-H", "-t", "all", "-o", "name", "-r", `${pool.pool}/jetpack/images`], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l && l !== `${pool.pool}/jetpack/images`);
}

async function startImport(): Promise<string> {
  const r = await daemon.request("POST", "/v1/images", { source: { path: bigAci }, insecureOptions: ["image"] });
  assert.equal(r.status, 202, JSON.stringify(r.json));
  return r.json.id as string;
}

/** Waits until the import has written part of the image (and is far from done). */
async function waitHalfway(op: string): Promise<number> {
  for (let i = 0; i < 600; i++) {
    const r = await daemon.request("GET", `/v1/operations/${op}`);
    const p = r.json.progress;
    if (p && p.bytes > 50 * 1024 * 1024) return p.bytes as number;
    assert.notEqual(r.json.state, "succeeded", "the import finished before the test could crash it");
    await sleep(20);
  }
  throw new Error("the import never got going");
}

describe("crash recovery", () => {
  it("a daemon killed half-way through a large import finishes it after a restart, leaving no staging behind", async () => {
    const op = await startImport();
    const bytes = await waitHalfway(op);
    await daemon.crash();
    assert.ok(imageDatasets().some((d) => d.includes("/tmp-")), `a staging dataset exists at the crash (${bytes} bytes in)`);

    await daemon.restart();
    const done = await daemon.waitOp(op);
    assert.equal(done.state, "succeeded", JSON.stringify(done.error));
    assert.equal(done.result.id, bigId);
    assert.deepEqual(imageDatasets().filter((d) => d.includes("/tmp-")), []);
    assert.deepEqual(readdirSync(`${daemon.root}/tmp`).filter((f) => f.startsWith("import-")), []);
    const history = daemon.cli(["history", "--json", "--op", op]);
    const types = history.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const restarted = types.find((e: { type: string }) => e.type === "image.import.restarted");
    assert.ok(restarted, "the restart is in the audit trail");
    assert.equal(restarted.actor, "system");
    assert.equal(daemon.cli(["history", "--verify"]).code, 0);
  });

  it("losing Redis entirely while an import runs loses nothing the log knows", async () => {
    const destroy = daemon.cli(["image", "destroy", bigId]);
    assert.equal(destroy.code, 0, destroy.stderr);
    const op = await startImport();
    await waitHalfway(op);
    await daemon.crash();
    killRedisOf(daemon.root);
    await rm(`${daemon.root}/redis`, { recursive: true, force: true });

    await daemon.restart();
    const done = await daemon.waitOp(op);
    assert.equal(done.state, "succeeded", JSON.stringify(done.error));
    const images = JSON.parse(daemon.cli(["image", "list", "--json"]).stdout).images;
    assert.deepEqual(images.map((i: { id: string }) => i.id), [bigId]);
  });

  it("a torn last line in the log is cut at start and the chain still verifies", async () => {
    await daemon.stop();
    appendFileSync(`${daemon.root}/log/events.jsonl`, '{"seq":999,"time":"2026-');
    await daemon.restart();
    assert.match(daemon.output(), /torn/);
    const v = daemon.cli(["history", "--verify"]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(existsSync(`${daemon.root}/images/${bigId}/aci`), true);
  });
});
