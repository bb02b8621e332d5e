// From a pod's resource isolators to the cgroup directories and control-file writes that enforce them.
// Pure: the effects in apply.ts carry the plan out.
//
// Layout: v1 `<controller mount>/jetpack/<uuid>/<app>` in each of the memory and cpu hierarchies, v2
// `/sys/fs/cgroup/jetpack/<uuid>/<app>`. Pod-level limits go on `<uuid>`, app-level ones on `<app>`, so the
// kernel enforces both (the pod's limit covers all its apps together).
import { fail } from "../../../machines/errors.js";
import { parseQuantity, quantityToBytes, quantityToMilli } from "../../../machines/appc/quantity.js";
import type { CgroupHost } from "./detect.js";

export const JETPACK_CGROUP = "jetpack";
/** The CFS period the cpu limit is expressed in: 100 ms, the kernel's default. */
export const CPU_PERIOD_US = 100_000;
/** The kernel refuses a CFS quota below 1 ms. */
export const MIN_CPU_QUOTA_US = 1_000;

export interface IsolatorEntry {
  name: string;
  value: unknown;
}

export interface CgroupPodInput {
  uuid: string;
  /** Pod-level isolators (PodRunSpec.isolators). */
  isolators: readonly IsolatorEntry[];
  /** Each app with the isolators it enforces (RunApp.isolators.enforced). */
  apps: ReadonlyArray<{ name: string; isolators: readonly IsolatorEntry[] }>;
}

export interface CgroupWrite {
  path: string;
  value: string;
}

export interface CgroupPlan {
  uuid: string;
  version: 1 | 2 | null;
  /** Directories to create, parents before children. */
  dirs: string[];
  /** Control files to write, in order, once the directories exist. */
  writes: CgroupWrite[];
  /** Per app: the cgroup.procs files its process must be written into before it execs. */
  procs: Record<string, string[]>;
  /** Resource isolators this host cannot enforce, with why (the spec asks runtimes to say so). */
  unenforced: Array<{ app: string | null; name: string; reason: string }>;
}

interface Resources {
  memoryLimit?: bigint;
  memoryRequest?: bigint;
  cpuLimitMilli?: bigint;
  cpuRequestMilli?: bigint;
}

function quantityField(value: unknown, field: "limit" | "request"): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const raw = (value as Record<string, unknown>)[field];
  return typeof raw === "string" || typeof raw === "number" ? String(raw).trim() : undefined;
}

function minDefined(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

/** Reads resource/memory and resource/cpu; several of one kind at one level combine to the strictest. */
function readResources(isolators: readonly IsolatorEntry[], where: string): Resources {
  const r: Resources = {};
  const amount = (iso: IsolatorEntry, field: "limit" | "request", unit: (q: ReturnType<typeof parseQuantity>) => bigint): bigint | undefined => {
    const text = quantityField(iso.value, field);
    if (text === undefined) return undefined;
    const n = unit(parseQuantity(text));
    if (n <= 0n) {
      throw fail("invalid", "JP_ERR_CGROUP_LIMIT", `${where}: ${iso.name} ${field} ${JSON.stringify(text)} must be more than zero`, {
        hint: `Give ${iso.name} a positive ${field}, or leave it out.`,
      });
    }
    return n;
  };
  for (const iso of isolators) {
    if (iso.name === "resource/memory") {
      r.memoryLimit = minDefined(r.memoryLimit, amount(iso, "limit", quantityToBytes));
      r.memoryRequest = minDefined(r.memoryRequest, amount(iso, "request", quantityToBytes));
    } else if (iso.name === "resource/cpu") {
      r.cpuLimitMilli = minDefined(r.cpuLimitMilli, amount(iso, "limit", quantityToMilli));
      r.cpuRequestMilli = minDefined(r.cpuRequestMilli, amount(iso, "request", quantityToMilli));
    }
  }
  return r;
}

/** Pure. The CFS quota for a cpu limit in millicores: 1000m is one full period per period. */
export function cpuQuotaUs(milli: bigint): bigint {
  const quota = milli * BigInt(CPU_PERIOD_US / 1000);
  return quota < BigInt(MIN_CPU_QUOTA_US) ? BigInt(MIN_CPU_QUOTA_US) : quota;
}

/** Pure. v1 cpu.shares for a cpu request: 1024 per core, at least 2 (the kernel's minimum). */
export function cpuShares(milli: bigint): bigint {
  const shares = (milli * 1024n) / 1000n;
  return shares < 2n ? 2n : shares > 262144n ? 262144n : shares;
}

/** Pure. v2 cpu.weight (1..10000) for the same request, mapped linearly from the shares range. */
export function cpuWeight(milli: bigint): bigint {
  return 1n + ((cpuShares(milli) - 2n) * 9999n) / 262142n;
}

/** Pure. The pod's directory in each hierarchy the host has (v1: one per controller, v2: one). */
export function podCgroupDirs(host: CgroupHost, uuid: string): string[] {
  checkUuid(uuid);
  const mounts = [...new Set([host.paths.memory, host.paths.cpu].filter((p): p is string => p !== null))];
  return mounts.map((m) => `${m}/${JETPACK_CGROUP}/${uuid}`);
}

function checkUuid(uuid: string): void {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) {
    throw fail("invalid", "JP_ERR_CGROUP_POD_UUID", `cgroups: ${JSON.stringify(uuid)} is not a pod UUID`);
  }
}

function checkAppName(name: string): void {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) {
    throw fail("invalid", "JP_ERR_CGROUP_APP_NAME", `cgroups: app name ${JSON.stringify(name)} is not an AC name`);
  }
}

/** The control-file writes for one level; `cap` is the pod's cpu limit, which an app's may not exceed on v1. */
function limitWrites(host: CgroupHost, dir: (controller: "memory" | "cpu") => string, r: Resources, capMilli?: bigint): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  if (host.controllers.memory) {
    const d = dir("memory");
    if (r.memoryLimit !== undefined) out.push({ path: `${d}/${host.version === 1 ? "memory.limit_in_bytes" : "memory.max"}`, value: String(r.memoryLimit) });
    if (r.memoryRequest !== undefined) out.push({ path: `${d}/${host.version === 1 ? "memory.soft_limit_in_bytes" : "memory.low"}`, value: String(r.memoryRequest) });
  }
  if (host.controllers.cpu) {
    const d = dir("cpu");
    // The kernel refuses a child's quota above its parent's with EINVAL; the pod's limit binds anyway.
    const limit = minDefined(r.cpuLimitMilli, r.cpuLimitMilli === undefined ? undefined : capMilli);
    if (limit !== undefined) {
      const quota = String(cpuQuotaUs(limit));
      if (host.version === 1) out.push({ path: `${d}/cpu.cfs_period_us`, value: String(CPU_PERIOD_US) }, { path: `${d}/cpu.cfs_quota_us`, value: quota });
      else out.push({ path: `${d}/cpu.max`, value: `${quota} ${CPU_PERIOD_US}` });
    }
    if (r.cpuRequestMilli !== undefined) {
      if (host.version === 1) out.push({ path: `${d}/cpu.shares`, value: String(cpuShares(r.cpuRequestMilli)) });
      else out.push({ path: `${d}/cpu.weight`, value: String(cpuWeight(r.cpuRequestMilli)) });
    }
  }
  return out;
}

function unenforcedOf(host: CgroupHost, app: string | null, r: Resources): CgroupPlan["unenforced"] {
  const out: CgroupPlan["unenforced"] = [];
  const why = (controller: string) => (host.version === null ? "this host has no cgroups mounted" : `this host's cgroups have no ${controller} controller`);
  if (!host.controllers.memory && (r.memoryLimit !== undefined || r.memoryRequest !== undefined)) out.push({ app, name: "resource/memory", reason: why("memory") });
  if (!host.controllers.cpu && (r.cpuLimitMilli !== undefined || r.cpuRequestMilli !== undefined)) out.push({ app, name: "resource/cpu", reason: why("cpu") });
  return out;
}

/**
 * Pure. Plans the pod's cgroups on this host: every app gets its own group under the pod's (in each
 * hierarchy the host has), so accounting and removal look the same whether or not limits were asked for.
 * Throws invalid JP_ERR_CGROUP_LIMIT for a zero or negative quantity, JP_ERR_QUANTITY for a malformed one.
 */
export function planPodCgroups(host: CgroupHost, pod: CgroupPodInput): CgroupPlan {
  checkUuid(pod.uuid);
  for (const app of pod.apps) checkAppName(app.name);
  const podRes = readResources(pod.isolators, `pod ${pod.uuid}`);
  const appRes = pod.apps.map((app) => ({ name: app.name, r: readResources(app.isolators, `app ${app.name}`) }));
  const unenforced = [...unenforcedOf(host, null, podRes), ...appRes.flatMap((a) => unenforcedOf(host, a.name, a.r))];
  const procs: Record<string, string[]> = Object.fromEntries(pod.apps.map((a) => [a.name, [] as string[]]));
  if (host.version === null) return { uuid: pod.uuid, version: null, dirs: [], writes: [], procs, unenforced };

  const base = (controller: "memory" | "cpu") => `${host.paths[controller] ?? ""}/${JETPACK_CGROUP}`;
  const podDir = (controller: "memory" | "cpu") => `${base(controller)}/${pod.uuid}`;
  const roots = [...new Set([host.paths.memory, host.paths.cpu].filter((p): p is string => p !== null))];
  const dirs: string[] = [];
  for (const root of roots) {
    dirs.push(`${root}/${JETPACK_CGROUP}`, `${root}/${JETPACK_CGROUP}/${pod.uuid}`);
    for (const app of pod.apps) dirs.push(`${root}/${JETPACK_CGROUP}/${pod.uuid}/${app.name}`);
  }
  for (const app of pod.apps) procs[app.name] = roots.map((root) => `${root}/${JETPACK_CGROUP}/${pod.uuid}/${app.name}/cgroup.procs`);

  const writes: CgroupWrite[] = [];
  if (host.version === 2) {
    // v2 hands a controller to children only when each ancestor lists it in cgroup.subtree_control.
    const enable = [host.controllers.memory ? "+memory" : "", host.controllers.cpu ? "+cpu" : ""].filter(Boolean).join(" ");
    const root = roots[0] ?? "";
    if (enable) for (const d of [root, `${root}/${JETPACK_CGROUP}`, `${root}/${JETPACK_CGROUP}/${pod.uuid}`]) writes.push({ path: `${d}/cgroup.subtree_control`, value: enable });
  }
  writes.push(...limitWrites(host, podDir, podRes));
  for (const a of appRes) writes.push(...limitWrites(host, (c) => `${podDir(c)}/${a.name}`, a.r, podRes.cpuLimitMilli));
  return { uuid: pod.uuid, version: host.version, dirs, writes, procs, unenforced };
}
