// The jetpack command as a user runs it (a child process) against the real API on a unix socket. No ZFS
// and no Redis: the API runs in this process over a real event log and engine, and a stand-in worker
// turns each queued job into the events a real one would append.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { VERSION } from "../../api/version.js";
import { Engine } from "../../machines/engine.js";
import { EventLog, type JobSpec } from "../../machines/log/index.js";
import { CLI } from "../support/daemon.js";
import { REPO_ROOT } from "../support/repo.js";
import { buildInMemoryApi } from "../support/api-deps.js";


interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;
let root: string;
let log: EventLog;
let app: FastifyInstance;

/** Runs `jetpack ARGS` from the sources, against this test's root. */
function jetpack(args: string[], opts: { input?: Buffer; env?: Record<string, string>; root?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, "--root", opts.root ?? root, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, SUDO_USER: "", ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? Buffer.alloc(0));
  });
}

/** What a worker would do for each job: say it started, then that it is done (an image's ID is the SHA-512 of its file). */
function standInWorker(engine: Engine, aciPath: (id: string) => string) {
  return async (job: JobSpec) => {
    const { stream, jobSeq, op } = job.data as { stream: string; jobSeq: number; op?: string };
    const base = { stream, actor: "system", ...(op ? { op } : {}) };
    if (job.name === "import") {
      const source = (engine.stream(stream)!.state.context as { source: { path: string } }).source;
      const bytes = await readFile(source.path);
      const id = `sha512-${createHash("sha512").update(bytes).digest("hex")}`;
      await copyFile(source.path, aciPath(id));
      await engine.dispatch({ ...base, type: "image.import.started", data: { jobSeq } });
      const labels = [{ name: "version", value: "1.0" }, { name: "os", value: "linux" }, { name: "arch", value: "amd64" }];
      const manifest = { acKind: "ImageManifest", acVersion: "0.8.11", name: "example.com/smoke", labels, app: { exec: ["/bin/true"], user: "0", group: "0" } };
      const data = { id, name: "example.com/smoke", labels, manifest, dependencies: [], compression: "none" as const, aciBytes: bytes.length, tarBytes: bytes.length };
      await engine.dispatch({ ...base, type: "image.imported", data });
    } else if (job.name === "destroy") {
      await engine.dispatch({ ...base, type: "image.destroy.started", data: { jobSeq } });
      await engine.dispatch({ ...base, type: "image.destroyed", data: {} });
    }
  };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "jp-cli-smoke-"));
  root = join(dir, "root");
  await mkdir(join(root, "store"), { recursive: true });
  const aciPath = (id: string) => join(root, "store", `${id}.aci`);
  let work: ((job: JobSpec) => Promise<void>) | undefined;
  const api = await buildInMemoryApi(root, {
    // Later, not now: the engine is still inside the dispatch that asked for the job.
    enqueue: async (jobs) => void setTimeout(() => jobs.forEach((j) => void work!(j).catch((err) => console.error("stand-in worker:", err))), 50),
    aciPath,
    uploadDir: join(root, "uploads"),
    version: VERSION,
  });
  log = api.log;
  app = api.app;
  work = standInWorker(api.engine, aciPath);
  await app.listen({ path: join(root, "jetpack.sock") });
});

after(async () => {
  await app?.close();
  await log?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the jetpack command against the API on its unix socket", () => {
  const aci = randomBytes(64 * 1024);
  const aciId = `sha512-${createHash("sha512").update(aci).digest("hex")}`;
  const uploaded = randomBytes(3 * 1024 * 1024);
  const uploadedId = `sha512-${createHash("sha512").update(uploaded).digest("hex")}`;

  it("lists an empty store as JSON and as a table with just its header", async () => {
    const json = await jetpack(["image", "list", "--json"]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { images: [] });
    const table = await jetpack(["image", "list"]);
    assert.equal(table.stdout, "ID  NAME  SIZE  IMPORTED\n");
  });

  it("imports an ACI by path, waits for it, prints its ID, and records the user behind sudo", async () => {
    const file = join(dir, "app.aci");
    await writeFile(file, aci);
    const run = await jetpack(["image", "import", file, "--insecure-options=image"], { env: { SUDO_USER: "alice" } });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${aciId}\n`);
    assert.equal(run.stderr, "", "no progress line on a pipe");
    const events = await jetpack(["history", "--json", "--type", "image.import.requested"]);
    const [requested] = events.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(requested.actor, `${userInfo().username} (sudo alice)`);
  });

  it("uploads an ACI from stdin with -", async () => {
    const run = await jetpack(["image", "import", "-", "--insecure-options", "image"], { input: uploaded });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${uploadedId}\n`);
  });

  it("refuses an unverified upload as a permission error (exit 6) with the way out in the hint", async () => {
    const run = await jetpack(["image", "import", "-"], { input: uploaded });
    assert.equal(run.code, 6, run.stderr);
    assert.equal(run.stderr, "jetpack: refusing to import an image whose signature is not verified\nhint: give its signature with --sig FILE.aci.asc, or pass --insecure-options=image to import it anyway (recorded in the audit trail)\n");
  });

  it("lists both images as JSON, as a table with short IDs, and as full IDs", async () => {
    const json = JSON.parse((await jetpack(["image", "list", "--json"])).stdout) as { images: Array<{ id: string }> };
    assert.deepEqual(json.images.map((i) => i.id).sort(), [aciId, uploadedId].sort());
    const table = (await jetpack(["image", "list"])).stdout.split("\n");
    assert.match(table[1]!, new RegExp(`^${aciId.slice(0, 19)}  example\\.com/smoke:1\\.0,arch=amd64,os=linux  64\\.0 KiB  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`));
    assert.equal((await jetpack(["image", "list", "-ql"])).stdout, `${aciId}\n${uploadedId}\n`);
  });

  it("exports an image by ID prefix to a file, whole", async () => {
    const out = join(dir, "exported.aci");
    const run = await jetpack(["image", "export", aciId.slice(0, 20), out]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${aciId}\n`);
    assert.deepEqual(await readFile(out), aci);
  });

  it("says no image matches an unknown ID, with a hint, and exits 3", async () => {
    const run = await jetpack(["image", "show", "sha512-ffffffffffff"]);
    assert.equal(run.code, 3);
    assert.equal(run.stdout, "");
    assert.equal(run.stderr, "jetpack: no image matches sha512-ffffffffffff\nhint: see `jetpack image list` for the images in the store\n");
    const json = await jetpack(["image", "show", "sha512-ffffffffffff", "--json"]);
    assert.equal(json.code, 3);
    assert.equal(JSON.parse(json.stderr).error.code, "JP_ERR_IMAGE_NOT_FOUND");
  });

  it("destroys an image and prints its ID", async () => {
    const run = await jetpack(["image", "destroy", uploadedId.slice(0, 20)]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${uploadedId}\n`);
    assert.equal((await jetpack(["image", "list", "-ql"])).stdout, `${aciId}\n`);
  });

  it("shows the audit trail as a timeline and as JSON lines, one per record", async () => {
    const json = await jetpack(["history", "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const records = json.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { seq: number; type: string });
    assert.deepEqual(records.map((r) => r.seq), records.map((_, i) => i + 1));
    assert.equal(records.length, log.lastSeq);
    assert.deepEqual(records.filter((r) => r.type === "image.imported").length, 2);
    const timeline = (await jetpack(["history"])).stdout.trimEnd().split("\n");
    assert.equal(timeline.length, records.length);
    assert.match(timeline.find((l) => l.includes("image.imported"))!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  system\s+image\.imported\s+image\/[0-9a-f]{8}\s+sha512-[0-9a-f]{12}  example\.com\/smoke:1\.0/);
  });

  it("verifies an intact hash chain", async () => {
    const run = await jetpack(["history", "--verify"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `log verified: ${log.lastSeq} records, chain intact\n`);
  });

  it("says it cannot connect, and how to start a daemon, when none listens at the root (exit 7)", async () => {
    const empty = join(dir, "no-daemon");
    const run = await jetpack(["op", "list"], { root: empty });
    assert.equal(run.code, 7);
    assert.match(run.stderr, new RegExp(`^jetpack: cannot connect to the daemon at ${empty}/jetpack\\.sock: no daemon is listening\\nhint: .*\`jetpack daemon --root ${empty}\``));
  });

  // Last: it breaks the log.
  it("names the first bad record of a log changed behind its back, and exits 5", async () => {
    const lines = (await readFile(log.path, "utf8")).split("\n");
    lines[1] = lines[1]!.replace(/"actor":"[^"]*"/, '"actor":"mallory"');
    await writeFile(log.path, lines.join("\n"));
    const run = await jetpack(["history", "--verify"]);
    assert.equal(run.code, 5);
    assert.match(run.stderr, /^jetpack: log broken at line 2 \(seq 2\): hash does not match content; 1 records before it are intact\nhint: /);
  });
});
