// The per-pod supervisor through its client, on the real kernel: start order, exit codes, stop with
// SIGTERM then SIGKILL, start failures that leave nothing behind, a supervisor that outlives the process
// that launched it, status, watch, exec and cgroups.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JetpackError } from "../../../machines/errors.js";
import type { PodRunSpec } from "../../../machines/pod/run-spec.js";
import { execArgv, killPod, launchPod, podStatus, stopPod, watchPod, type PodStatus } from "../../../workers/pods/supervisor/client.js";
import { repoPath } from "../../support/repo.js";
import { busyboxPodSpec, type TestAppInput } from "../../support/busybox-rootfs.js";

const base = mkdtempSync(join(tmpdir(), "jetpack-supervisor-"));
const pods: string[] = [];
const cgroups: string[] = [];

function pod(name: string, apps: TestAppInput[]): PodRunSpec {
  const podDir = join(base, name);
  pods.push(podDir);
  return busyboxPodSpec({ podDir, uuid: `00000000-0000-4000-8000-${String(pods.length).padStart(12, "0")}`, hostname: name, emptyVolumes: ["shared"], apps });
}

function alive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function pidNs(pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/pid`);
}

function processesIn(ns: string): string[] {
  return readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readlinkSync(`/proc/${p}/ns/pid`) === ns;
    } catch {
      return false;
    }
  });
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const shared = (spec: PodRunSpec, file: string) => join(spec.volumes[0]!.source, file);
const app = (s: PodStatus, name: string) => s.apps.find((a) => a.name === name)!;

before(() => {
  execFileSync("bash", [repoPath("ops/build-stage2.sh")]);
});

after(async () => {
  for (const dir of pods) await killPod(dir).catch(() => {});
  for (const cg of cgroups) if (existsSync(cg)) rmdirSync(cg);
  rmSync(base, { recursive: true, force: true });
});

describe("the pod supervisor", () => {
  it("runs every pre-start handler, then the apps, then the post-stop handlers, and records the exit codes", async () => {
    const log = "/shared/order";
    const spec = pod("order", [
      {
        name: "alpha",
        user: "app",
        group: "app",
        exec: ["/bin/sh", "-c", `echo alpha-main >> ${log}; exit 3`],
        mounts: [{ volume: "shared", target: "/shared" }],
        eventHandlers: [
          { name: "pre-start", exec: ["/bin/sh", "-c", `echo "alpha-pre $(id -u) $AC_APP_NAME $container" >> ${log}; chmod 0666 ${log}`] },
          { name: "post-stop", exec: ["/bin/sh", "-c", `echo alpha-post >> ${log}`] },
        ],
      },
      {
        name: "beta",
        exec: ["/bin/sh", "-c", `sleep 0.3; echo beta-main >> ${log}`],
        mounts: [{ volume: "shared", target: "/shared" }],
        eventHandlers: [
          { name: "pre-start", exec: ["/bin/sh", "-c", `echo beta-pre >> ${log}`] },
          { name: "post-stop", exec: ["/bin/sh", "-c", `echo beta-post >> ${log}`] },
        ],
      },
    ]);
    const started = await launchPod({ spec, netns: null });
    assert.ok(["running", "exited"].includes(started.state));
    const final = await until("the pod to exit", async () => {
      const s = await podStatus(spec.paths.dir);
      return s?.state === "exited" && s.supervisor === "gone" ? s : undefined;
    });
    assert.deepEqual(readFileSync(shared(spec, "order"), "utf8").trim().split("\n"), ["alpha-pre 0 alpha jetpack", "beta-pre", "alpha-main", "beta-main", "alpha-post", "beta-post"]);
    assert.equal(app(final, "alpha").exitCode, 3);
    assert.equal(app(final, "beta").exitCode, 0);
    assert.equal(app(final, "alpha").state, "exited");
    assert.ok(app(final, "alpha").startedAt !== null && app(final, "alpha").exitedAt !== null);
    // The record stays on disk for a daemon that was down when the apps exited.
    const recorded = JSON.parse(readFileSync(join(spec.paths.dir, "status.json"), "utf8")) as PodStatus;
    assert.equal(recorded.state, "exited");
    assert.equal(app(recorded, "alpha").exitCode, 3);
    assert.equal(alive(final.initPid), false);
    // It removes its socket, then exits (its parent, this process, reaps it a moment later).
    await until("the supervisor to exit", () => (alive(final.supervisorPid) ? undefined : true), 5_000);
    assert.equal(existsSync(join(spec.paths.dir, "supervisor.sock")), false);
    assert.deepEqual(await stopPod(spec.paths.dir, { timeoutMs: 100 }), final);
  });

  it("fails the start when an app's working directory is missing, saying so, and leaves nothing running", async () => {
    const spec = pod("nocwd", [
      { name: "fine", exec: ["/bin/sleep", "1000"] },
      { name: "lost", exec: ["/bin/true"], workingDirectory: "/does/not/exist" },
    ]);
    await assert.rejects(launchPod({ spec, netns: null }), (e: unknown) => {
      assert.ok(e instanceof JetpackError);
      assert.equal(e.code, "JP_ERR_POD_APP_START_FAILED");
      assert.equal(e.message, `app "lost" failed to start: working directory /does/not/exist does not exist in the app's root filesystem`);
      return true;
    });
    const s = await podStatus(spec.paths.dir);
    assert.equal(s?.state, "failed");
    assert.equal(s?.supervisor, "gone");
    assert.equal(alive(s!.initPid), false);
    assert.equal(alive(s!.supervisorPid), false);
    assert.equal(app(s!, "lost").reason, "working directory /does/not/exist does not exist in the app's root filesystem");
    assert.equal(app(s!, "fine").state, "exited");
  });

  it("fails the start when a pre-start handler fails, naming the app and the handler", async () => {
    const spec = pod("badhandler", [{ name: "web", exec: ["/bin/sleep", "1000"], eventHandlers: [{ name: "pre-start", exec: ["/bin/sh", "-c", "exit 9"] }] }]);
    await assert.rejects(launchPod({ spec, netns: null }), (e: unknown) => e instanceof JetpackError && e.code === "JP_ERR_POD_APP_HANDLER_FAILED" && /app "web": its pre-start handler "\/bin\/sh -c exit 9" failed: exit 9/.test(e.message));
    const s = await podStatus(spec.paths.dir);
    assert.equal(app(s!, "web").state, "waiting");
    assert.equal(alive(s!.initPid), false);
  });

  it("refuses an unknown user before anything starts, naming the app and the user", async () => {
    const spec = pod("nouser", [{ name: "web", exec: ["/bin/true"], user: "ghost" }]);
    await assert.rejects(launchPod({ spec, netns: null }), (e: unknown) => e instanceof JetpackError && e.code === "JP_ERR_POD_APP_USER" && /app "web": user "ghost"/.test(e.message));
    assert.equal((await podStatus(spec.paths.dir))?.initPid, null);
  });

  it("stops with SIGTERM, and SIGKILLs what is still running after the grace period", async () => {
    const spec = pod("stop", [
      { name: "polite", exec: ["/bin/sh", "-c", "trap 'echo got-term > /shared/polite; exit 0' TERM; while true; do sleep 0.1; done"], mounts: [{ volume: "shared", target: "/shared" }] },
      { name: "stubborn", exec: ["/bin/sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"] },
    ]);
    const started = await launchPod({ spec, netns: null });
    assert.equal(started.state, "running");
    assert.deepEqual(started.apps.map((a) => a.state), ["running", "running"]);
    const ns = pidNs(started.initPid!);
    const t0 = Date.now();
    const final = await stopPod(spec.paths.dir, { timeoutMs: 1500 });
    assert.ok(Date.now() - t0 >= 1500);
    assert.equal(final.state, "exited");
    assert.equal(readFileSync(shared(spec, "polite"), "utf8"), "got-term\n");
    assert.deepEqual([app(final, "polite").exitCode, app(final, "polite").signal], [0, null]);
    assert.equal(app(final, "stubborn").signal, "SIGKILL");
    assert.match(app(final, "stubborn").reason ?? "", /killed/);
    assert.deepEqual(processesIn(ns), []);
    assert.equal(readFileSync("/proc/self/mountinfo", "utf8").includes(spec.paths.dir), false);
    assert.equal((await stopPod(spec.paths.dir, { timeoutMs: 100 })).state, "exited");
    await killPod(spec.paths.dir);
    await killPod(spec.paths.dir);
  });

  it("keeps the pod running after the process that launched it is gone, and streams its changes", async () => {
    const spec = pod("detached", [{ name: "web", exec: ["/bin/sleep", "1000"] }]);
    const specFile = join(base, "detached-spec.json");
    writeFileSync(specFile, JSON.stringify(spec));
    const launcher = join(base, "launcher.mjs");
    writeFileSync(launcher, `const { launchPod } = await import(process.argv[2]);\nconst spec = JSON.parse((await import("node:fs")).readFileSync(process.argv[3], "utf8"));\nconst s = await launchPod({ spec, netns: null });\nconsole.log(s.state);\n`);
    const client = new URL("../../../workers/pods/supervisor/client.js", import.meta.url).href;
    const r = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), launcher, client, specFile], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.stdout.trim(), "running", r.stderr);
    const live = await podStatus(spec.paths.dir);
    assert.equal(live?.supervisor, "live");
    assert.equal(live?.state, "running");
    assert.equal(alive(live!.supervisorPid), true);
    assert.equal(app(live!, "web").state, "running");

    const seen: PodStatus[] = [];
    const watch = watchPod(spec.paths.dir, (s) => seen.push(s));
    await until("the first watched status", () => (seen.length > 0 ? true : undefined));
    await stopPod(spec.paths.dir, { timeoutMs: 2000 });
    await until("the watch to see the end", () => (seen.some((s) => s.state === "exited") ? true : undefined));
    watch.close();
    assert.equal(seen[0]!.state, "running");
    assert.ok(seen.some((s) => s.state === "stopping"));
    assert.equal(app(seen.at(-1)!, "web").signal, "SIGTERM");
  });

  it("kills a live pod for recovery: its supervisor, init and every app, and is harmless twice", async () => {
    const spec = pod("kill", [{ name: "web", exec: ["/bin/sleep", "1000"] }]);
    const started = await launchPod({ spec, netns: null });
    const ns = pidNs(started.initPid!);
    await killPod(spec.paths.dir);
    assert.equal(alive(started.supervisorPid), false);
    assert.equal(alive(started.initPid), false);
    assert.deepEqual(processesIn(ns), []);
    assert.equal(existsSync(join(spec.paths.dir, "supervisor.sock")), false);
    assert.equal((await podStatus(spec.paths.dir))?.supervisor, "gone");
    await killPod(spec.paths.dir);
  });

  it("gives the command line that runs a command in an app as its user, in its working directory, passing the exit code through", async () => {
    const spec = pod("exec", [{ name: "web", exec: ["/bin/sleep", "1000"], user: "app", group: "app", supplementaryGids: [2000], workingDirectory: "/tmp", environment: [{ name: "MODE", value: "prod" }] }]);
    await launchPod({ spec, netns: null });
    const c = execArgv(spec.paths.dir, spec, "web", ["/bin/sh", "-c", "id; pwd; echo $MODE $AC_APP_NAME; exit 7"]);
    const r = spawnSync(c.cmd, c.args, { env: c.env, encoding: "utf8" });
    assert.equal(r.status, 7);
    assert.equal(r.stdout, "uid=1000(app) gid=1000(app) groups=2000(extra)\n/tmp\nprod web\n");
    assert.throws(() => execArgv(spec.paths.dir, spec, "nope", ["/bin/true"]), (e: unknown) => e instanceof JetpackError && e.code === "JP_ERR_POD_APP_NOT_FOUND");
    await stopPod(spec.paths.dir, { timeoutMs: 1000 });
    assert.throws(() => execArgv(spec.paths.dir, spec, "web", ["/bin/true"]), (e: unknown) => e instanceof JetpackError && e.code === "JP_ERR_POD_NOT_RUNNING");
  });

  it("puts each app in its cgroups before it runs its first instruction", async () => {
    const v1 = "/sys/fs/cgroup/pids";
    const parent = existsSync(v1) ? v1 : "/sys/fs/cgroup";
    const cg = join(parent, `jetpack-test-${process.pid}`);
    mkdirSync(cg);
    cgroups.push(cg);
    const spec = pod("cgroups", [{ name: "web", exec: ["/bin/sh", "-c", "cat /proc/self/cgroup > /shared/cgroup; exec sleep 1000"], mounts: [{ volume: "shared", target: "/shared" }] }]);
    await launchPod({ spec, netns: null, cgroupProcs: { web: [join(cg, "cgroup.procs")] } });
    const text = await until("the app's cgroup file", () => (existsSync(shared(spec, "cgroup")) && readFileSync(shared(spec, "cgroup"), "utf8") !== "" ? readFileSync(shared(spec, "cgroup"), "utf8") : undefined));
    assert.match(text, new RegExp(`:/jetpack-test-${process.pid}\\n`));
    assert.ok(readFileSync(join(cg, "cgroup.procs"), "utf8").trim() !== "");
    await stopPod(spec.paths.dir, { timeoutMs: 1000 });
    assert.equal(readFileSync(join(cg, "cgroup.procs"), "utf8").trim(), "");
  });
});
