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
import type { ImageContext } from "../../machines/image.machine.js";
import { computeProgress, type ProgressBoard } from "../../machines/progress.js";
import { decideFailure } from "../job-policy.js";
import { JobDataSchema, type JobData } from "../queues.js";
import { destroyImage } from "./destroy.js";
import { importImage, type ImportDeps } from "./import.js";

export interface ImageJobDeps extends ImportDeps {
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
      else if (job.name === "destroy") await runDestroy(deps, data, context, emit);
      else throw new UnrecoverableError(`unknown images job ${job.name}`);
    } catch (err) {
      const decision = decideFailure(err, job.attemptsMade, job.opts.attempts ?? 1);
      if (decision.retry) throw err;
      await emit(job.name === "import" ? "image.import.failed" : "image.destroy.failed", { error: decision.error });
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
  const started = Date.now();
  let last = 0;
  const outcome = await importImage(deps, {
    uuid: ctx.uuid,
    sourcePath: ctx.source.path,
    onProgress: (bytes, total) => {
      const now = Date.now();
      if (!data.op || now - last < 100) return;
      last = now;
      deps.progress.post(data.op, computeProgress("extracting", started, now, bytes, total));
    },
  });
  if (outcome.kind === "duplicate") await emit("image.import.duplicate", { id: outcome.id });
  else await emit("image.imported", outcome.image);
  await releaseSource(ctx);
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
