// Carrying out a cgroup plan on the host, and removing a pod's cgroups. Effects.
//
// cgroupfs is driven with plain mkdir, write and rmdir: no process is started here.
import { mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { fail, JetpackError } from "../../../machines/errors.js";
import { detectCgroups, type CgroupHost } from "./detect.js";
import { podCgroupDirs, type CgroupPlan } from "./plan.js";

/** How long removal waits for the last processes of a stopped pod to leave (they may still be exiting). */
const BUSY_RETRY_MS = 2_000;
const BUSY_STEP_MS = 100;

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function writeError(path: string, value: string, err: unknown): JetpackError {
  const code = errno(err);
  const kind = code === "EACCES" || code === "EPERM" ? "permission_denied" : code === "EINVAL" || code === "ERANGE" ? "invalid" : "unavailable";
  return fail(kind, "JP_ERR_CGROUP_WRITE", `cgroups: writing ${JSON.stringify(value)} to ${path} failed (${code ?? String(err)})`, {
    hint: kind === "invalid" ? "The kernel refused this value; check the pod's resource isolators." : "Check that cgroups are mounted read-write and the daemon runs as root.",
    cause: err,
  });
}

/**
 * Effects. Creates the pod's cgroup directories and writes its limits (both idempotent, so a re-run is
 * harmless); answers, for each app, the cgroup.procs files its process must join before it execs.
 */
export async function createPodCgroups(uuid: string, plan: CgroupPlan): Promise<Record<string, string[]>> {
  if (plan.uuid !== uuid) throw fail("internal", "JP_ERR_CGROUP_PLAN", `cgroups: a plan for pod ${plan.uuid} was applied to pod ${uuid}`);
  for (const dir of plan.dirs) {
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw fail(errno(err) === "EACCES" || errno(err) === "EPERM" ? "permission_denied" : "unavailable", "JP_ERR_CGROUP_CREATE", `cgroups: cannot create ${dir} (${errno(err) ?? String(err)})`, {
        hint: "Check that cgroups are mounted read-write and the daemon runs as root.",
        cause: err,
      });
    }
  }
  for (const w of plan.writes) {
    try {
      await writeFile(w.path, w.value);
    } catch (err) {
      throw writeError(w.path, w.value, err);
    }
  }
  return plan.procs;
}

/** The directories under `dir`, deepest first, then `dir` itself. Control files are not directories. */
async function subtreeDeepestFirst(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (errno(err) === "ENOENT") return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) if (e.isDirectory()) out.push(...(await subtreeDeepestFirst(`${dir}/${e.name}`)));
  out.push(dir);
  return out;
}

async function removeGroup(dir: string): Promise<void> {
  const deadline = Date.now() + BUSY_RETRY_MS;
  for (;;) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      if (errno(err) === "ENOENT") return;
      if (errno(err) !== "EBUSY" || Date.now() >= deadline) {
        const pids = (await readFile(`${dir}/cgroup.procs`, "utf8").catch(() => "")).split("\n").filter(Boolean);
        throw fail("conflict", "JP_ERR_CGROUP_BUSY", `cgroups: cannot remove ${dir}: ${pids.length > 0 ? `processes ${pids.join(", ")} are still in it` : errno(err) ?? String(err)}`, {
          hint: "Stop the pod's processes first (jetpack pod stop), then destroy it again.",
          details: { dir, pids },
        });
      }
      await sleep(BUSY_STEP_MS);
    }
  }
}

/**
 * Effects. Removes the pod's cgroups in every hierarchy, deepest first; kills nothing. Absent is fine.
 * Throws conflict JP_ERR_CGROUP_BUSY naming the group and its processes when one stays occupied.
 */
export async function removePodCgroups(uuid: string, host?: CgroupHost): Promise<void> {
  const h = host ?? (await detectCgroups());
  for (const podDir of podCgroupDirs(h, uuid)) {
    for (const dir of await subtreeDeepestFirst(podDir)) await removeGroup(dir);
  }
}
