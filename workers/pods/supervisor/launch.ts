// The file a pod supervisor is started with, and where it keeps its files in the pod's directory.
// Pure: paths and the schema of the launch file.
import { posix } from "node:path";
import { z } from "zod";
import type { PodRunSpec } from "../../../machines/pod/run-spec.js";

export interface LaunchFile {
  spec: PodRunSpec;
  /** The network namespace to join (a path such as /run/netns/<name>), or null for a new empty one. */
  netns: string | null;
  /** Host path of the jetpack-stage2 binary. */
  stage2: string;
  /** For each app name, the `cgroup.procs` files its processes go into before they exec. */
  cgroupProcs: Record<string, string[]>;
}

/** Pure. The supervisor's files in a pod directory. */
export function supervisorPaths(podDir: string) {
  return {
    launch: posix.join(podDir, "supervisor.json"),
    status: posix.join(podDir, "status.json"),
    socket: posix.join(podDir, "supervisor.sock"),
    log: posix.join(podDir, "supervisor.log"),
    logs: posix.join(podDir, "logs"),
  };
}

/** Pure. Where an app's stdout and stderr (and its handlers') are appended. */
export function appLogPath(podDir: string, appName: string): string {
  return posix.join(podDir, "logs", `${appName}.log`);
}

// The spec itself was checked by the planner that made it; this checks the shape the supervisor reads.
const specShape = z.looseObject({
  uuid: z.string(),
  hostname: z.string(),
  paths: z.object({ dir: z.string(), root: z.string() }),
  apps: z.array(z.looseObject({ name: z.string(), index: z.number().int().nonnegative(), rootfs: z.string(), exec: z.array(z.string()).min(1) })),
  volumes: z.array(z.looseObject({ name: z.string(), source: z.string() })),
});

export const launchFileSchema = z.object({
  spec: specShape,
  netns: z.string().nullable(),
  stage2: z.string().startsWith("/"),
  cgroupProcs: z.record(z.string(), z.array(z.string())),
});
