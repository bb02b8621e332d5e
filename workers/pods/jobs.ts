// The BullMQ processor of the `pods` queue: prepare, start, stop and destroy, each outcome an event.
// Effects (ZFS, the host's namespaces, network and cgroups through PodHost).
//
// Every job can run again after a crash and must then finish the work, not double it: prepare redoes
// the pod's datasets from scratch, start adopts a supervisor that is already up, stop and destroy are
// idempotent. A job first checks that its stream still waits for it (the record seq in its data).
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Job } from "bullmq";
import { UnrecoverableError } from "bullmq";
import { parsePodManifest } from "../../machines/appc/index.js";
import type { Engine } from "../../machines/engine.js";
import type { DomainEvent, EventType } from "../../machines/events.js";
import type { PodContext } from "../../machines/pod.machine.js";
import { planPodIsolators } from "../../machines/pod/plan.js";
import type { ImageView } from "../../machines/projections/images.js";
import { takenAddresses, type PodsProjection } from "../../machines/projections/pods.js";
import type { Storage } from "../host/storage.js";
import type { StoreLayout } from "../images/layout.js";
import { decideFailure } from "../job-policy.js";
import { JobDataSchema, type JobData } from "../queues.js";
import { releasePodHost, type PodHost } from "./host.js";
import { podDir, podSecretsPath } from "./layout.js";
import { readPodSecrets, runSpecOf, type PodSecrets } from "./plan-context.js";
import { destroyPodStorage, preparePodStorage, removePodDir } from "./storage.js";
import type { PodWatchers } from "./watch.js";

export interface PodJobDeps {
  engine: Engine;
  storage: Storage;
  layout: StoreLayout;
  host: PodHost;
  images: () => Iterable<ImageView>;
  pods: () => PodsProjection;
  watchers: PodWatchers;
  /** Picks the lowest free address of the pod network (the engine calls it under its lock). */
  pickAddress: (taken: ReadonlySet<string>) => string;
  /** The metadata service's base URL as pods reach it (the pod network's gateway). */
  metadataBase: string;
}

type Emit = <T extends EventType>(type: T, payload: DomainEvent<T>["data"]) => Promise<unknown>;

const FAILURE_EVENT = { prepare: "pod.prepare.failed", start: "pod.start.failed", stop: "pod.stop.failed", destroy: "pod.destroy.failed" } as const;

/** Effects. The processor function for a BullMQ Worker on the `pods` queue. */
export function podJobProcessor(deps: PodJobDeps): (job: Job) => Promise<unknown> {
  return async (job) => {
    const data = JobDataSchema.parse(job.data);
    const entry = deps.engine.stream(data.stream);
    if (!entry || entry.jobSeq !== data.jobSeq) return { stale: true };
    const emit: Emit = (type, payload) => deps.engine.dispatch({ stream: data.stream, type, actor: data.actor, ...(data.op ? { op: data.op } : {}), data: payload });
    const ctx = entry.state.context as unknown as PodContext;
    const name = job.name as keyof typeof FAILURE_EVENT;
    if (!(name in FAILURE_EVENT)) throw new UnrecoverableError(`unknown pods job ${job.name}`);
    try {
      if (name === "prepare") await runPrepare(deps, data, ctx, emit);
      else if (name === "start") await runStart(deps, data, ctx, emit);
      else if (name === "stop") await runStop(deps, data, ctx, emit);
      else await runDestroy(deps, data, ctx, emit);
    } catch (err) {
      const decision = decideFailure(err, job.attemptsMade, job.opts.attempts ?? 1);
      if (decision.retry) throw err;
      if (name === "prepare") await undoPrepare(deps, ctx.uuid);
      await emit(FAILURE_EVENT[name], { error: decision.error });
      return { failed: decision.error.code };
    }
    return { done: true };
  };
}

async function runPrepare(deps: PodJobDeps, data: JobData, ctx: PodContext, emit: Emit): Promise<void> {
  await emit("pod.prepare.started", { jobSeq: data.jobSeq });
  const pod = parsePodManifest(ctx.manifest);
  // The address probe waits out its timeout when nothing answers (the usual case): clone meanwhile.
  await Promise.all([moveLeaseWhileAnswering(deps, data, ctx.ip), preparePodStorage(deps.storage, deps.layout, ctx.uuid, pod)]);
  const secrets: PodSecrets = { token: randomBytes(24).toString("base64url"), hmacKey: randomBytes(64).toString("base64") };
  const secretsPath = podSecretsPath(deps.layout, ctx.uuid);
  await mkdir(dirname(secretsPath), { recursive: true, mode: 0o700 });
  await writeFile(secretsPath, JSON.stringify(secrets), { mode: 0o600 });
  await writeFile(`${podDir(deps.layout, ctx.uuid)}/manifest`, JSON.stringify(pod), { mode: 0o600 });
  await emit("pod.prepared", {});
}

/**
 * The lease was made without looking at the network; something already answering there (a host that was
 * given the address by hand) means the next address, and this one stays skipped.
 */
async function moveLeaseWhileAnswering(deps: PodJobDeps, data: JobData, leased: string | null): Promise<void> {
  let ip = leased;
  for (let tries = 0; ip !== null && tries < 8 && (await deps.host.addressAnswers(ip)); tries++) {
    const from = ip;
    const r = await deps.engine.dispatchWith(() => ({
      stream: data.stream,
      type: "pod.address.changed" as const,
      actor: data.actor,
      ...(data.op ? { op: data.op } : {}),
      data: { from, to: deps.pickAddress(new Set([...takenAddresses(deps.pods()), from])) },
    }));
    ip = (r.state.context as unknown as PodContext).ip;
  }
}

/** A failed prepare leaves no dataset and no directory behind. */
async function undoPrepare(deps: PodJobDeps, uuid: string): Promise<void> {
  await destroyPodStorage(deps.storage, deps.layout, uuid);
  await removePodDir(deps.layout, uuid);
}

async function runStart(deps: PodJobDeps, data: JobData, ctx: PodContext, emit: Emit): Promise<void> {
  await emit("pod.start.started", { jobSeq: data.jobSeq });
  const dir = podDir(deps.layout, ctx.uuid);
  const { host } = deps;
  const hostIsolators = await host.isolators();
  const secrets = await readPodSecrets(deps.layout, ctx.uuid);
  const { pod, spec } = runSpecOf({ layout: deps.layout, uuid: ctx.uuid, manifest: ctx.manifest, ip: ctx.ip, images: deps.images(), metadataBase: deps.metadataBase, token: secrets.token, cgroups: hostIsolators.cgroups });
  const isolatorsIgnored = [
    ...planPodIsolators(pod.isolators, hostIsolators).ignored.map((i) => ({ app: null, ...i })),
    ...spec.apps.flatMap((a) => a.isolators.ignored.map((i) => ({ app: a.name, ...i }))),
  ];
  // A start that ran before a crash may have left the pod running: adopt it rather than start it twice.
  const existing = await host.status(dir);
  if (existing?.live && existing.state === "running") {
    deps.watchers.attach(ctx.uuid, data.stream);
    await emit("pod.started", { apps: existing.apps, isolatorsIgnored });
    return;
  }
  await host.kill(dir);
  try {
    const { netnsPath } = await host.setupNetwork(ctx.uuid, spec.ip!);
    const cgroupProcs = await host.createCgroups(spec);
    const status = await host.launch(spec, netnsPath, cgroupProcs);
    deps.watchers.attach(ctx.uuid, data.stream);
    await emit("pod.started", { apps: status.apps, isolatorsIgnored });
  } catch (err) {
    await releasePodHost(deps.host, ctx.uuid);
    throw err;
  }
}

async function runStop(deps: PodJobDeps, data: JobData, ctx: PodContext, emit: Emit): Promise<void> {
  await emit("pod.stop.started", { jobSeq: data.jobSeq });
  deps.watchers.detach(ctx.uuid);
  const status = await deps.host.stop(podDir(deps.layout, ctx.uuid), ctx.stopTimeoutMs);
  await releasePodHost(deps.host, ctx.uuid);
  await emit("pod.stopped", { apps: status.apps });
}

async function runDestroy(deps: PodJobDeps, data: JobData, ctx: PodContext, emit: Emit): Promise<void> {
  await emit("pod.destroy.started", { jobSeq: data.jobSeq });
  deps.watchers.detach(ctx.uuid);
  await deps.host.kill(podDir(deps.layout, ctx.uuid));
  await releasePodHost(deps.host, ctx.uuid);
  await destroyPodStorage(deps.storage, deps.layout, ctx.uuid);
  await removePodDir(deps.layout, ctx.uuid);
  await emit("pod.destroyed", {});
}
