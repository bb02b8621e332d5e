// What a pod supervisor records and serves: the state of the pod and of each app. Pure: types and the
// small functions that change a status; the supervisor writes it to status.json on every change.
import type { ErrorData } from "../../../machines/errors.js";

export type PodState = "starting" | "running" | "stopping" | "exited" | "failed";
export type AppState = "waiting" | "running" | "exited";

export interface AppStatus {
  name: string;
  state: AppState;
  exitCode: number | null;
  signal: string | null;
  startedAt: string | null;
  exitedAt: string | null;
  /** Why the app is not running as asked: a start failure, a failed handler, "stopped", "killed". */
  reason: string | null;
}

export interface PodStatus {
  uuid: string;
  state: PodState;
  supervisorPid: number;
  initPid: number | null;
  apps: AppStatus[];
  /** "live": read from the supervisor; "gone": read from status.json, the supervisor has exited. */
  supervisor: "live" | "gone";
  /** Why the pod failed (state "failed"), as it travels in events; null otherwise. */
  error: ErrorData | null;
}

/** Pure. The status of a pod whose supervisor has just started: every app waiting. */
export function initialStatus(uuid: string, supervisorPid: number, appNames: readonly string[]): PodStatus {
  return {
    uuid,
    state: "starting",
    supervisorPid,
    initPid: null,
    apps: appNames.map((name) => ({ name, state: "waiting", exitCode: null, signal: null, startedAt: null, exitedAt: null, reason: null })),
    supervisor: "live",
    error: null,
  };
}

/** Pure. `status` with app `name` changed by `change`. */
export function withApp(status: PodStatus, name: string, change: Partial<AppStatus>): PodStatus {
  return { ...status, apps: status.apps.map((a) => (a.name === name ? { ...a, ...change } : a)) };
}

/** Pure. True once every app has exited (a pod with no apps has nothing to wait for). */
export function allExited(status: PodStatus): boolean {
  return status.apps.every((a) => a.state === "exited");
}

/** Pure. True when the pod is over: its supervisor will not change it any more. */
export function isFinal(status: PodStatus): boolean {
  return status.state === "exited" || status.state === "failed";
}
