// The engine: event -> transition() -> one durable log record -> jobs to enqueue. Effects only through
// the log and the `enqueue` function it is given; the decisions are decide()'s.
//
// Dispatches are serialized, so "read the stream's state, decide, append" is atomic and the engine can
// name the record's seq before the log assigns it (job ids carry it). Jobs reach BullMQ only after the
// record is fsynced: a crash in between loses no job, because boot re-enqueues the jobs of every stream
// still waiting for them (the ids are deterministic, so a job already in Redis is not added twice).
import type { AnyStateMachine } from "xstate";
import { decide, initialState, type PersistedState } from "./decide.js";
import { fail } from "./errors.js";
import { EVENT_DATA, isEventType, parseStream, type DomainEvent, type EventType } from "./events.js";
import { imageMachine } from "./image.machine.js";
import { podMachine } from "./pod.machine.js";
import { trustMachine } from "./trust.machine.js";
import type { JobSpec, LogRecord, RecordDraft } from "./log/index.js";
import { parseOrFail } from "./validate.js";

/** The machines, by the kind part of a stream name (`image/<uuid>`). */
export const MACHINES: Record<string, AnyStateMachine> = { image: imageMachine, pod: podMachine, trust: trustMachine };

export interface StreamEntry {
  stream: string;
  kind: string;
  state: PersistedState;
  lastSeq: number;
  /** Seq of the record whose jobs the current state waits for; a job carrying another seq is stale. */
  jobSeq: number | null;
  jobs: JobSpec[];
}

export interface Appender {
  readonly lastSeq: number;
  append(draft: RecordDraft): Promise<LogRecord>;
}

export interface EngineDeps {
  log: Appender;
  enqueue: (jobs: JobSpec[]) => Promise<void>;
  /** Called with every record, appended or replayed, in order (projections subscribe here). */
  onRecord?: (rec: LogRecord) => void;
  /** Called when jobs could not be enqueued; they stay pending until `retryPending()`. */
  onEnqueueError?: (err: unknown) => void;
}

export interface DispatchResult {
  accepted: boolean;
  /** The state of the stream afterwards (unchanged when not accepted). */
  state: PersistedState;
  record?: LogRecord;
}

/** Pure. The BullMQ job id of a job asked for by record `seq` of `stream` (BullMQ forbids `:` in ids). */
export function jobId(stream: string, seq: number, name: string): string {
  return `${stream.replaceAll("/", ".")}-${seq}-${name}`;
}

export class Engine {
  private readonly streams = new Map<string, StreamEntry>();
  private queue: Promise<unknown> = Promise.resolve();
  private pending: JobSpec[] = [];

  constructor(private readonly deps: EngineDeps) {}

  /** Pure (in memory). Folds a record read back from the log into the stream table, as at boot. */
  load(rec: LogRecord): void {
    if (rec.state !== undefined) {
      const kind = parseStream(rec.stream)?.kind ?? "";
      const prev = this.streams.get(rec.stream);
      const hasJobs = rec.jobs !== undefined && rec.jobs.length > 0;
      this.streams.set(rec.stream, {
        stream: rec.stream,
        kind,
        state: rec.state as PersistedState,
        lastSeq: rec.seq,
        jobSeq: hasJobs ? rec.seq : (prev?.jobSeq ?? null),
        jobs: hasJobs ? rec.jobs! : (prev?.jobs ?? []),
      });
    }
    this.deps.onRecord?.(rec);
  }

  stream(name: string): StreamEntry | undefined {
    return this.streams.get(name);
  }

  streamsOf(kind: string): StreamEntry[] {
    return [...this.streams.values()].filter((s) => s.kind === kind);
  }

  /** Effects (log, queue). Decides `event` against its stream and, if accepted, makes it durable and enqueues its jobs. */
  dispatch<T extends EventType>(event: DomainEvent<T>): Promise<DispatchResult> {
    const run = this.queue.then(() => this.dispatchNow(event));
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Effects (log, queue). Like dispatch, but the event is built inside the engine's serialized section:
   * what `build` reads from the projections (fed synchronously by onRecord) cannot change before the
   * event is appended. Address leases use it, so two concurrent creates never get the same address.
   */
  dispatchWith<T extends EventType>(build: () => DomainEvent<T>): Promise<DispatchResult> {
    const run = this.queue.then(() => this.dispatchNow(build()));
    this.queue = run.catch(() => {});
    return run;
  }

  /** Effects (queue). Enqueues again the jobs that could not be enqueued before. */
  async retryPending(): Promise<void> {
    const jobs = this.pending;
    this.pending = [];
    if (jobs.length > 0) await this.enqueue(jobs);
  }

  private async dispatchNow<T extends EventType>(event: DomainEvent<T>): Promise<DispatchResult> {
    if (!isEventType(event.type)) throw fail("invalid", "JP_ERR_EVENT_UNKNOWN", `unknown event type ${event.type}`);
    const where = parseStream(event.stream);
    const machine = where && MACHINES[where.kind];
    if (!where || !machine) throw fail("invalid", "JP_ERR_EVENT_STREAM", `no machine for stream ${event.stream}`);
    const data = parseOrFail(EVENT_DATA[event.type], event.data, "JP_ERR_EVENT_INVALID", `${event.type} event`);

    const entry = this.streams.get(event.stream);
    const current = entry?.state ?? initialState(machine, { uuid: where.key });
    const decision = decide(machine, current, { ...(data as object), type: event.type });
    if (!decision.accepted) return { accepted: false, state: current };

    const seq = this.deps.log.lastSeq + 1;
    const jobs: JobSpec[] = decision.jobs.map((p) => ({
      queue: p.queue,
      name: p.name,
      id: jobId(event.stream, seq, p.name),
      data: { stream: event.stream, jobSeq: seq, actor: event.actor, ...(event.op ? { op: event.op } : {}) },
    }));
    const draft: RecordDraft = {
      stream: event.stream,
      type: event.type,
      actor: event.actor,
      data,
      state: decision.state,
      ...(event.op ? { op: event.op } : {}),
      ...(jobs.length > 0 ? { jobs } : {}),
    };
    const record = await this.deps.log.append(draft);
    if (record.seq !== seq) throw fail("internal", "JP_ERR_LOG_SEQ", `log gave seq ${record.seq}, engine expected ${seq}: another writer?`);
    this.load(record);
    if (jobs.length > 0) await this.enqueue(jobs);
    return { accepted: true, state: decision.state, record };
  }

  private async enqueue(jobs: JobSpec[]): Promise<void> {
    try {
      await this.deps.enqueue(jobs);
    } catch (err) {
      this.pending.push(...jobs);
      this.deps.onEnqueueError?.(err);
    }
  }
}
