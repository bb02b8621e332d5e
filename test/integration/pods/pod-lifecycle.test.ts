// Pods as a user runs them: a real daemon on a zfs-fuse pool, a busybox image, and the pod commands of
// the CLI: run, create, start, logs, exec, stop, destroy, and a daemon killed while a pod runs.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { randomBytes } from "node:crypto";
import { listPodNetworks } from "../../../workers/host/network/index.js";
import { CLI, sleep, type TestDaemon } from "../../support/daemon.js";
import { startPodHost, type PodHost } from "../../support/pod-host.js";
import type { TestPool } from "../../support/zfs-pool.js";

let host: PodHost;
let pool: TestPool;
let daemon: TestDaemon;
let work: string;
let net: string;
let bridge: string;

before(async () => {
  host = await startPodHost({ secondOctet: 253 });
  ({ pool, daemon, work, net, bridge } = host);
});

after(() => host.teardown());

/** A pod manifest with apps running shell commands in the busybox image. */
function podFile(name: string, apps: Array<{ name: string; sh: string; user?: string; group?: string; mounts?: Array<{ volume: string; path: string }> }>, volumes: unknown[] = []): string {
  const manifest = {
    acVersion: "0.8.11",
    acKind: "PodManifest",
    apps: apps.map((a) => ({
      name: a.name,
      image: { name: "example.com/busybox", labels: [{ name: "version", value: "1.0.0" }] },
      app: { exec: ["/bin/sh", "-c", a.sh], user: a.user ?? "0", group: a.group ?? "0" },
      mounts: a.mounts ?? [],
    })),
    volumes,
  };
  const path = `${work}/${name}.json`;
  writeFileSync(path, JSON.stringify(manifest));
  return path;
}

async function podJson(ref: string): Promise<any> {
  const r = await daemon.run(["pod", "show", ref, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

async function waitState(ref: string, state: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pod = await podJson(ref);
    if (pod.state === state) return pod;
    if (Date.now() > deadline) throw new Error(`pod ${ref} is ${pod.state}, not ${state}, after ${timeoutMs} ms`);
    await sleep(200);
  }
}

describe("pods", () => {
  it("jetpack run --rm prints the app's output and exits with its exit code, leaving no pod", async () => {
    const file = podFile("exit3", [{ name: "main", sh: "echo out-line; echo err-line >&2; exit 3" }]);
    const r = await daemon.run(["run", "-f", file, "--rm"]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /out-line/);
    assert.match(r.stdout, /err-line/);
    const list = JSON.parse((await daemon.run(["pod", "list", "--json"])).stdout);
    assert.equal(list.length, 0);
  });

  it("Ctrl-C on jetpack run --rm stops the pod (SIGTERM reaches the app), exits 130 and leaves no pod", async () => {
    const file = podFile("forever", [{ name: "main", sh: "trap 'echo got-term; exit 0' TERM; echo up; while true; do sleep 0.1; done" }]);
    const child = spawn(process.execPath, [...CLI, "--root", daemon.root, "run", "-f", file, "--rm"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const deadline = Date.now() + 30_000;
    while (!out.includes("up")) {
      assert.ok(Date.now() < deadline, `the pod never said up:\n${out}`);
      await sleep(100);
    }
    child.kill("SIGINT");
    assert.equal(await exited, 130, out);
    assert.match(out, /got-term/);
    assert.equal(JSON.parse((await daemon.run(["pod", "list", "--json"])).stdout).length, 0);
  });

  it("two apps share an empty volume and each app's lines come prefixed by its name", async () => {
    const file = podFile(
      "share",
      [
        { name: "writer", sh: "echo shared-data > /vol/file; sleep 0.5", mounts: [{ volume: "data", path: "/vol" }] },
        { name: "reader", sh: "sleep 1.5; cat /vol/file", mounts: [{ volume: "data", path: "/vol" }] },
      ],
      [{ name: "data", kind: "empty" }],
    );
    const r = await daemon.run(["run", "-f", file, "--rm"]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^reader \| shared-data$/m);
  });

  it("create, start, exec, logs, stop and destroy a named pod; exec passes the exit code and the app's environment", async () => {
    const file = podFile("svc", [{ name: "svc", sh: "echo started; trap 'echo got-term; exit 0' TERM; while true; do sleep 0.1; done" }]);
    const created = await daemon.run(["pod", "create", "-f", file, "--name", "svc"]);
    assert.equal(created.code, 0, created.stderr);
    const uuid = created.stdout.trim();
    assert.match(uuid, /^[0-9a-f-]{36}$/);
    assert.equal((await podJson("svc")).state, "prepared");
    assert.ok(execFileSync("zfs", ["list", "-H", "-o", "name", "-t", "all", "-r", `${pool.pool}/jetpack/pods/${uuid}`], { encoding: "utf8" }).includes(`rootfs.0@parent`));

    const started = await daemon.run(["pod", "start", "svc"]);
    assert.equal(started.code, 0, started.stderr);
    const pod = await podJson("svc");
    assert.equal(pod.state, "running");
    assert.ok(pod.ip.startsWith(`${net}.`));
    // The host reaches the pod's address.
    execFileSync("busybox", ["ping", "-c", "1", "-W", "2", pod.ip]);

    const env = await daemon.run(["pod", "exec", "svc", "--", "/bin/sh", "-c", "echo $AC_APP_NAME $container; hostname; exit 7"]);
    assert.equal(env.code, 7, env.stderr);
    assert.match(env.stdout, /^svc jetpack$/m);
    assert.match(env.stdout, new RegExp(`^${uuid}$`, "m"));

    // A device node in the app's rootfs (made by the app here, or shipped in an image) opens nothing.
    const dev = await daemon.run(["pod", "exec", "svc", "--", "/bin/sh", "-c", "busybox mknod /tmp/zero2 c 1 5 && busybox head -c 1 /tmp/zero2 && echo opened"]);
    assert.notEqual(dev.code, 0);
    assert.doesNotMatch(dev.stdout, /opened/);
    assert.match(dev.stderr + dev.stdout, /Permission denied/);

    // A console is a shell on a terminal (script(1) gives the CLI one), as root in the app's rootfs.
    const jetpack = [process.execPath, ...CLI, "--root", daemon.root].join(" ");
    const consoleRun = spawnSync("script", ["-qec", `${jetpack} pod console svc`, "/dev/null"], { input: "echo in-console-$((40+2)) $(id -u)\nexit 4\n", encoding: "utf8", timeout: 30_000 });
    assert.equal(consoleRun.status, 4, consoleRun.stdout + consoleRun.stderr);
    assert.match(consoleRun.stdout, /in-console-42 0/);

    const stopped = await daemon.run(["pod", "stop", "svc", "--timeout", "5s"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    const after = await podJson("svc");
    assert.equal(after.state, "exited");
    assert.equal(after.apps[0].exitCode, 0);
    const logs = await daemon.run(["pod", "logs", "svc"]);
    assert.match(logs.stdout, /started\n[\s\S]*got-term/);
    assert.ok(!(await listPodNetworks()).some((n) => n === `jetpack-${uuid.replaceAll("-", "").slice(0, 12)}`), "a stopped pod holds no network namespace");

    // An exited pod starts again from the same rootfs.
    assert.equal((await daemon.run(["pod", "start", "svc"])).code, 0);
    assert.equal((await podJson("svc")).state, "running");
    const destroyed = await daemon.run(["pod", "destroy", "svc"]);
    assert.equal(destroyed.code, 0, destroyed.stderr);
    assert.equal(existsSync(`${daemon.root}/pods/${uuid}`), false);
    const left = execFileSync("zfs", ["list", "-H", "-o", "name", "-r", `${pool.pool}/jetpack/pods`], { encoding: "utf8" }).trim().split("\n");
    assert.deepEqual(left, [`${pool.pool}/jetpack/pods`]);
    const history = await daemon.run(["history", "--stream", `pod/${uuid}`]);
    assert.match(history.stdout, /pod\.start\.requested/);
    assert.match(history.stdout, /pod\.destroyed/);
  });

  it("a missing working directory fails the start with that reason, and the pod can be destroyed", async () => {
    const path = `${work}/nowd.json`;
    const manifest = JSON.parse(readFileSync(podFile("nowd0", [{ name: "main", sh: "true" }]), "utf8"));
    manifest.apps[0].app.workingDirectory = "/no/such/dir";
    writeFileSync(path, JSON.stringify(manifest));
    const created = await daemon.run(["pod", "create", "-f", path, "--name", "nowd"]);
    assert.equal(created.code, 0, created.stderr);
    const r = await daemon.run(["pod", "start", "nowd"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\/no\/such\/dir/);
    assert.equal((await podJson("nowd")).state, "prepared");
    assert.equal((await daemon.run(["pod", "destroy", "nowd"])).code, 0);
  });

  it("a pod keeps running while the daemon is killed, still reaches its metadata after the restart, and its exit code is recorded", async () => {
    const file = podFile("long", [{ name: "long", sh: "while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 5" }]);
    const created = await daemon.run(["pod", "create", "-f", file, "--name", "long"]);
    assert.equal(created.code, 0, created.stderr);
    const uuid = created.stdout.trim();
    assert.equal((await daemon.run(["pod", "start", "long"])).code, 0);
    await daemon.crash();
    await daemon.restart();
    // Its token and key survived the crash: the metadata service still knows the pod.
    const who = await daemon.run(["pod", "exec", "long", "--", "/bin/sh", "-c", 'wget -q -O - --header "Metadata-Flavor: AppContainer" "$AC_METADATA_URL/acMetadata/v1/pod/uuid"']);
    assert.equal(who.code, 0, who.stderr);
    assert.equal(who.stdout, uuid);
    await daemon.crash();
    // The app lives on without the daemon; let it end while nobody watches.
    writeFileSync(`${daemon.root}/pods/${uuid}/rootfs/0/tmp/go`, "");
    await sleep(1000);
    await daemon.restart();
    const pod = await waitState("long", "exited");
    assert.equal(pod.apps[0].exitCode, 5);
    assert.equal((await daemon.run(["pod", "destroy", "long"])).code, 0);
  });

  it("a daemon killed during a create finishes the pod after its restart, with one clone, and destroy leaves nothing", async () => {
    const file = podFile("crashcreate", [{ name: "a", sh: "true" }, { name: "b", sh: "true" }]);
    const manifest = JSON.parse(readFileSync(file, "utf8"));
    const r = await daemon.request("POST", "/v1/pods", { template: { manifest, apps: [] }, name: "crashed" });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    const uuid = r.json.pod as string;
    await sleep(300);
    await daemon.crash();
    await daemon.restart();
    const pod = await waitState("crashed", "prepared", 60_000);
    assert.equal(pod.uuid, uuid);
    const datasets = execFileSync("zfs", ["list", "-H", "-o", "name", "-t", "all", "-r", `${pool.pool}/jetpack/pods/${uuid}`], { encoding: "utf8" }).trim().split("\n");
    assert.deepEqual(datasets.sort(), [
      `${pool.pool}/jetpack/pods/${uuid}`,
      `${pool.pool}/jetpack/pods/${uuid}/rootfs.0`,
      `${pool.pool}/jetpack/pods/${uuid}/rootfs.0@parent`,
      `${pool.pool}/jetpack/pods/${uuid}/rootfs.1`,
      `${pool.pool}/jetpack/pods/${uuid}/rootfs.1@parent`,
    ]);
    assert.equal((await daemon.run(["pod", "destroy", "crashed"])).code, 0);
    const left = execFileSync("zfs", ["list", "-H", "-o", "name", "-r", `${pool.pool}/jetpack/pods`], { encoding: "utf8" }).trim().split("\n");
    assert.deepEqual(left, [`${pool.pool}/jetpack/pods`]);
    assert.equal(existsSync(`${daemon.root}/pods/${uuid}`), false);
    assert.ok(!(await listPodNetworks()).some((n) => n.startsWith(`jetpack-${uuid.replaceAll("-", "").slice(0, 12)}`)));
  });

  it("skips an address that already answers, and the audit trail says so", async () => {
    // Something on the host already holds the address the next pod would get.
    const list = JSON.parse((await daemon.run(["pod", "list", "--json"])).stdout) as Array<{ ip: string }>;
    const taken = new Set(list.map((p) => p.ip));
    let n = 2;
    while (taken.has(`${net}.${n}`)) n++;
    // Another host on the pod network (a namespace on the bridge) holds the address the next pod would get.
    const squatter = `jpq${randomBytes(3).toString("hex")}`;
    execFileSync("ip", ["netns", "add", squatter]);
    try {
      execFileSync("ip", ["link", "add", `${squatter}h`, "type", "veth", "peer", "name", "eth0", "netns", squatter]);
      execFileSync("ip", ["link", "set", `${squatter}h`, "master", bridge, "up"]);
      execFileSync("ip", ["-n", squatter, "addr", "add", `${net}.${n}/24`, "dev", "eth0"]);
      execFileSync("ip", ["-n", squatter, "link", "set", "eth0", "up"]);
      const created = await daemon.run(["pod", "create", "-f", podFile("skip", [{ name: "main", sh: "true" }]), "--name", "skip"]);
      assert.equal(created.code, 0, created.stderr);
      const pod = await podJson("skip");
      assert.notEqual(pod.ip, `${net}.${n}`);
      const history = await daemon.run(["history", "--stream", `pod/${pod.uuid}`]);
      assert.match(history.stdout, new RegExp(`pod\\.address\\.changed.*address ${net.replaceAll(".", "\\.")}\\.${n} answered; now ${pod.ip.replaceAll(".", "\\.")}`));
      assert.equal((await daemon.run(["pod", "destroy", "skip"])).code, 0);
    } finally {
      execFileSync("ip", ["link", "del", `${squatter}h`]);
      execFileSync("ip", ["netns", "del", squatter]);
    }
  });

  it("reports the isolators it does not enforce, and refuses an unknown one naming it", async () => {
    const file = podFile("iso", [{ name: "main", sh: "true" }]);
    const manifest = JSON.parse(readFileSync(file, "utf8"));
    manifest.apps[0].app.isolators = [
      { name: "resource/memory", value: { limit: "64Mi" } },
      { name: "os/linux/no-new-privileges", value: true },
    ];
    writeFileSync(file, JSON.stringify(manifest));
    const r = await daemon.run(["run", "-f", file, "--name", "iso"]);
    assert.equal(r.code, 0, r.stderr);
    const pod = await podJson("iso");
    assert.deepEqual(pod.isolatorsIgnored.map((i: { name: string }) => i.name), ["os/linux/no-new-privileges"]);
    const shown = await daemon.run(["pod", "show", "iso"]);
    assert.match(shown.stdout, /not enforced:\s+app main: os\/linux\/no-new-privileges/);
    assert.equal((await daemon.run(["pod", "destroy", "iso"])).code, 0);
    manifest.apps[0].app.isolators = [{ name: "example.com/unknown", value: {} }];
    writeFileSync(file, JSON.stringify(manifest));
    const bad = await daemon.run(["pod", "create", "-f", file]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /example\.com\/unknown/);
  });
});
