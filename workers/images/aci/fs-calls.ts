// The file system calls of the safe writer, as promises, and the errors they turn into. Effects.
//
// Plain fds through promisify rather than fs/promises FileHandles: measured here, creating small
// files costs about half the CPU that way, which matters at four or more calls per extracted file.
import fs from "node:fs";
import { promisify } from "node:util";
import { fail } from "../../../machines/errors.js";
import { ACI_ERR, unsafePath } from "./aci-errors.js";

export const fsp = {
  open: promisify(fs.open),
  close: promisify(fs.close),
  write: promisify(fs.write) as (fd: number, b: Buffer, off: number, len: number) => Promise<{ bytesWritten: number }>,
  fchown: promisify(fs.fchown),
  fchmod: promisify(fs.fchmod),
  futimes: promisify(fs.futimes),
  lstat: promisify(fs.lstat),
  mkdir: promisify(fs.mkdir),
  symlink: promisify(fs.symlink),
  link: promisify(fs.link),
  unlink: promisify(fs.unlink),
  lchown: promisify(fs.lchown),
  lutimes: promisify(fs.lutimes),
  chmod: promisify(fs.chmod),
  rm: fs.promises.rm,
  realpath: fs.promises.realpath,
};

export const EUID = process.geteuid?.() ?? -1;
export const EGID = process.getegid?.() ?? -1;
let cachedUmask: number | undefined;
/** Effects. The process umask, read once (reading it means setting it; nothing else here changes it). */
export function umask(): number {
  cachedUmask ??= process.umask();
  return cachedUmask;
}

/** Effects. Writes all of `buf` at the fd's position. */
export async function writeAll(fd: number, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) off += (await fsp.write(fd, buf, off, buf.length - off)).bytesWritten;
}

/** Pure. The errno code of a failure, if it has one. */
export function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Pure. A file system failure on the entry `label` as a JetpackError (other errors pass through). */
export function fsError(e: unknown, label: string): unknown {
  const code = errno(e);
  if (!code || !(e instanceof Error) || code.startsWith("JP_ERR_")) return e;
  switch (code) {
    case "ENAMETOOLONG":
      return unsafePath(label, "the path is too long for the file system");
    case "ELOOP":
    case "ENOTDIR":
      return unsafePath(label, `a path component is not a directory (${code})`);
    case "ENOSPC":
    case "EDQUOT":
      return fail("unavailable", ACI_ERR.NO_SPACE, `no space left on the target while writing ${label}`, { hint: "free space in the pool (or raise its quota) and import again", cause: e });
    default:
      return fail("internal", ACI_ERR.WRITE, `writing ${label} failed: ${e.message}`, { cause: e });
  }
}
