// PodHost on Linux: the per-pod supervisor (namespaces, stage2), the pod network (netns, veth, bridge)
// and cgroups. Effects; the wiring only, each part lives in its own module.
import type { PodAppStatus } from "../../machines/events.js";
import type { Pool } from "../../machines/network/pool.js";
import { createPodCgroups, detectCgroups, planPodCgroups, removePodCgroups } from "../host/cgroups/index.js";
import { addressAnswers, setupPodNetwork, teardownPodNetwork } from "../host/network/index.js";
import { execArgv, killPod, launchPod, podStatus, stopPod, watchPod, type PodStatus } from "./supervisor/client.js";
import type { PodHost, SandboxStatus } from "./host.js";

/** How often a watched pod's supervisor is checked for having died without a word (kill -9, OOM). */
const LIVENESS_POLL_MS = 2000;

/** Pure. The supervisor's status as the pod jobs see it. */
export function sandboxStatus(s: PodStatus): SandboxStatus {
  const apps: PodAppStatus[] = s.apps.map((a) => ({ name: a.name, state: a.state, exitCode: a.exitCode, signal: a.signal, reason: a.reason }));
  return { state: s.state, live: s.supervisor === "live", apps };
}

export interface LinuxHostOptions {
  pool: Pool;
  bridge: string;
  /** The stage2 binary (default: the one built next to the compiled code). */
  stage2?: string;
}

/** Effects. The Linux PodHost. */
export function linuxPodHost(opts: LinuxHostOptions): PodHost {
  return {
    async isolators() {
      const host = await detectCgroups();
      return { cgroups: host.controllers.memory || host.controllers.cpu };
    },
    async setupNetwork(uuid, ip) {
      const net = await setupPodNetwork({ uuid, ip, pool: opts.pool, bridge: opts.bridge });
      return { netnsPath: net.netnsPath };
    },
    teardownNetwork: (uuid) => teardownPodNetwork(uuid),
    // Half a second: a neighbour on the bridge answers within milliseconds even on a loaded host.
    addressAnswers: (ip) => addressAnswers(ip, { timeoutMs: 500, bridge: opts.bridge }),
    async createCgroups(spec) {
      const host = await detectCgroups();
      const plan = planPodCgroups(host, { uuid: spec.uuid, isolators: spec.isolators, apps: spec.apps.map((a) => ({ name: a.name, isolators: a.isolators.enforced })) });
      return createPodCgroups(spec.uuid, plan);
    },
    removeCgroups: (uuid) => removePodCgroups(uuid),
    async launch(spec, netnsPath, cgroupProcs) {
      return sandboxStatus(await launchPod({ spec, netns: netnsPath, cgroupProcs, ...(opts.stage2 ? { stage2: opts.stage2 } : {}) }));
    },
    async status(podDir) {
      const s = await podStatus(podDir);
      return s === null ? null : sandboxStatus(s);
    },
    watch(podDir, onStatus, onGone) {
      let last: SandboxStatus | undefined;
      const watcher = watchPod(podDir, (s) => {
        last = sandboxStatus(s);
        onStatus(last);
      });
      // The watch stream says nothing when the supervisor is killed: look now and then.
      const poll = setInterval(() => {
        void podStatus(podDir).then((s) => {
          if (s === null || (s.supervisor === "gone" && s.state !== "exited" && s.state !== "failed")) {
            clearInterval(poll);
            onGone();
          } else if (s.supervisor === "gone" && last?.state !== s.state) {
            clearInterval(poll);
            onStatus(sandboxStatus(s));
          }
        });
      }, LIVENESS_POLL_MS);
      poll.unref();
      return {
        close() {
          clearInterval(poll);
          watcher.close();
        },
      };
    },
    async stop(podDir, timeoutMs) {
      return sandboxStatus(await stopPod(podDir, { timeoutMs }));
    },
    kill: (podDir) => killPod(podDir),
    execCommand: (podDir, spec, app, argv) => execArgv(podDir, spec, app, argv),
  };
}
