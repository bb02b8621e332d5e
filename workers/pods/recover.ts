// Boot-time reconciliation of pods with the host. Effects.
//
// Supervisors outlive the daemon, so a pod the log says runs is watched again (its first status carries
// any exit that happened meanwhile). A pod that does not run holds no network namespace and no cgroup:
// whatever a crash left of them goes. Unfinished prepare/start/stop/destroy jobs are re-queued by the
// engine's pending jobs, and each of them finishes or redoes its work.
import type { Engine } from "../../machines/engine.js";
import { SYSTEM_ACTOR } from "../../machines/events.js";
import type { PodContext, PodState } from "../../machines/pod.machine.js";
import { listPodNetworks, netnsName } from "../host/network/index.js";
import type { PodHost } from "./host.js";
import type { PodWatchers } from "./watch.js";

export interface PodRecoveryReport {
  restarted: string[];
  watched: string[];
  releasedNetworks: string[];
}

/** States whose job may have been cut short by the daemon's stop. */
const IN_A_JOB: ReadonlySet<PodState> = new Set(["preparing", "starting", "stopping", "destroying"]);

/** States in which a pod may hold a network namespace and cgroups. */
const HOLDS_HOST: ReadonlySet<PodState> = new Set(["starting", "running", "stopping", "destroying"]);

/** Effects. Attaches watchers to running pods and releases what pods that do not run still hold. */
export async function recoverPods(deps: { engine: Engine; host: PodHost; watchers: PodWatchers }): Promise<PodRecoveryReport> {
  const report: PodRecoveryReport = { restarted: [], watched: [], releasedNetworks: [] };
  const holding = new Set<string>();
  /** Network namespace name -> pod, for this daemon's pods only. */
  const ours = new Map<string, string>();
  for (const entry of deps.engine.streamsOf("pod")) {
    const state = entry.state.value as PodState;
    const ctx = entry.state.context as unknown as PodContext;
    if (IN_A_JOB.has(state)) {
      const op = (entry.jobs[0]?.data as { op?: string } | undefined)?.op;
      await deps.engine.dispatch({ stream: entry.stream, type: "pod.restarted", actor: SYSTEM_ACTOR, ...(op ? { op } : {}), data: { reason: `the daemon stopped while the pod was ${state}` } });
      report.restarted.push(ctx.uuid);
    }
    if (state === "running") {
      deps.watchers.attach(ctx.uuid, entry.stream);
      report.watched.push(ctx.uuid);
    }
    ours.set(netnsName(ctx.uuid), ctx.uuid);
    if (HOLDS_HOST.has(state)) holding.add(netnsName(ctx.uuid));
  }
  for (const name of await listPodNetworks()) {
    const uuid = ours.get(name);
    // Another daemon's pod (another root) on this host is not ours to touch.
    if (uuid === undefined || holding.has(name)) continue;
    await deps.host.teardownNetwork(uuid);
    // A leftover cgroup that will not go must not stop the daemon from starting.
    await deps.host.removeCgroups(uuid).catch(() => {});
    report.releasedNetworks.push(name);
  }
  return report;
}
