// BullMQ queues: their names, the data every job carries, default options, and enqueueing. Effects (Redis).
import { Queue, type ConnectionOptions, type JobsOptions } from "bullmq";
import { z } from "zod";
import type { JobSpec } from "../machines/log/index.js";

export const QUEUE_NAMES = ["images", "pods"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** What every job carries: the stream it works for and the seq of the record that asked for it. */
export const JobDataSchema = z.object({
  stream: z.string(),
  jobSeq: z.number().int().positive(),
  /** Outcomes are recorded in the name of whoever asked for the work. */
  actor: z.string(),
  op: z.string().optional(),
});
export type JobData = z.infer<typeof JobDataSchema>;

/** Transient failures (Redis blips, busy datasets) retry with backoff; the last attempt's failure becomes an event. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: "exponential", delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export interface Queues {
  enqueue(jobs: JobSpec[]): Promise<void>;
  queue(name: QueueName): Queue;
  close(): Promise<void>;
}

/** Effects. Opens the queues on `connection` under `prefix` (one prefix per daemon root). */
export function openQueues(connection: ConnectionOptions, prefix: string): Queues {
  const queues = new Map<QueueName, Queue>(QUEUE_NAMES.map((n) => [n, new Queue(n, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS })]));
  const get = (name: string): Queue => {
    const q = queues.get(name as QueueName);
    if (!q) throw new Error(`no queue named ${name}`);
    return q;
  };
  return {
    queue: get,
    async enqueue(jobs) {
      for (const job of jobs) {
        // A deterministic jobId makes a second add of the same job (after a crash, or by recovery) a no-op.
        await get(job.queue).add(job.name, job.data, { jobId: job.id, ...(job.opts ?? {}) });
      }
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
