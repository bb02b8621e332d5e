// Building ACI files for tests, good and hostile: raw tars made with tar-stream, compressed with
// node:zlib or the bzip2/xz tools (tests may start processes directly).
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";

export type AciEntryType = "file" | "directory" | "symlink" | "link" | "fifo" | "character-device" | "block-device";

export interface AciEntry {
  name: string;
  type?: AciEntryType;
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  /** A Date, or seconds since the epoch. */
  mtime?: Date | number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extra pax records; giving any (even `{}`) puts the name in a pax header, where NUL bytes survive. */
  pax?: Record<string, string>;
}

export interface BuildAciOptions {
  /** An object (written as JSON), raw bytes, null for no manifest entry; default minimalManifest("example.com/test"). Written first. */
  manifest?: object | Buffer | null;
  entries: AciEntry[];
  compression?: "none" | "gzip" | "bzip2" | "xz";
  /** Rewrites the uncompressed tar before compression (truncate it, append garbage...). */
  tamper?: (tar: Buffer) => Buffer;
}

/** A valid ImageManifest for `name` (linux/amd64), with `extra` fields merged over it. */
export function minimalManifest(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    acKind: "ImageManifest",
    acVersion: "0.8.11",
    name,
    labels: [
      { name: "os", value: "linux" },
      { name: "arch", value: "amd64" },
    ],
    app: { exec: ["/bin/sh"], user: "0", group: "0" },
    ...extra,
  };
}

/** The uncompressed tar of an ACI. */
export async function buildTar(opts: Pick<BuildAciOptions, "manifest" | "entries">): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = new Promise<Buffer>((resolve, reject) => {
    pack.on("data", (c: unknown) => chunks.push(c as Buffer));
    pack.on("end", () => resolve(Buffer.concat(chunks)));
    pack.on("error", reject);
  });
  const manifest = opts.manifest === undefined ? minimalManifest("example.com/test") : opts.manifest;
  if (manifest !== null) {
    const bytes = Buffer.isBuffer(manifest) ? manifest : Buffer.from(JSON.stringify(manifest, null, 2));
    await addEntry(pack, { name: "manifest", type: "file", mode: 0o644, content: bytes });
  }
  for (const e of opts.entries) await addEntry(pack, e);
  pack.finalize();
  return collected;
}

/** An ACI file's bytes. */
export async function buildAci(opts: BuildAciOptions): Promise<Buffer> {
  let raw = await buildTar(opts);
  if (opts.tamper) raw = opts.tamper(raw);
  return compress(raw, opts.compression ?? "gzip");
}

/** Writes an ACI file at `path`. */
export async function writeAci(path: string, opts: BuildAciOptions): Promise<void> {
  await writeFile(path, await buildAci(opts));
}

/** Compresses bytes the way ACIs are (gzip in-process, bzip2 and xz with their tools). */
export async function compress(raw: Buffer, compression: "none" | "gzip" | "bzip2" | "xz"): Promise<Buffer> {
  switch (compression) {
    case "none":
      return raw;
    case "gzip":
      return gzipSync(raw);
    case "bzip2":
      return filter("bzip2", ["-c"], raw);
    case "xz":
      return filter("xz", ["-c", "-T1"], raw);
  }
}

function addEntry(pack: tar.Pack, e: AciEntry): Promise<void> {
  const type = e.type ?? "file";
  const content = e.content === undefined ? undefined : Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content);
  const header: tar.Header & { pax?: Record<string, string> } = {
    size: 0,
    uname: "",
    gname: "",
    linkname: "",
    name: e.name,
    type,
    mode: e.mode ?? (type === "directory" ? 0o755 : 0o644),
    uid: e.uid ?? 0,
    gid: e.gid ?? 0,
    mtime: e.mtime === undefined ? new Date(1_600_000_000_000) : typeof e.mtime === "number" ? new Date(e.mtime * 1000) : e.mtime,
    devmajor: e.devmajor ?? 0,
    devminor: e.devminor ?? 0,
  };
  if (e.linkname !== undefined) header.linkname = e.linkname;
  else delete (header as Partial<tar.Header>).linkname;
  if (e.pax !== undefined) header.pax = e.pax;
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    if (type === "file") pack.entry(header, content ?? Buffer.alloc(0), done);
    else pack.entry(header, done).end(undefined);
  });
}

function filter(cmd: string, args: string[], input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
    const out: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${cmd} exited ${code}`))));
    child.stdin.end(input);
  });
}

export interface RawHeaderFields {
  name?: string;
  /** POSIX ustar prefix field (ignored in GNU headers). */
  prefix?: string;
  /** The type flag character ("0" file, "5" directory, "x" pax, "L" GNU long name, ...). */
  type?: string;
  /** A number (written in octal) or the raw 12 bytes of the field. */
  size?: number | Buffer;
  mode?: number;
  uid?: number;
  mtime?: number;
  linkname?: string;
  gnu?: boolean;
}

/** One hand-made 512-byte tar header block (for archives tar-stream will not write), checksum set. */
export function tarHeaderBlock(fields: RawHeaderFields): Buffer {
  const b = Buffer.alloc(512);
  b.write(fields.name ?? "rootfs/file", 0, "utf8");
  b.write(`${(fields.mode ?? 0o644).toString(8).padStart(7, "0")}\0`, 100, "latin1");
  b.write(`${(fields.uid ?? 0).toString(8).padStart(7, "0")}\0`, 108, "latin1");
  b.write("0000000\0", 116, "latin1");
  if (Buffer.isBuffer(fields.size)) fields.size.copy(b, 124);
  else b.write(`${(fields.size ?? 0).toString(8).padStart(11, "0")}\0`, 124, "latin1");
  b.write(`${(fields.mtime ?? 1_600_000_000).toString(8).padStart(11, "0")}\0`, 136, "latin1");
  b.write(fields.type ?? "0", 156, "latin1");
  if (fields.linkname) b.write(fields.linkname, 157, "utf8");
  b.write(fields.gnu ? "ustar  \0" : "ustar\u000000", 257, "latin1");
  if (fields.prefix) b.write(fields.prefix, 345, "utf8");
  setChecksum(b);
  return b;
}

/** Recomputes the checksum of a header block edited in place. */
export function setChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
}

/** One pax extended-header record, `<len> key=value\n`. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len++;
  return `${len}${body}`;
}

/** A body padded with zeros to whole 512-byte blocks. */
export function tarBody(data: Buffer | string): Buffer {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
}

/** The offset of the header block of the entry named `name` in an uncompressed tar (-1 if absent). */
export function findHeader(tar: Buffer, name: string): number {
  for (let off = 0; off + 512 <= tar.length; off += 512) {
    const end = tar.indexOf(0, off);
    if (tar.toString("utf8", off, Math.min(end < 0 ? off + 100 : end, off + 100)) === name && tar.toString("latin1", off + 257, off + 262) === "ustar") return off;
  }
  return -1;
}
