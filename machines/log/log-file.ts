// The file system side of the writer: opening the log for appending, and the few calls a commit makes,
// behind a small interface so tests can inject a failing disk.
import { open, type FileHandle } from "node:fs/promises";
import { constants } from "node:fs";
import { basename, dirname } from "node:path";
import { fail, JetpackError } from "../errors.js";

/** The calls a commit makes on the log file. */
export interface LogFile {
  /** Appends all of `bytes` at the end of the file. */
  write(bytes: Buffer): Promise<void>;
  /** fdatasync: the bytes written so far survive a crash once this resolves. */
  datasync(): Promise<void>;
  /** Cuts the file back to `length` bytes and makes that durable. */
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** Effects. A LogFile over an open file handle. */
export function handleLogFile(handle: FileHandle): LogFile {
  return {
    async write(bytes) {
      // A write to a regular file may be short (a signal, a full disk); loop until all of it is down.
      for (let done = 0; done < bytes.length; ) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, null);
        done += bytesWritten;
      }
    },
    datasync: () => handle.datasync(),
    async truncate(length) {
      await handle.truncate(length);
      await handle.sync();
    },
    close: () => handle.close(),
  };
}

/** Effects. Opens (or creates, mode 0600) the log for reading and appending; says whether it was created. */
export async function openForAppend(path: string): Promise<{ handle: FileHandle; created: boolean }> {
  const { O_RDWR, O_APPEND, O_CREAT, O_EXCL } = constants;
  try {
    return { handle: await open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL, 0o600), created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return { handle: await open(path, O_RDWR | O_APPEND), created: false };
  }
}

/** Effects. fsyncs a directory, so that a file just created in it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Effects. Appends the bytes [from, to) of the log to `<log>.torn` (0600) before they are cut, with a
 * header line saying when and why, and returns that file's path. A torn tail is never trusted, but a
 * whole record cut for not linking may be evidence (a deleted line before it), so it is kept, not lost.
 */
export async function keepTornBytes(logPath: string, handle: FileHandle, from: number, to: number, reason: string): Promise<string> {
  const savedTo = `${logPath}.torn`;
  const bytes = Buffer.alloc(to - from);
  for (let done = 0; done < bytes.length; ) {
    const { bytesRead } = await handle.read(bytes, done, bytes.length - done, from + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  const header = JSON.stringify({ cut: new Date().toISOString(), log: basename(logPath), offset: from, bytes: bytes.length, reason });
  const sidecar = await open(savedTo, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
  try {
    await sidecar.writeFile(Buffer.concat([Buffer.from(`${header}\n`), bytes, Buffer.from("\n")]));
    await sidecar.sync();
  } finally {
    await sidecar.close();
  }
  await syncDirectory(dirname(savedTo));
  return savedTo;
}

/** Pure. A file system error met while opening the log, as a JetpackError naming the file. */
export function openError(err: unknown, path: string): JetpackError {
  if (err instanceof JetpackError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === "EACCES" || code === "EPERM") {
    return fail("permission_denied", "JP_ERR_LOG_OPEN", `cannot open the event log ${path}: ${message}`, {
      hint: "Run the daemon as root, or fix the permissions of the log's directory.",
      cause: err,
    });
  }
  return fail("unavailable", "JP_ERR_LOG_OPEN", `cannot open the event log ${path}: ${message}`, {
    hint: "Check that the path is a regular file on a writable, mounted file system with free space.",
    cause: err,
  });
}
