// The pods projection: every pod not yet destroyed, its state and apps, and the addresses leased. Pure.
//
// Each pod record carries the machine's snapshot, so a view is the snapshot's state and context plus who
// made the pod and when: the projection never re-derives what the machine decided.
import type { PodAppStatus } from "../events.js";
import type { LogRecord } from "../log/index.js";
import type { PodContext, PodState } from "../pod.machine.js";
import type { PersistedState } from "../decide.js";
import { fail } from "../errors.js";

export interface PodView {
  uuid: string;
  name: string | null;
  state: PodState;
  ip: string | null;
  manifest: unknown;
  apps: PodAppStatus[];
  isolatorsIgnored: PodContext["isolatorsIgnored"];
  lastError: PodContext["lastError"];
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export interface PodsProjection {
  pods: Map<string, PodView>;
  /** Addresses found answering at lease time: never leased again. */
  skippedIps: Set<string>;
}

/** Pure. An empty projection. */
export function emptyPods(): PodsProjection {
  return { pods: new Map(), skippedIps: new Set() };
}

/** Pure (mutates only the projection it is given). Applies one record. */
export function foldPods(projection: PodsProjection, rec: LogRecord): PodsProjection {
  if (!rec.stream.startsWith("pod/") || rec.state === undefined) return projection;
  const uuid = rec.stream.slice("pod/".length);
  const state = rec.state as PersistedState;
  const ctx = state.context as unknown as PodContext;
  for (const ip of ctx.skippedIps) projection.skippedIps.add(ip);
  if (state.value === "destroyed") {
    projection.pods.delete(uuid);
    return projection;
  }
  const prev = projection.pods.get(uuid);
  projection.pods.set(uuid, {
    uuid,
    name: ctx.name,
    state: state.value as PodState,
    ip: ctx.ip,
    manifest: ctx.manifest,
    apps: ctx.apps,
    isolatorsIgnored: ctx.isolatorsIgnored,
    lastError: ctx.lastError,
    createdAt: prev?.createdAt ?? rec.time,
    createdBy: prev?.createdBy ?? rec.actor,
    updatedAt: rec.time,
  });
  return projection;
}

/** Pure. The addresses no new pod may get: those of live pods and those found answering. */
export function takenAddresses(projection: PodsProjection): Set<string> {
  const taken = new Set(projection.skippedIps);
  for (const pod of projection.pods.values()) if (pod.ip) taken.add(pod.ip);
  return taken;
}

/** Shortest UUID prefix accepted, so a typo does not pick a pod. */
export const MIN_POD_PREFIX = 4;

/** Pure. Resolves POD (a UUID, a unique prefix of one, or a name) to one pod; not_found or conflict otherwise. */
export function resolvePodRef(projection: PodsProjection, ref: string): PodView {
  const pods = [...projection.pods.values()];
  const byName = pods.filter((p) => p.name === ref);
  if (byName.length === 1) return byName[0]!;
  const byId = ref.length >= MIN_POD_PREFIX ? pods.filter((p) => p.uuid.startsWith(ref.toLowerCase())) : [];
  if (byId.length === 1) return byId[0]!;
  if (byId.length > 1) {
    throw fail("conflict", "JP_ERR_POD_AMBIGUOUS", `pod ${ref} matches ${byId.length} pods: ${byId.map((p) => p.uuid).join(", ")}`, { hint: "give more of the UUID" });
  }
  throw fail("not_found", "JP_ERR_POD_NOT_FOUND", `no pod is called ${ref}`, { hint: "`jetpack pod list` shows the pods and their UUIDs" });
}
