// Real cgroups (v1 on this host, v2 where the host is unified): a memory limit that the OOM killer
// enforces, a cpu quota written where the kernel reads it, and removal that leaves nothing behind.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createReadStream, existsSync, readFileSync, rmdirSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { JetpackError } from "../../../machines/errors.js";
import { createPodCgroups, detectCgroups, planPodCgroups, podCgroupDirs, removePodCgroups } from "../../../workers/host/cgroups/index.js";

const uuids: string[] = [];
const children = new Set<ChildProcess>();
/** The shared `jetpack` groups this run made (a running daemon's are left alone). */
const host0 = await detectCgroups();
const parentsMadeHere = [...new Set([host0.paths.memory, host0.paths.cpu])]
  .filter((p): p is string => p !== null)
  .map((p) => `${p}/jetpack`)
  .filter((dir) => !existsSync(dir));

after(async () => {
  for (const child of children) child.kill("SIGKILL");
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const uuid of uuids) await removePodCgroups(uuid).catch(() => {});
  for (const dir of parentsMadeHere) {
    try {
      rmdirSync(dir);
    } catch {
      // still holds another pod's group: not ours to remove
    }
  }
});

/**
 * Starts a shell that joins the app's cgroups, then becomes `tail -c <bytes>`, which holds everything it
 * reads from a pipe until EOF; the test feeds it `bytes` zeros. Resolves with how the process ended.
 */
function runHolding(procs: readonly string[], bytes: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const script = 'for f in "$@"; do echo $$ > "$f" || exit 99; done; exec tail -c ' + String(bytes) + " > /dev/null";
  const child = spawn("sh", ["-c", script, "sh", ...procs], { stdio: ["pipe", "ignore", "inherit"] });
  children.add(child);
  const zeros = createReadStream("/dev/zero", { start: 0, end: bytes - 1 });
  zeros.pipe(child.stdin!);
  child.stdin!.on("error", () => {}); // the OOM killer closes the pipe under us
  const killer = setTimeout(() => child.kill("SIGTERM"), 60_000);
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      clearTimeout(killer);
      zeros.destroy();
      children.delete(child);
      resolve({ code, signal });
    });
  });
}

describe("pod cgroups on this host", () => {
  it("kills an app that outgrows its pod's 32Mi memory limit, lets one under it finish, and writes the cpu quota", async (t) => {
    const host = await detectCgroups();
    assert.ok(host.controllers.memory && host.controllers.cpu, `this test needs memory and cpu controllers, found ${JSON.stringify(host)}`);
    const uuid = randomUUID();
    uuids.push(uuid);
    const plan = planPodCgroups(host, {
      uuid,
      isolators: [{ name: "resource/memory", value: { limit: "32Mi" } }],
      apps: [
        { name: "hog", isolators: [{ name: "resource/cpu", value: { limit: "500m" } }] },
        { name: "small", isolators: [] },
      ],
    });
    const procs = await createPodCgroups(uuid, plan);
    const memPod = `${host.paths.memory}/jetpack/${uuid}`;
    const cpuHog = `${host.paths.cpu}/jetpack/${uuid}/hog`;
    if (host.version === 1) {
      assert.equal(readFileSync(`${memPod}/memory.limit_in_bytes`, "utf8").trim(), String(32 * 2 ** 20));
      assert.equal(readFileSync(`${cpuHog}/cpu.cfs_quota_us`, "utf8").trim(), "50000");
      assert.equal(readFileSync(`${cpuHog}/cpu.cfs_period_us`, "utf8").trim(), "100000");
    } else {
      assert.equal(readFileSync(`${memPod}/memory.max`, "utf8").trim(), String(32 * 2 ** 20));
      assert.equal(readFileSync(`${cpuHog}/cpu.max`, "utf8").trim(), "50000 100000");
    }
    t.diagnostic(`cgroup v${host.version}: ${plan.dirs.length} directories`);

    const small = await runHolding(procs.small ?? [], 8_000_000);
    assert.deepEqual(small, { code: 0, signal: null }, "8 MB fits in 32Mi");
    const hog = await runHolding(procs.hog ?? [], 100_000_000);
    assert.deepEqual(hog, { code: null, signal: "SIGKILL" }, "100 MB does not");
    // The victim's own group counts the kill (v1 counts it only there, v2 there and in every ancestor).
    const events = readFileSync(`${memPod}/hog/${host.version === 1 ? "memory.oom_control" : "memory.events"}`, "utf8");
    assert.match(events, /oom_kill [1-9]/, "the kernel's OOM killer did it");

    await removePodCgroups(uuid);
    for (const dir of podCgroupDirs(host, uuid)) assert.equal(existsSync(dir), false, `${dir} is gone`);
    await removePodCgroups(uuid);
  });

  it("refuses to remove a group that still has a process, naming it, and removes it once the process is gone", async () => {
    const host = await detectCgroups();
    const uuid = randomUUID();
    uuids.push(uuid);
    const plan = planPodCgroups(host, { uuid, isolators: [], apps: [{ name: "sleeper", isolators: [] }] });
    const procs = await createPodCgroups(uuid, plan);
    const child = spawn("sh", ["-c", 'for f in "$@"; do echo $$ > "$f"; done; exec sleep 60', "sh", ...(procs.sleeper ?? [])], { stdio: "ignore" });
    children.add(child);
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await assert.rejects(removePodCgroups(uuid), (err: unknown) => {
      return err instanceof JetpackError && err.code === "JP_ERR_CGROUP_BUSY" && err.kind === "conflict" && err.message.includes(String(child.pid)) && err.message.includes("sleeper");
    });
    child.kill("SIGKILL");
    await exited;
    children.delete(child);
    await removePodCgroups(uuid);
    for (const dir of podCgroupDirs(host, uuid)) assert.equal(existsSync(dir), false);
  });
});
