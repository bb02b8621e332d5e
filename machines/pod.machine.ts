// The lifecycle of one pod, as an XState machine. Pure: a decider, driven through `transition()`.
//
//  new --create.requested--> preparing --prepared--> prepared --start.requested--> starting --started--> running
//                               |                      ^  ^                          |                   |  |
//                               '--prepare.failed--> failed                start.failed (back)   stop.requested  exited (all apps
//                                                      |  '-----------------------------'                |      ended on their own)
//                                                      |                                              stopping --stopped--> exited
//  exited --start.requested--> starting (a pod runs again from the same rootfs clones)                                |
//  prepared | exited | running | failed --destroy.requested--> destroying --destroyed--> destroyed                     v
//
// One job at a time: a state that asks for work accepts no other request until its outcome arrives, so a
// conflicting request (destroy while starting) is refused with 409 whatever the number of workers.
import { assign, setup } from "xstate";
import type { ErrorData } from "./errors.js";
import type { EventData, PodAppStatus } from "./events.js";

export interface PodContext {
  uuid: string;
  name: string | null;
  /** The reified pod manifest (appc §4), as requested. */
  manifest: unknown;
  ip: string | null;
  /** Addresses found answering before this pod used them; kept so no other pod gets them either. */
  skippedIps: string[];
  apps: PodAppStatus[];
  /** The stop grace period asked for by the pending stop. */
  stopTimeoutMs: number;
  isolatorsIgnored: Array<{ app: string | null; name: string; reason: string }>;
  lastError: ErrorData | null;
}

type E<T extends keyof PodEventMap> = { type: T } & PodEventMap[T];
interface PodEventMap {
  "pod.create.requested": EventData<"pod.create.requested">;
  "pod.address.changed": EventData<"pod.address.changed">;
  "pod.prepare.started": EventData<"pod.prepare.started">;
  "pod.prepared": EventData<"pod.prepared">;
  "pod.prepare.failed": EventData<"pod.prepare.failed">;
  "pod.start.requested": EventData<"pod.start.requested">;
  "pod.start.started": EventData<"pod.start.started">;
  "pod.started": EventData<"pod.started">;
  "pod.start.failed": EventData<"pod.start.failed">;
  "pod.app.exited": EventData<"pod.app.exited">;
  "pod.exited": EventData<"pod.exited">;
  "pod.stop.requested": EventData<"pod.stop.requested">;
  "pod.stop.started": EventData<"pod.stop.started">;
  "pod.stopped": EventData<"pod.stopped">;
  "pod.stop.failed": EventData<"pod.stop.failed">;
  "pod.found-dead": EventData<"pod.found-dead">;
  "pod.restarted": EventData<"pod.restarted">;
  "pod.destroy.requested": EventData<"pod.destroy.requested">;
  "pod.destroy.started": EventData<"pod.destroy.started">;
  "pod.destroyed": EventData<"pod.destroyed">;
  "pod.destroy.failed": EventData<"pod.destroy.failed">;
}
export type PodEvent = { [K in keyof PodEventMap]: E<K> }[keyof PodEventMap];

export interface PodEnqueueParams {
  queue: "pods";
  name: "prepare" | "start" | "stop" | "destroy";
}


/** Pure. The apps' statuses after one app's exit is recorded. */
function withAppExited(apps: readonly PodAppStatus[], event: PodAppStatus & { type?: string }): PodAppStatus[] {
  const { type: _type, ...exited } = event;
  return apps.some((a) => a.name === exited.name) ? apps.map((a) => (a.name === exited.name ? exited : a)) : [...apps, exited];
}

export const podMachine = setup({
  types: {
    context: {} as PodContext,
    events: {} as PodEvent,
    input: {} as { uuid: string },
  },
  actions: {
    // A job that begins is a new attempt: the previous attempt's error no longer describes the pod.
    // (It also makes the event a transition, so XState accepts it and the log records when work began.)
    clearError: assign({ lastError: null }),
    recordError: assign({ lastError: ({ event }) => ("error" in event ? event.error : null) }),
    takeApps: assign({ apps: ({ event, context }) => ("apps" in event ? event.apps : context.apps) }),
    // Collected by the engine from transition()'s action list; never executed.
    enqueue: (_args, _params: PodEnqueueParams) => {},
  },
}).createMachine({
  id: "pod",
  initial: "new",
  context: ({ input }) => ({
    uuid: input.uuid,
    name: null,
    manifest: null,
    ip: null,
    skippedIps: [],
    apps: [],
    stopTimeoutMs: 10_000,
    isolatorsIgnored: [],
    lastError: null,
  }),
  states: {
    new: {
      on: {
        "pod.create.requested": {
          target: "preparing",
          actions: assign({ name: ({ event }) => event.name, manifest: ({ event }) => event.manifest, ip: ({ event }) => event.ip }),
        },
      },
    },
    preparing: {
      entry: { type: "enqueue", params: { queue: "pods", name: "prepare" } },
      on: {
        // A job cut short by a daemon stop runs again under a new id (the old one, if it wakes, is stale).
        "pod.restarted": { target: "preparing", reenter: true },
        "pod.prepare.started": { actions: "clearError" },
        "pod.address.changed": { actions: assign({ ip: ({ event }) => event.to, skippedIps: ({ context, event }) => [...context.skippedIps, event.from] }) },
        "pod.prepared": { target: "prepared", actions: assign({ lastError: null }) },
        // A pod that never became one holds no address.
        "pod.prepare.failed": { target: "failed", actions: ["recordError", assign({ ip: null })] },
      },
    },
    prepared: {
      on: {
        "pod.start.requested": "starting",
        "pod.destroy.requested": "destroying",
      },
    },
    starting: {
      entry: { type: "enqueue", params: { queue: "pods", name: "start" } },
      on: {
        // A job cut short by a daemon stop runs again under a new id (the old one, if it wakes, is stale).
        "pod.restarted": { target: "starting", reenter: true },
        "pod.start.started": { actions: "clearError" },
        "pod.started": {
          target: "running",
          actions: assign({ apps: ({ event }) => event.apps, isolatorsIgnored: ({ event }) => event.isolatorsIgnored, lastError: null }),
        },
        "pod.start.failed": { target: "prepared", actions: "recordError" },
      },
    },
    running: {
      on: {
        "pod.app.exited": { actions: assign({ apps: ({ context, event }) => withAppExited(context.apps, event) }) },
        "pod.exited": { target: "exited", actions: "takeApps" },
        "pod.found-dead": {
          target: "exited",
          actions: ["takeApps", assign({ lastError: ({ event }) => ({ code: "JP_ERR_POD_FOUND_DEAD", kind: "unavailable" as const, message: event.reason }) })],
        },
        "pod.stop.requested": { target: "stopping", actions: assign({ stopTimeoutMs: ({ event }) => event.timeoutMs }) },
        "pod.destroy.requested": "destroying",
      },
    },
    stopping: {
      entry: { type: "enqueue", params: { queue: "pods", name: "stop" } },
      on: {
        // A job cut short by a daemon stop runs again under a new id (the old one, if it wakes, is stale).
        "pod.restarted": { target: "stopping", reenter: true },
        "pod.stop.started": { actions: "clearError" },
        "pod.app.exited": { actions: assign({ apps: ({ context, event }) => withAppExited(context.apps, event) }) },
        // The apps may end on their own while the stop job is on its way: the pod has exited either way.
        "pod.exited": { target: "exited", actions: "takeApps" },
        "pod.stopped": { target: "exited", actions: "takeApps" },
        "pod.stop.failed": { target: "running", actions: "recordError" },
      },
    },
    exited: {
      on: {
        "pod.start.requested": "starting",
        "pod.destroy.requested": "destroying",
      },
    },
    destroying: {
      entry: { type: "enqueue", params: { queue: "pods", name: "destroy" } },
      on: {
        // A job cut short by a daemon stop runs again under a new id (the old one, if it wakes, is stale).
        "pod.restarted": { target: "destroying", reenter: true },
        "pod.destroy.started": { actions: "clearError" },
        "pod.destroyed": "destroyed",
        "pod.destroy.failed": { target: "failed", actions: "recordError" },
      },
    },
    failed: {
      on: { "pod.destroy.requested": "destroying" },
    },
    destroyed: { type: "final" },
  },
});

export type PodState = "new" | "preparing" | "prepared" | "starting" | "running" | "stopping" | "exited" | "destroying" | "failed" | "destroyed";
