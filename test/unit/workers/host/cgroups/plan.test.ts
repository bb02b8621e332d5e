import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { JetpackError } from "../../../../../machines/errors.js";
import type { CgroupHost } from "../../../../../workers/host/cgroups/detect.js";
import { cpuQuotaUs, cpuShares, cpuWeight, planPodCgroups, podCgroupDirs } from "../../../../../workers/host/cgroups/plan.js";

const UUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
const V1: CgroupHost = { version: 1, controllers: { memory: true, cpu: true }, paths: { memory: "/sys/fs/cgroup/memory", cpu: "/sys/fs/cgroup/cpu" } };
const V2: CgroupHost = { version: 2, controllers: { memory: true, cpu: true }, paths: { memory: "/sys/fs/cgroup", cpu: "/sys/fs/cgroup" } };
const NONE: CgroupHost = { version: null, controllers: { memory: false, cpu: false }, paths: { memory: null, cpu: null } };

const mem = (limit: string, request?: string) => ({ name: "resource/memory", value: request === undefined ? { limit } : { limit, request } });
const cpu = (limit: string) => ({ name: "resource/cpu", value: { limit } });

describe("cgroup planner on cgroup v1", () => {
  const plan = planPodCgroups(V1, { uuid: UUID, isolators: [mem("1G")], apps: [{ name: "web", isolators: [cpu("500m")] }, { name: "db", isolators: [] }] });
  const M = `/sys/fs/cgroup/memory/jetpack/${UUID}`;
  const C = `/sys/fs/cgroup/cpu/jetpack/${UUID}`;

  it("makes a pod group and one group per app in both the memory and cpu hierarchies, parents first", () => {
    assert.deepEqual(plan.dirs, ["/sys/fs/cgroup/memory/jetpack", M, `${M}/web`, `${M}/db`, "/sys/fs/cgroup/cpu/jetpack", C, `${C}/web`, `${C}/db`]);
  });

  it("puts the pod's memory limit on the pod group and the app's cpu limit on the app group", () => {
    assert.deepEqual(plan.writes, [
      { path: `${M}/memory.limit_in_bytes`, value: "1000000000" },
      { path: `${C}/web/cpu.cfs_period_us`, value: "100000" },
      { path: `${C}/web/cpu.cfs_quota_us`, value: "50000" },
    ]);
  });

  it("tells each app the cgroup.procs files of every hierarchy to join", () => {
    assert.deepEqual(plan.procs, { web: [`${M}/web/cgroup.procs`, `${C}/web/cgroup.procs`], db: [`${M}/db/cgroup.procs`, `${C}/db/cgroup.procs`] });
    assert.deepEqual(plan.unenforced, []);
  });

  it("sets the soft limit and cpu shares for requests", () => {
    const p = planPodCgroups(V1, { uuid: UUID, isolators: [], apps: [{ name: "a", isolators: [mem("64Mi", "32Mi"), { name: "resource/cpu", value: { request: "250m" } }] }] });
    assert.deepEqual(p.writes, [
      { path: `${M}/a/memory.limit_in_bytes`, value: String(64 * 2 ** 20) },
      { path: `${M}/a/memory.soft_limit_in_bytes`, value: String(32 * 2 ** 20) },
      { path: `${C}/a/cpu.shares`, value: "256" },
    ]);
  });

  it("caps an app's cpu limit at the pod's, which the kernel would otherwise refuse", () => {
    const p = planPodCgroups(V1, { uuid: UUID, isolators: [cpu("1")], apps: [{ name: "a", isolators: [cpu("2")] }] });
    assert.deepEqual(p.writes.filter((w) => w.path.endsWith("cfs_quota_us")).map((w) => [w.path, w.value]), [
      [`${C}/cpu.cfs_quota_us`, "100000"],
      [`${C}/a/cpu.cfs_quota_us`, "100000"],
    ]);
  });

  it("keeps the strictest of several limits of one kind", () => {
    const p = planPodCgroups(V1, { uuid: UUID, isolators: [mem("2Gi"), mem("512Mi"), mem("1Gi")], apps: [] });
    assert.deepEqual(p.writes, [{ path: `${M}/memory.limit_in_bytes`, value: String(512 * 2 ** 20) }]);
  });
});

describe("cgroup planner on cgroup v2", () => {
  const R = `/sys/fs/cgroup/jetpack/${UUID}`;

  it("uses one tree, enables the controllers down to the pod, and writes memory.max and cpu.max", () => {
    const plan = planPodCgroups(V2, { uuid: UUID, isolators: [mem("1G")], apps: [{ name: "web", isolators: [cpu("1.5")] }] });
    assert.deepEqual(plan.dirs, ["/sys/fs/cgroup/jetpack", R, `${R}/web`]);
    assert.deepEqual(plan.writes, [
      { path: "/sys/fs/cgroup/cgroup.subtree_control", value: "+memory +cpu" },
      { path: "/sys/fs/cgroup/jetpack/cgroup.subtree_control", value: "+memory +cpu" },
      { path: `${R}/cgroup.subtree_control`, value: "+memory +cpu" },
      { path: `${R}/memory.max`, value: "1000000000" },
      { path: `${R}/web/cpu.max`, value: "150000 100000" },
    ]);
    assert.deepEqual(plan.procs, { web: [`${R}/web/cgroup.procs`] });
  });

  it("maps requests to memory.low and cpu.weight", () => {
    const plan = planPodCgroups(V2, { uuid: UUID, isolators: [], apps: [{ name: "a", isolators: [{ name: "resource/memory", value: { request: "1Mi" } }, { name: "resource/cpu", value: { request: "1" } }] }] });
    assert.deepEqual(plan.writes.slice(3), [
      { path: `${R}/a/memory.low`, value: String(2 ** 20) },
      { path: `${R}/a/cpu.weight`, value: "39" },
    ]);
  });
});

describe("cgroup planner edge cases", () => {
  it("lists every resource isolator as unenforced on a host without cgroups, and plans nothing", () => {
    const plan = planPodCgroups(NONE, { uuid: UUID, isolators: [mem("1G")], apps: [{ name: "a", isolators: [cpu("1")] }] });
    assert.deepEqual(plan.dirs, []);
    assert.deepEqual(plan.writes, []);
    assert.deepEqual(plan.procs, { a: [] });
    assert.deepEqual(plan.unenforced.map((u) => [u.app, u.name]), [[null, "resource/memory"], ["a", "resource/cpu"]]);
  });

  it("reports a cpu limit as unenforced when only the memory controller exists", () => {
    const host: CgroupHost = { version: 1, controllers: { memory: true, cpu: false }, paths: { memory: "/m", cpu: null } };
    const plan = planPodCgroups(host, { uuid: UUID, isolators: [cpu("1")], apps: [] });
    assert.deepEqual(plan.unenforced, [{ app: null, name: "resource/cpu", reason: "this host's cgroups have no cpu controller" }]);
    assert.deepEqual(plan.dirs, ["/m/jetpack", `/m/jetpack/${UUID}`]);
  });

  it("ignores isolators that are not resources", () => {
    const plan = planPodCgroups(V1, { uuid: UUID, isolators: [{ name: "os/linux/no-new-privileges", value: true }], apps: [] });
    assert.deepEqual(plan.writes, []);
  });

  it("refuses a zero memory limit, naming the app", () => {
    assert.throws(
      () => planPodCgroups(V1, { uuid: UUID, isolators: [], apps: [{ name: "web", isolators: [mem("0")] }] }),
      (err: unknown) => err instanceof JetpackError && err.code === "JP_ERR_CGROUP_LIMIT" && err.message.includes("app web"),
    );
  });

  it("refuses a malformed quantity", () => {
    assert.throws(() => planPodCgroups(V1, { uuid: UUID, isolators: [mem("lots")], apps: [] }), (err: unknown) => err instanceof JetpackError && err.code === "JP_ERR_QUANTITY");
  });

  it("refuses app names and UUIDs that could walk out of the pod's group", () => {
    assert.throws(() => planPodCgroups(V1, { uuid: UUID, isolators: [], apps: [{ name: "../x", isolators: [] }] }), (err: unknown) => err instanceof JetpackError && err.code === "JP_ERR_CGROUP_APP_NAME");
    assert.throws(() => podCgroupDirs(V1, "../../etc"), (err: unknown) => err instanceof JetpackError && err.code === "JP_ERR_CGROUP_POD_UUID");
  });

  it("names the pod's directory in each hierarchy for removal", () => {
    assert.deepEqual(podCgroupDirs(V1, UUID), [`/sys/fs/cgroup/memory/jetpack/${UUID}`, `/sys/fs/cgroup/cpu/jetpack/${UUID}`]);
    assert.deepEqual(podCgroupDirs(V2, UUID), [`/sys/fs/cgroup/jetpack/${UUID}`]);
    assert.deepEqual(podCgroupDirs(NONE, UUID), []);
  });

  it("converts cpu quantities to quota, shares and weight within the kernel's bounds", () => {
    assert.equal(cpuQuotaUs(500n), 50_000n);
    assert.equal(cpuQuotaUs(1n), 1_000n);
    assert.equal(cpuShares(1n), 2n);
    assert.equal(cpuShares(1000n), 1024n);
    assert.equal(cpuShares(10_000_000n), 262144n);
    assert.equal(cpuWeight(1n), 1n);
    assert.equal(cpuWeight(10_000_000n), 10000n);
  });
});
