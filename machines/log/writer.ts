// The one writer of the event log. Appends are serialized; whatever queues up while a write + fdatasync
// is in flight goes down together in the next one (group commit), so many concurrent callers cost few
// fsyncs, and every append resolves only once its record is durable.
import { mkdir, realpath, type FileHandle } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fail, JetpackError } from "../errors.js";
import { handleLogFile, keepTornBytes, openError, openForAppend, syncDirectory, type LogFile } from "./log-file.js";
import { normalizeDraft, sealRecord, type ChainHead, type LogRecord, type NormalizedDraft, type RecordDraft } from "./record.js";
import { examineTail } from "./tail.js";

export interface TornTailInfo {
  /** How many bytes were cut from the end of the log. */
  bytes: number;
  reason: string;
  /** Where the cut bytes were kept. */
  savedTo: string;
}

export interface EventLogOptions {
  onTornTail?: (info: TornTailInfo) => void;
  /** The clock that stamps records; tests pin it. */
  now?: () => Date;
  /** Wraps the file the writer commits to; tests use it to inject write or fsync failures. */
  wrapFile?: (file: LogFile) => LogFile;
}

interface Pending {
  drafts: NormalizedDraft[];
  resolve: (records: LogRecord[]) => void;
  reject: (err: unknown) => void;
}

// Bounds one group commit, so a huge backlog goes down in several writes rather than one giant buffer.
const MAX_GROUP_RECORDS = 1000;

// Paths (resolved, and real when a symlink leads there) of the logs open in this process: one writer per file.
const openPaths = new Set<string>();

export class EventLog {
  readonly #path: string;
  readonly #file: LogFile;
  readonly #claims: string[];
  readonly #now: () => Date;
  #head: ChainHead;
  #size: number;
  #queue: Pending[] = [];
  #draining: Promise<void> | null = null;
  #closing: Promise<void> | null = null;
  #broken: JetpackError | null = null;
  #writes = 0;
  #fsyncs = 0;

  private constructor(path: string, file: LogFile, head: ChainHead, size: number, claims: string[], now: () => Date) {
    this.#path = path;
    this.#file = file;
    this.#head = head;
    this.#size = size;
    this.#claims = claims;
    this.#now = now;
  }

  /** Effects. Opens (creating, 0600) the log at `path`, cuts a torn last line, and learns where the chain stands. */
  static async open(path: string, opts: EventLogOptions = {}): Promise<EventLog> {
    const absolute = resolve(path);
    const claims: string[] = [];
    let handle: FileHandle | undefined;
    try {
      claim(absolute, claims);
      await mkdir(dirname(absolute), { recursive: true, mode: 0o700 });
      const opened = await openForAppend(absolute);
      handle = opened.handle;
      if (opened.created) await syncDirectory(dirname(absolute));
      const real = await realpath(absolute);
      if (real !== absolute) claim(real, claims);
      await handle.chmod(0o600);
      const { size } = await handle.stat();
      const tail = await examineTail(handle, size);
      const file = handleLogFile(handle);
      if (tail.cutAt < size) {
        const reason = tail.reasons.join("; ");
        const savedTo = await keepTornBytes(absolute, handle, tail.cutAt, size, reason);
        await file.truncate(tail.cutAt);
        opts.onTornTail?.({ bytes: size - tail.cutAt, reason, savedTo });
      }
      return new EventLog(absolute, opts.wrapFile ? opts.wrapFile(file) : file, tail.head, tail.cutAt, claims, opts.now ?? (() => new Date()));
    } catch (err) {
      for (const p of claims) openPaths.delete(p);
      await handle?.close().catch(() => undefined);
      throw openError(err, absolute);
    }
  }

  /** Pure. The absolute path of the log file. */
  get path(): string {
    return this.#path;
  }

  /** Pure. The seq of the last durable record; 0 for an empty log. */
  get lastSeq(): number {
    return this.#head.seq;
  }

  /** Pure. The hash of the last durable record; 64 zeros for an empty log. */
  get lastHash(): string {
    return this.#head.hash;
  }

  /** Pure. How many write calls the log has made (one per group commit). */
  get writes(): number {
    return this.#writes;
  }

  /** Pure. How many fdatasync calls the log has made (one per group commit). */
  get fsyncs(): number {
    return this.#fsyncs;
  }

  /** Effects. Appends one record; resolves with it once it is on disk (after fdatasync). */
  async append(draft: RecordDraft): Promise<LogRecord> {
    const [record] = await this.#enqueue([normalizeDraft(draft)]);
    return record as LogRecord;
  }

  /** Effects. Appends records in order with one write and one fdatasync: all of them are committed or none. */
  async appendMany(drafts: readonly RecordDraft[]): Promise<LogRecord[]> {
    const normalized = drafts.map(normalizeDraft);
    return normalized.length === 0 ? [] : this.#enqueue(normalized);
  }

  /** Effects. Waits for queued appends to finish, then closes the file; later appends fail. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      while (this.#draining) await this.#draining;
      try {
        await this.#file.close();
      } finally {
        for (const p of this.#claims) openPaths.delete(p);
      }
    })();
    return this.#closing;
  }

  #enqueue(drafts: NormalizedDraft[]): Promise<LogRecord[]> {
    if (this.#closing) {
      return Promise.reject(fail("unavailable", "JP_ERR_LOG_CLOSED", `the event log ${this.#path} is closed`));
    }
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      this.#queue.push({ drafts, resolve, reject });
      // Start on a later tick, so that appends issued together in one tick share the first commit too.
      this.#draining ??= Promise.resolve().then(() => this.#drain());
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) await this.#commit(this.#takeGroup());
    // Cleared in the same tick as the empty-queue check, so no append can slip in unserved.
    this.#draining = null;
  }

  #takeGroup(): Pending[] {
    const group: Pending[] = [];
    let records = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0] as Pending;
      if (group.length > 0 && records + next.drafts.length > MAX_GROUP_RECORDS) break;
      group.push(next);
      records += next.drafts.length;
      this.#queue.shift();
    }
    return group;
  }

  async #commit(group: Pending[]): Promise<void> {
    if (this.#broken) {
      for (const p of group) p.reject(this.#broken);
      return;
    }
    let head = this.#head;
    let sealed: LogRecord[][];
    let bytes: Buffer;
    try {
      const time = this.#now().toISOString();
      const lines: string[] = [];
      sealed = group.map((pending) =>
        pending.drafts.map((draft) => {
          const { record, line } = sealRecord(draft, head.seq + 1, time, head.hash);
          head = { seq: record.seq, hash: record.hash };
          lines.push(line);
          return record;
        }),
      );
      bytes = Buffer.from(lines.join(""), "utf8");
      this.#writes++;
      await this.#file.write(bytes);
      this.#fsyncs++;
      await this.#file.datasync();
    } catch (cause) {
      const err = await this.#rollBack(cause);
      for (const p of group) p.reject(err);
      return;
    }
    this.#head = head;
    this.#size += bytes.length;
    group.forEach((p, i) => p.resolve(sealed[i] as LogRecord[]));
  }

  // After a failed write or fsync the file may hold part of the group, and the page cache may not match
  // the disk. Cut back to the last durable size; if even that fails, refuse further appends until the log
  // is reopened (open re-reads the tail from disk and cuts what is torn).
  async #rollBack(cause: unknown): Promise<JetpackError> {
    const why = cause instanceof Error ? cause.message : String(cause);
    const err = fail("unavailable", "JP_ERR_LOG_WRITE", `could not write to the event log ${this.#path}: ${why}`, {
      hint: "Check the disk holding the log (free space, I/O errors); the record was not written.",
      cause,
    });
    try {
      await this.#file.truncate(this.#size);
    } catch (truncateCause) {
      this.#broken = fail("unavailable", "JP_ERR_LOG_WRITE", `the event log ${this.#path} is in an unknown state after a failed write: ${why}`, {
        hint: "Fix the disk, then restart the daemon: it cuts the torn tail when it reopens the log.",
        cause: truncateCause,
      });
    }
    return err;
  }
}

function claim(path: string, claims: string[]): void {
  if (openPaths.has(path)) {
    throw fail("conflict", "JP_ERR_LOG_BUSY", `the event log ${path} is already open in this process`, {
      hint: "Only one writer may hold the log: use the EventLog that is already open, or close it first.",
    });
  }
  openPaths.add(path);
  claims.push(path);
}
