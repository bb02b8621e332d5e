// The BullMQ processor of the `images` queue: runs import and destroy jobs and reports each outcome as an
// event. Effects.
//
// A job first checks that its stream still waits for it (the record seq in its data): BullMQ runs jobs at
// least once, and a stalled job from before a crash may wake up after recovery queued its successor.
import { rm } from "node:fs/promises";
import type { Job } from "bullmq";
import { UnrecoverableError } from "bullmq";
import type { Engine } from "../../machines/engine.js";
import type { DomainEvent, EventType } from "../../machines/events.js";
import { toErrorData } from "../../machines/errors.js";
import type { ImageContext } from "../../machines/image.machine.js";
import { computeProgress, type ProgressBoard } from "../../machines/progress.js";
import { decideFailure } from "../job-policy.js";
import { JobDataSchema, type JobData } from "../queues.js";
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseImageManifestBytes } from "../../machines/appc/index.js";
import { fail } from "../../machines/errors.js";
import { imageStream, trustStream, type FetchRequest } from "../../machines/events.js";
import { readAciManifest } from "./aci/index.js";
import { destroyImage } from "./destroy.js";
import { fetchImage, type FetchDeps, type FetchHooks } from "./fetch/fetch-image.js";
import { importImage, type ImportOutcome } from "./import.js";
import { verifyAciSignature } from "./trust/index.js";

export interface ImageJobDeps extends FetchDeps {
  engine: Engine;
  progress: ProgressBoard;
}

/** Effects. The processor function for a BullMQ Worker on the `images` queue. */
export function imageJobProcessor(deps: ImageJobDeps): (job: Job) => Promise<unknown> {
  return async (job) => {
    const data = JobDataSchema.parse(job.data);
    const entry = deps.engine.stream(data.stream);
    if (!entry || entry.jobSeq !== data.jobSeq) return { stale: true };
    const emit = <T extends EventType>(type: T, payload: DomainEvent<T>["data"]) =>
      deps.engine.dispatch({ stream: data.stream, type, actor: data.actor, ...(data.op ? { op: data.op } : {}), data: payload });
    const context = entry.state.context as unknown as ImageContext;
    try {
      if (job.name === "import") await runImport(deps, data, context, emit);
      else if (job.name === "fetch") await runFetch(deps, data, context, emit);
      else if (job.name === "destroy") await runDestroy(deps, data, context, emit);
      else throw new UnrecoverableError(`unknown images job ${job.name}`);
    } catch (err) {
      const decision = decideFailure(err, job.attemptsMade, job.opts.attempts ?? 1);
      if (decision.retry) throw err;
      await emit(job.name === "destroy" ? "image.destroy.failed" : "image.import.failed", { error: decision.error });
      if (job.name === "import") await releaseSource(context);
      return { failed: decision.error.code };
    } finally {
      if (data.op) deps.progress.clear(data.op);
    }
    return { done: true };
  };
}

type Emit = <T extends EventType>(type: T, payload: DomainEvent<T>["data"]) => Promise<unknown>;

async function runImport(deps: ImageJobDeps, data: JobData, ctx: ImageContext, emit: Emit): Promise<void> {
  if (!ctx.source) throw new UnrecoverableError("import job without a source");
  await emit("image.import.started", { jobSeq: data.jobSeq });
  const post = progressPoster(deps, data);
  const signature = ctx.insecure ? null : await verifySource(deps, ctx.source.path, ctx.source.signature);
  const outcome = await importImage(deps, {
    uuid: ctx.uuid,
    sourcePath: ctx.source.path,
    signature,
    onProgress: (bytes, total) => post("extracting", bytes, total),
  });
  await emitOutcome(emit, outcome);
  await releaseSource(ctx);
}

/** The outcome of an import or fetch, as the event that ends it. */
function emitOutcome(emit: Emit, outcome: ImportOutcome): Promise<unknown> {
  return outcome.kind === "duplicate" ? emit("image.import.duplicate", { id: outcome.id }) : emit("image.imported", outcome.image);
}

/** Posts an operation's progress at most ten times a second (the board is read by pollers and SSE). */
function progressPoster(deps: ImageJobDeps, data: JobData): (stage: string, bytes: number, total: number | null) => void {
  const started = Date.now();
  let last = 0;
  return (stage, bytes, total) => {
    const now = Date.now();
    if (!data.op || now - last < 100) return;
    last = now;
    deps.progress.post(data.op, computeProgress(stage, started, now, bytes, total));
  };
}

/** Checks a local ACI against its detached signature, with the keys trusted for the name in its manifest. */
async function verifySource(deps: ImageJobDeps, path: string, signaturePath: string | undefined) {
  if (!signaturePath) {
    throw fail("permission_denied", "JP_ERR_IMAGE_UNVERIFIED", "refusing to import an image whose signature is not verified", {
      hint: "give its signature with --sig FILE.aci.asc, or pass --insecure-options=image",
    });
  }
  const name = parseImageManifestBytes((await readAciManifest(path)).manifestBytes).name;
  const signature = await readFile(signaturePath, "utf8").catch(() => {
    throw fail("not_found", "JP_ERR_SIGNATURE_MISSING", `${signaturePath}: no such file`);
  });
  return verifyAciSignature({ aciPath: path, signature, name, store: deps.trust });
}

async function runFetch(deps: ImageJobDeps, data: JobData, ctx: ImageContext, emit: Emit): Promise<void> {
  if (!ctx.fetch) throw new UnrecoverableError("fetch job without a request");
  await emit("image.import.started", { jobSeq: data.jobSeq });
  const outcome = await fetchImage(deps, ctx.uuid, ctx.fetch, ctx.insecure, fetchHooks(deps, data, ctx.fetch, ctx.insecure, data.stream));
  await emitOutcome(emit, outcome);
}

/** Progress, trusted keys and dependencies of one fetch; dependencies recurse, each as its own image stream. */
function fetchHooks(deps: ImageJobDeps, data: JobData, request: FetchRequest, insecure: boolean, stream: string): FetchHooks {
  const opt = data.op ? { op: data.op } : {};
  return {
    onProgress: progressPoster(deps, data),
    onKeyTrusted: async (key) => {
      await deps.engine.dispatch({ stream: trustStream(key.fingerprint), type: "trust.key.added", actor: data.actor, ...opt, data: { fingerprint: key.fingerprint, prefix: key.prefix, userIds: key.userIds, source: key.url } });
    },
    fetchDependency: async (dep) => {
      const uuid = randomUUID();
      const depStream = imageStream(uuid);
      const depRequest: FetchRequest = {
        name: dep.imageName,
        labels: dep.labels ?? [],
        insecureHttp: request.insecureHttp,
        insecureTls: request.insecureTls,
        trustKeysFromHttps: request.trustKeysFromHttps,
        ...(request.fingerprint ? { fingerprint: request.fingerprint } : {}),
        ...(dep.imageID ? { imageID: dep.imageID } : {}),
        ...(dep.size ? { size: dep.size } : {}),
        parent: stream,
      };
      const emitDep = <T extends EventType>(type: T, payload: DomainEvent<T>["data"]) => deps.engine.dispatch({ stream: depStream, type, actor: data.actor, ...opt, data: payload });
      await emitDep("image.fetch.requested", { fetch: depRequest, insecure });
      try {
        await emitOutcome(emitDep, await fetchImage(deps, uuid, depRequest, insecure, fetchHooks(deps, data, depRequest, insecure, depStream)));
      } catch (err) {
        await emitDep("image.import.failed", { error: toErrorData(err) });
        throw err;
      }
    },
  };
}

/** An uploaded ACI belongs to the daemon: once its import has ended, one way or the other, it goes. */
async function releaseSource(ctx: ImageContext): Promise<void> {
  if (ctx.source?.owned) await rm(ctx.source.path, { force: true });
}

async function runDestroy(deps: ImageJobDeps, data: JobData, ctx: ImageContext, emit: Emit): Promise<void> {
  await emit("image.destroy.started", { jobSeq: data.jobSeq });
  if (ctx.id) await destroyImage(deps, ctx.id);
  await emit("image.destroyed", {});
}
