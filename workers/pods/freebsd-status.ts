// What the FreeBSD pod host records about a pod in its status.json (the same file name the Linux
// supervisor writes, from supervisorPaths), and how that record and jls together make the pod's status.
//
// FreeBSD has no per-pod supervisor process: the jail itself outlives the daemon, and the daemon that
// started the apps records their exits. The record keeps what stop and kill need without the spec (the
// jail's name and JID, each app's pid and its post-stop argv) so that a restarted daemon can still stop
// the pod. An app whose pid is gone with no exit recorded ended while no daemon was watching.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { PodAppStatus } from "../../machines/events.js";
import type { ErrorData } from "../../machines/errors.js";
import type { SandboxStatus } from "./host.js";
import { supervisorPaths } from "./supervisor/launch.js";

export interface JailAppRecord extends PodAppStatus {
  /** The app's process (stage2 execs the program in place, so it is the program's pid). */
  pid: number | null;
  /** The stage2 argv of its post-stop handlers, built at launch with the jail's JID. */
  postStop: string[][];
}

export interface JailPodRecord {
  uuid: string;
  jail: string;
  jid: number | null;
  state: SandboxStatus["state"];
  apps: JailAppRecord[];
  error: ErrorData | null;
}

/** Effects. The pod's record, or null when it was never launched (or its file is gone or torn). */
export function readJailRecord(podDir: string): JailPodRecord | null {
  try {
    return JSON.parse(readFileSync(supervisorPaths(podDir).status, "utf8")) as JailPodRecord;
  } catch {
    return null;
  }
}

/** Effects. Writes the record whole (a temporary file renamed over the old one), so no reader sees half. */
export function writeJailRecord(podDir: string, record: JailPodRecord): void {
  const path = supervisorPaths(podDir).status;
  writeFileSync(`${path}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** Pure. `record` with app `name` changed by `change`. */
export function withJailApp(record: JailPodRecord, name: string, change: Partial<JailAppRecord>): JailPodRecord {
  return { ...record, apps: record.apps.map((a) => (a.name === name ? { ...a, ...change } : a)) };
}

/** Why an app counts as exited when its process is gone and nobody saw it end. */
export const UNWATCHED_EXIT = "exited while no jetpack daemon was watching: its exit code is unknown";

/**
 * Pure. The status the pod jobs see: the record, with every running app whose process is gone counted
 * as exited, and `live` when the jail exists (and is not dying).
 */
export function jailSandboxStatus(record: JailPodRecord, jailLive: boolean, pidAlive: (pid: number) => boolean): SandboxStatus {
  const apps: PodAppStatus[] = record.apps.map((a) => {
    const gone = a.state === "running" && (a.pid === null || !pidAlive(a.pid));
    const state = gone ? "exited" : a.state;
    return { name: a.name, state, exitCode: a.exitCode, signal: a.signal, reason: gone ? (a.reason ?? UNWATCHED_EXIT) : a.reason };
  });
  return { state: record.state, live: jailLive, apps };
}

/** Pure. True once every app has exited but nobody has run the post-stop handlers and removed the jail. */
export function needsFinish(status: SandboxStatus): boolean {
  return (status.state === "running" || status.state === "stopping") && status.apps.every((a) => a.state === "exited");
}
