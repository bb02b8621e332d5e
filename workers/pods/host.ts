// What the pod jobs need from the host, in one interface: the sandbox (supervisor), the network and
// cgroups. workers/pods/linux-host.ts wires the Linux modules into it, freebsd-host.ts jails. Keeping it narrow lets the jobs be read without the host's details.
import type { PodRunSpec } from "../../machines/pod/run-spec.js";
import type { PodAppStatus } from "../../machines/events.js";

export interface SandboxStatus {
  state: "starting" | "running" | "stopping" | "exited" | "failed";
  /** Whether the supervisor process still runs (it may be gone after a host reboot). */
  live: boolean;
  apps: PodAppStatus[];
}

export interface PodHost {
  /** What the host can enforce (planPod reports the rest as not enforced). */
  isolators(): Promise<{ cgroups: boolean }>;
  /** Sets up the pod's network (idempotent); returns what the sandbox joins. */
  setupNetwork(uuid: string, ip: string): Promise<{ netnsPath: string }>;
  teardownNetwork(uuid: string): Promise<void>;
  /** Whether something already answers at `ip` (the lease then moves on). */
  addressAnswers(ip: string): Promise<boolean>;
  /** Creates the pod's cgroups; returns, per app, the cgroup.procs files its process goes into. */
  createCgroups(spec: PodRunSpec): Promise<Record<string, string[]>>;
  removeCgroups(uuid: string): Promise<void>;
  /** Starts the pod's supervisor and apps; resolves when every app runs. Leaves nothing running on failure. */
  launch(spec: PodRunSpec, netnsPath: string, cgroupProcs: Record<string, string[]>): Promise<SandboxStatus>;
  /** The sandbox's status; null when it was never launched (or its files are gone). */
  status(podDir: string): Promise<SandboxStatus | null>;
  /** Calls `onStatus` with the current status, then on every change; `close` stops watching. */
  watch(podDir: string, onStatus: (s: SandboxStatus) => void, onGone: () => void): { close(): void };
  /** SIGTERM, SIGKILL after the grace period, post-stop handlers, sandbox gone. Idempotent. */
  stop(podDir: string, timeoutMs: number): Promise<SandboxStatus>;
  /** Kills whatever of the sandbox is left, without grace (destroy, recovery). Idempotent. */
  kill(podDir: string): Promise<void>;
  /** The command line that runs `argv` in an app of a running pod (the CLI spawns it, stdio inherited). */
  execCommand(podDir: string, spec: PodRunSpec, app: string, argv: string[]): { cmd: string; args: string[]; env: Record<string, string> };
}

/** Effects. Network and cgroups live while the pod runs; they go when it stops, exits or fails to start. */
export async function releasePodHost(host: PodHost, uuid: string): Promise<void> {
  await host.teardownNetwork(uuid);
  await host.removeCgroups(uuid);
}
