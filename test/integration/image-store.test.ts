// The image store as a user drives it: a real daemon on a real ZFS pool (zfs-fuse) with its own
// redis-server, through the API and the CLI.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { after, before, describe, it } from "node:test";
import { minimalManifest, writeAci } from "../support/aci-builder.js";
import { repoPath } from "../support/repo.js";
import { startTestDaemon, teardown, type TestDaemon } from "../support/daemon.js";
import { createTestPool, type TestPool } from "../support/zfs-pool.js";

let pool: TestPool;
let daemon: TestDaemon;
let work: string;

before(async () => {
  pool = await createTestPool({ sizeMiB: 1024 });
  work = await mkdtemp(`${tmpdir()}/jp-images-`);
  daemon = await startTestDaemon({ zfsRoot: `${pool.pool}/jetpack` });
});

after(() => teardown(daemon, pool, work));

function datasets(): string[] {
  return execFileSync("zfs", ["list", "-H", "-t", "all", "-o", "name", "-r", `${pool.pool}/jetpack/images`], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l && l !== `${pool.pool}/jetpack/images`);
}

async function importFile(path: string): Promise<any> {
  const r = await daemon.request("POST", "/v1/images", { source: { path }, insecureOptions: ["image"] });
  assert.equal(r.status, 202, JSON.stringify(r.json));
  return daemon.waitOp(r.json.id);
}

function busyboxAci(path: string, name = "example.com/busybox", version = "1.0.0"): string {
  execFileSync("bash", [repoPath("ops/images/busybox.sh"), path, name, version]);
  return path;
}

describe("image store", () => {
  it("imports an ACI through the CLI and prints the image ID the sha512 of its tar gives", async () => {
    const aci = busyboxAci(`${work}/busybox.aci`);
    const r = daemon.cli(["image", "import", aci, "--insecure-options=image"]);
    assert.equal(r.code, 0, r.stderr);
    const expected = "sha512-" + execFileSync("bash", ["-c", `gzip -dc '${aci}' | sha512sum`], { encoding: "utf8" }).split(" ")[0];
    assert.equal(r.stdout.trim(), expected);
    assert.ok(datasets().includes(`${pool.pool}/jetpack/images/${expected}@seal`));
    const ro = execFileSync("zfs", ["get", "-H", "-o", "value", "readonly", `${pool.pool}/jetpack/images/${expected}`], { encoding: "utf8" }).trim();
    assert.equal(ro, "on");
    assert.ok(existsSync(`${daemon.root}/images/${expected}/rootfs/bin/busybox`));
  });

  it("lists and shows the image, by name and by ID prefix, as a table and as JSON", () => {
    const list = daemon.cli(["image", "list", "--json"]);
    assert.equal(list.code, 0, list.stderr);
    const images = JSON.parse(list.stdout).images ?? JSON.parse(list.stdout);
    assert.equal(images.length, 1);
    assert.equal(images[0].name, "example.com/busybox");
    const table = daemon.cli(["image", "list"]);
    assert.match(table.stdout, /example\.com\/busybox/);
    const byName = daemon.cli(["image", "show", "example.com/busybox:1.0.0", "--json"]);
    assert.equal(byName.code, 0, byName.stderr);
    assert.equal(JSON.parse(byName.stdout).id, images[0].id);
    const byPrefix = daemon.cli(["image", "show", images[0].id.slice(0, 20), "--json"]);
    assert.equal(JSON.parse(byPrefix.stdout).manifest.name, "example.com/busybox");
  });

  it("refuses an unsigned image unless the user says --insecure-options=image", () => {
    const r = daemon.cli(["image", "import", `${work}/busybox.aci`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /insecure-options=image/);
  });

  it("exports an ACI that actool validates and that imports again as the same image", async () => {
    const id = JSON.parse(daemon.cli(["image", "show", "example.com/busybox", "--json"]).stdout).id;
    const out = `${work}/exported.aci`;
    const r = daemon.cli(["image", "export", "example.com/busybox", out]);
    assert.equal(r.code, 0, r.stderr);
    const v = spawnSync("actool", ["validate", out], { encoding: "utf8" });
    assert.equal(v.status, 0, v.stderr + v.stdout);
    const again = await importFile(out);
    assert.equal(again.state, "succeeded");
    assert.equal(again.result.id, id);
    assert.equal(again.result.existing, true);
    assert.equal(JSON.parse(daemon.cli(["image", "list", "--json"]).stdout).images.length, 1);
  });

  it("a broken manifest fails the import naming the field, and leaves no dataset or staging behind", async () => {
    const before = datasets();
    const bad = `${work}/bad-manifest.aci`;
    await writeAci(bad, { manifest: { ...minimalManifest("example.com/bad"), app: { exec: ["/bin/true"], user: "", group: "0" } }, entries: [{ name: "rootfs", type: "directory" }] });
    const op = await importFile(bad);
    assert.equal(op.state, "failed");
    assert.equal(op.error.code, "JP_ERR_MANIFEST_INVALID");
    assert.match(op.error.message, /app\.user/);
    assert.deepEqual(datasets(), before);
    assert.deepEqual(readdirSync(`${daemon.root}/tmp`).filter((f) => f.startsWith("import-")), []);
  });

  it("a hostile archive fails the import, writes nothing outside, and leaves no dataset", async () => {
    const before = datasets();
    const evil = `${work}/evil.aci`;
    const target = `${work}/escaped-${process.pid}`;
    await writeAci(evil, {
      manifest: minimalManifest("example.com/evil"),
      entries: [
        { name: "rootfs", type: "directory" },
        { name: "rootfs/link", type: "symlink", linkname: work },
        { name: `rootfs/link/escaped-${process.pid}`, type: "file", content: "gotcha" },
      ],
    });
    const op = await importFile(evil);
    assert.equal(op.state, "failed");
    assert.equal(op.error.code, "JP_ERR_ACI_UNSAFE_PATH");
    assert.equal(existsSync(target), false);
    assert.deepEqual(datasets(), before);
  });

  it("renders a three-level dependency chain in the spec's order and applies the top image's pathWhitelist", async () => {
    const baseId = JSON.parse(daemon.cli(["image", "show", "example.com/busybox", "--json"]).stdout).id;
    const mid = `${work}/mid.aci`;
    await writeAci(mid, {
      manifest: { ...minimalManifest("example.com/mid"), dependencies: [{ imageName: "example.com/busybox", labels: [{ name: "version", value: "1.0.0" }] }] },
      entries: [
        { name: "rootfs", type: "directory" },
        { name: "rootfs/etc", type: "directory" },
        { name: "rootfs/etc/mid.conf", type: "file", content: "from mid\n" },
        { name: "rootfs/etc/passwd", type: "file", content: "root:x:0:0:mid:/root:/bin/sh\n" },
      ],
    });
    const midOp = await importFile(mid);
    assert.equal(midOp.state, "succeeded", JSON.stringify(midOp.error));
    const top = `${work}/top.aci`;
    await writeAci(top, {
      manifest: {
        ...minimalManifest("example.com/top"),
        dependencies: [{ imageName: "example.com/mid", imageID: midOp.result.id }],
        pathWhitelist: ["/bin/busybox", "/bin/sh", "/etc/passwd", "/etc/top.conf"],
      },
      entries: [
        { name: "rootfs", type: "directory" },
        { name: "rootfs/etc", type: "directory" },
        { name: "rootfs/etc/top.conf", type: "file", content: "from top\n" },
      ],
    });
    const topOp = await importFile(top);
    assert.equal(topOp.state, "succeeded", JSON.stringify(topOp.error));
    const rootfs = `${daemon.root}/images/${topOp.result.id}/rootfs`;
    assert.equal(readFileSync(`${rootfs}/etc/passwd`, "utf8"), "root:x:0:0:mid:/root:/bin/sh\n", "mid overrides busybox");
    assert.equal(readFileSync(`${rootfs}/etc/top.conf`, "utf8"), "from top\n");
    assert.ok(statSync(`${rootfs}/bin/busybox`).isFile());
    assert.equal(existsSync(`${rootfs}/etc/mid.conf`), false, "not in the whitelist");
    assert.equal(existsSync(`${rootfs}/bin/ls`), false, "not in the whitelist");
    const show = JSON.parse(daemon.cli(["image", "show", "example.com/top", "--json"]).stdout);
    assert.deepEqual(show.dependencies, [midOp.result.id]);
    const midShow = JSON.parse(daemon.cli(["image", "show", "example.com/mid", "--json"]).stdout);
    assert.deepEqual(midShow.dependencies, [baseId]);
  });

  it("refuses to destroy an image another image depends on, with what depends on it", () => {
    const r = daemon.cli(["image", "destroy", "example.com/mid"]);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /example\.com\/top/);
  });

  it("fails an import whose dependency is not in the store, naming the dependency", async () => {
    const orphan = `${work}/orphan.aci`;
    await writeAci(orphan, {
      manifest: { ...minimalManifest("example.com/orphan"), dependencies: [{ imageName: "example.com/nowhere", labels: [{ name: "version", value: "9" }] }] },
      entries: [{ name: "rootfs", type: "directory" }],
    });
    const op = await importFile(orphan);
    assert.equal(op.state, "failed");
    assert.equal(op.error.code, "JP_ERR_IMAGE_DEPENDENCY_MISSING");
    assert.match(op.error.message, /example\.com\/nowhere,version=9/);
  });

  it("destroys images top-down and the history says who did what, with a chain that verifies", async () => {
    for (const name of ["example.com/top", "example.com/mid"]) {
      const r = daemon.cli(["image", "destroy", name]);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(datasets().filter((d) => /example|sha512/.test(d) && d.includes("tmp-")).length, 0);
    const names = JSON.parse(daemon.cli(["image", "list", "--json"]).stdout).images.map((i: { name: string }) => i.name);
    assert.deepEqual(names, ["example.com/busybox"]);
    const history = daemon.cli(["history", "--json"]);
    assert.equal(history.code, 0, history.stderr);
    const events = history.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const destroyed = events.filter((e: { type: string }) => e.type === "image.destroyed");
    assert.equal(destroyed.length, 2);
    const requested = events.find((e: { type: string }) => e.type === "image.destroy.requested");
    assert.ok(requested.actor.length > 0 && requested.actor !== "system");
    const verify = daemon.cli(["history", "--verify"]);
    assert.equal(verify.code, 0, verify.stderr + verify.stdout);
  });

  it("a restart repairs a store whose child dataset went missing (Jetpack issue #14), and a seal left writable", async () => {
    const id = JSON.parse(daemon.cli(["image", "show", "example.com/busybox", "--json"]).stdout).id;
    const dataset = `${pool.pool}/jetpack/images/${id}`;
    await daemon.stop();
    execFileSync("zfs", ["destroy", "-r", `${pool.pool}/jetpack/pods`]);
    execFileSync("flock", ["/run/lock/jetpack-zfs-fuse.lock", "zfs", "set", "readonly=off", dataset]);
    await daemon.restart();
    assert.equal(execFileSync("zfs", ["get", "-H", "-o", "value", "readonly", dataset], { encoding: "utf8" }).trim(), "on");
    const r = spawnSync("zfs", ["list", "-H", "-o", "name", `${pool.pool}/jetpack/pods`], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(daemon.output(), /createdDatasets: .*\/jetpack\/pods/);
    assert.equal(JSON.parse(daemon.cli(["image", "list", "--json"]).stdout).images.length, 1, "the images are still there");
  });
});
