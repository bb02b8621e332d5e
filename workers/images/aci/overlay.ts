// Laying a rendered rootfs (a dependency layer already on disk) over a target, with the same
// overwrite rules and the same safe writer as extraction. Effects.
import fs from "node:fs";
import { promisify } from "node:util";
import { SafeWriter, type EntryMeta } from "./safe-writer.js";

const lstat = promisify(fs.lstat);
const readdir = promisify(fs.readdir);
const readlink = promisify(fs.readlink);
const open = promisify(fs.open);
const read = promisify(fs.read) as (fd: number, b: Buffer, off: number, len: number, pos: number) => Promise<{ bytesRead: number }>;
const close = promisify(fs.close);

/** Files up to this size are read whole and written in the background; larger ones stream. */
const SMALL_FILE = 1024 * 1024;

/**
 * Effects. Copies the tree `src` onto `target`: owners, modes (setuid included), mtimes, symlinks as
 * symlinks, hard links within `src` as hard links, devices and FIFOs. A file replaces a file, a
 * directory merges into a directory, and a symlink in the target is replaced, never followed.
 * Sockets are skipped (they are runtime leftovers; actool build skips them too).
 */
export async function overlayTree(src: string, target: string): Promise<void> {
  const writer = await SafeWriter.open(target, { label: (rel) => `${src}/${rel}` });
  const links = new Map<string, string>();
  try {
    const rootStat = await lstat(src);
    await writer.directory("", metaOf(rootStat));
    await copyDir(src, "", writer, links);
    await writer.finish();
  } catch (err) {
    await writer.settle();
    throw err;
  }
}

async function copyDir(src: string, dir: string, writer: SafeWriter, links: Map<string, string>): Promise<void> {
  const names = (await readdir(dir === "" ? src : `${src}/${dir}`)).sort();
  for (const name of names) {
    const rel = dir === "" ? name : `${dir}/${name}`;
    const path = `${src}/${rel}`;
    const st = await lstat(path);
    const meta = metaOf(st);
    if (st.isDirectory()) {
      await writer.directory(rel, meta);
      await copyDir(src, rel, writer, links);
    } else if (st.isFile()) {
      const inode = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(inode) : undefined;
      if (first !== undefined) {
        await writer.hardlink(rel, first);
        continue;
      }
      if (st.nlink > 1) links.set(inode, rel);
      await writer.file(rel, meta, st.size <= SMALL_FILE ? await readSmall(path, st.size) : streamFile(path));
    } else if (st.isSymbolicLink()) {
      await writer.symlink(rel, await readlink(path), meta);
    } else if (st.isFIFO()) {
      await writer.special(rel, "fifo", meta, 0, 0);
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = splitDev(st.rdev);
      await writer.special(rel, st.isCharacterDevice() ? "character-device" : "block-device", meta, major, minor);
    }
  }
}

function metaOf(st: fs.Stats): EntryMeta {
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtimeMs / 1000 };
}

async function readSmall(path: string, size: number): Promise<Buffer> {
  const fd = await open(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await read(fd, buf, off, size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return off === size ? buf : buf.subarray(0, off);
  } finally {
    await close(fd);
  }
}

async function* streamFile(path: string): AsyncGenerator<Buffer> {
  const fd = await open(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  yield* fs.createReadStream(path, { fd, highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>;
}

/** Linux's dev_t layout (glibc gnu_dev_major/minor). */
function splitDev(rdev: number): { major: number; minor: number } {
  const r = BigInt(rdev);
  const major = Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn));
  const minor = Number((r & 0xffn) | ((r >> 12n) & ~0xffn));
  return { major, minor };
}
