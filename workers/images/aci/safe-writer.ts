// The one piece of code that writes entries into a target tree, shared by extractAci and overlayTree.
// Effects: file system writes, and mknod/mkfifo through the exec chokepoint (Node has no mknod).
//
// The guarantee: nothing is written outside `root`, and no symlink is ever followed.
// - Every parent component is checked to be a real directory (lstat, or created by us) before an
//   entry is written below it; a symlink or a file in the way fails with JP_ERR_ACI_UNSAFE_PATH, even
//   one left by a lower layer, whatever it points to.
// - The last component is always created with a call that refuses an existing name (O_CREAT|O_EXCL,
//   mkdir, symlink, link, mknod). An existing entry is removed first (lstat, then unlink, or a
//   recursive removal that does not follow links), never opened.
// - Metadata goes through file descriptors or l* calls.
// Overwrite semantics (spec §2): a non-directory replaces whatever is there; a directory merges into a
// directory and replaces anything else (a symlink to a directory included).
import fs from "node:fs";
import { fail } from "../../../machines/errors.js";
import { run } from "../../host/exec.js";
import { ACI_ERR, tooLarge, unsafePath } from "./aci-errors.js";
import { EGID, errno, EUID, fsError, fsp, umask, writeAll } from "./fs-calls.js";
import { MAX_DEFERRED_DIR_NAME_CHARS } from "./limits.js";
import { depthOf, parentOf } from "./path-rules.js";
import { WritePool } from "./write-pool.js";

export interface EntryMeta {
  /** Permission bits including setuid, setgid and sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch (used for both atime and mtime). */
  mtime: number;
}

export type SpecialKind = "fifo" | "character-device" | "block-device";

export interface SafeWriterOptions {
  /** How an entry is named in errors (`rel` is the path inside the target). */
  label?: (rel: string) => string;
}

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = fs.constants;
const CREATE_FILE = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
const OPEN_DIR = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
const S_ISGID = 0o2000;

const MAX_BACKGROUND_TASKS = 64;
const MAX_BACKGROUND_BYTES = 32 * 1024 * 1024;
/** Verified directories are cached; past this many the cache restarts (memory stays bounded). */
const MAX_KNOWN_DIRS = 16384;

export class SafeWriter {
  /**
   * Directories verified to be real (created by us, or lstat'ed), mapped to whether new entries in
   * them get the directory's group (setgid) rather than ours.
   */
  private readonly known = new Map<string, boolean>();
  private readonly pool = new WritePool(MAX_BACKGROUND_TASKS, MAX_BACKGROUND_BYTES);
  private readonly deferred: Array<{ rel: string; meta: EntryMeta }> = [];
  private deferredChars = 0;
  private readonly label: (rel: string) => string;
  private readonly rootSetgid: boolean;

  private constructor(
    readonly root: string,
    rootSetgid: boolean,
    opts: SafeWriterOptions,
  ) {
    this.label = opts.label ?? ((rel) => rel || ".");
    this.rootSetgid = rootSetgid;
    this.known.set("", rootSetgid);
  }

  /** Effects. A writer into `target`, which must be an existing directory (symlinks to it are resolved once, here). */
  static async open(target: string, opts: SafeWriterOptions = {}): Promise<SafeWriter> {
    let root: string;
    let st: fs.Stats;
    try {
      root = await fsp.realpath(target);
      st = await fsp.lstat(root);
      if (!st.isDirectory()) throw new Error("not a directory");
    } catch (e) {
      throw fail("invalid", ACI_ERR.TARGET, `the target ${target} is not an existing directory (${(e as Error).message})`, { cause: e });
    }
    return new SafeWriter(root, (st.mode & S_ISGID) !== 0, opts);
  }

  /** Effects. Makes `rel` a real directory (creating, merging, or replacing a non-directory); its metadata is set by finish(). */
  async directory(rel: string, meta?: EntryMeta): Promise<void> {
    if (rel !== "") {
      await this.ensureParents(rel);
      if (!this.known.has(rel)) await this.guard(rel, () => this.makeDirectory(rel));
    }
    if (meta) this.defer(rel, meta);
  }

  /** Effects. Writes a regular file. A Buffer body is written in the background; a stream is written before this returns. */
  async file(rel: string, meta: EntryMeta, body: Buffer | AsyncIterable<Buffer>): Promise<void> {
    await this.ensureParents(rel);
    if (Buffer.isBuffer(body)) {
      await this.pool.room(body.length);
      this.pool.start(rel, body.length, () => this.guard(rel, () => this.writeFile(rel, meta, body)));
      return;
    }
    await this.pool.room(0);
    await this.guard(rel, () => this.writeFile(rel, meta, body));
  }

  /** Effects. Creates a symlink holding `target` as text (never resolved). */
  async symlink(rel: string, target: string, meta: EntryMeta): Promise<void> {
    await this.ensureParents(rel);
    await this.pool.room(0);
    this.pool.start(rel, 0, () =>
      this.guard(rel, async () => {
        const path = this.abs(rel);
        await this.createReplacing(rel, () => fsp.symlink(target, path));
        if (this.needsChown(rel, meta)) await fsp.lchown(path, meta.uid, meta.gid);
        await fsp.lutimes(path, meta.mtime, meta.mtime);
      }),
    );
  }

  /** Effects. Creates a hard link at `rel` to `existingRel`, which this writer wrote before and must not be a directory or symlink. */
  async hardlink(rel: string, existingRel: string): Promise<void> {
    await this.ensureParents(rel);
    await this.ensureParents(existingRel);
    await this.pool.waitFor(existingRel);
    await this.guard(rel, async () => {
      const existing = this.abs(existingRel);
      const st = await fsp.lstat(existing);
      if (st.isDirectory() || st.isSymbolicLink()) {
        throw unsafePath(this.label(rel), `the hard link target ${this.label(existingRel)} is a ${st.isDirectory() ? "directory" : "symlink"}`);
      }
      await this.createReplacing(rel, () => fsp.link(existing, this.abs(rel)));
    });
  }

  /** Effects. Creates a FIFO or a device node (through mkfifo/mknod: Node cannot). */
  async special(rel: string, kind: SpecialKind, meta: EntryMeta, major: number, minor: number): Promise<void> {
    await this.ensureParents(rel);
    await this.pool.room(0);
    this.pool.start(rel, 0, () =>
      this.guard(rel, async () => {
        const path = this.abs(rel);
        // The tools cannot tell us EEXIST apart from other failures, so clear the name first.
        await this.removeIfPresent(rel);
        const mode = (meta.mode & 0o777).toString(8);
        if (kind === "fifo") await run("mkfifo", ["-m", mode, "--", path]);
        else await run("mknod", ["-m", mode, "--", path, kind === "character-device" ? "c" : "b", String(major), String(minor)]);
        await fsp.lchown(path, meta.uid, meta.gid);
        await fsp.chmod(path, meta.mode & 0o7777); // after chown, which clears setuid/setgid
        await fsp.lutimes(path, meta.mtime, meta.mtime);
      }),
    );
  }

  /** Effects. Waits for background writes, then sets directory metadata deepest first; throws the first failure. */
  async finish(): Promise<void> {
    await this.pool.drain();
    // Writing a child changes its directory's mtime, so directories come last. Setting a directory's
    // own metadata does not touch its parent, so within this pass the order is only for tidiness.
    const dirs = this.deferred.splice(0).sort((a, b) => depthOf(b.rel) - depthOf(a.rel));
    for (const { rel, meta } of dirs) {
      await this.pool.room(0);
      this.pool.start(`dir:${rel}`, 0, () => this.guard(rel, () => this.setDirectoryMeta(rel, meta)));
    }
    await this.pool.drain();
  }

  /** Effects. Waits for background writes and ignores their failures (before the caller gives up on the target). */
  async settle(): Promise<void> {
    await this.pool.settle();
  }

  private abs(rel: string): string {
    return rel === "" ? this.root : `${this.root}/${rel}`;
  }

  private defer(rel: string, meta: EntryMeta): void {
    this.deferredChars += rel.length + 16;
    if (this.deferredChars > MAX_DEFERRED_DIR_NAME_CHARS) {
      throw tooLarge(ACI_ERR.TOO_LARGE, `the archive has more directory names than the importer keeps in memory (over ${MAX_DEFERRED_DIR_NAME_CHARS} characters)`);
    }
    this.deferred.push({ rel, meta });
  }

  /** Every parent of `rel` must be a real directory: verified (lstat) or created (mkdir) top-down, then cached. */
  private async ensureParents(rel: string): Promise<void> {
    const parent = parentOf(rel);
    if (this.known.has(parent)) return;
    if (this.known.size > MAX_KNOWN_DIRS) {
      this.known.clear();
      this.known.set("", this.rootSetgid);
    }
    let p = "";
    for (const part of parent.split("/")) {
      p = p === "" ? part : `${p}/${part}`;
      if (this.known.has(p)) continue;
      await this.guard(rel, () => this.verifyDirectory(p, rel));
    }
  }

  private async verifyDirectory(p: string, forRel: string): Promise<void> {
    let st: fs.Stats;
    try {
      st = await fsp.lstat(this.abs(p));
    } catch (e) {
      if (errno(e) !== "ENOENT") throw e;
      try {
        await fsp.mkdir(this.abs(p), 0o755); // an implied directory, as tar makes them
      } catch (e2) {
        if (errno(e2) !== "EEXIST") throw e2;
        return this.verifyDirectory(p, forRel);
      }
      this.known.set(p, this.known.get(parentOf(p)) === true); // mkdir inherits setgid
      return;
    }
    if (!st.isDirectory()) {
      const what = st.isSymbolicLink() ? "a symlink" : "not a directory";
      throw unsafePath(this.label(forRel), `its parent ${this.label(p)} is ${what} on disk; writing through it is refused`);
    }
    this.known.set(p, (st.mode & S_ISGID) !== 0);
  }

  private async makeDirectory(rel: string): Promise<void> {
    const path = this.abs(rel);
    try {
      await fsp.mkdir(path, 0o700); // private until finish() sets the real mode
    } catch (e) {
      if (errno(e) !== "EEXIST") throw e;
      const st = await fsp.lstat(path);
      if (st.isDirectory()) {
        this.known.set(rel, (st.mode & S_ISGID) !== 0); // merge into the directory already there
        return;
      }
      await fsp.unlink(path); // a symlink (to a directory or not) or another non-directory: replaced
      await fsp.mkdir(path, 0o700);
    }
    this.known.set(rel, this.known.get(parentOf(rel)) === true);
  }

  private async writeFile(rel: string, meta: EntryMeta, body: Buffer | AsyncIterable<Buffer>): Promise<void> {
    const path = this.abs(rel);
    const perm = meta.mode & 0o777;
    const fd = await this.createReplacing(rel, () => fsp.open(path, CREATE_FILE, perm));
    try {
      if (Buffer.isBuffer(body)) await writeAll(fd, body);
      else for await (const chunk of body) await writeAll(fd, chunk);
      // Most files are root's, with a mode the umask leaves alone: two system calls saved per file.
      if (this.needsChown(rel, meta)) await fsp.fchown(fd, meta.uid, meta.gid);
      if ((meta.mode & 0o7777) !== (perm & ~umask())) await fsp.fchmod(fd, meta.mode & 0o7777); // after chown, which clears setuid/setgid
      await fsp.futimes(fd, meta.mtime, meta.mtime);
    } finally {
      await fsp.close(fd);
    }
  }

  private async setDirectoryMeta(rel: string, meta: EntryMeta): Promise<void> {
    const fd = await fsp.open(this.abs(rel), OPEN_DIR);
    try {
      await fsp.fchown(fd, meta.uid, meta.gid);
      await fsp.fchmod(fd, meta.mode & 0o7777);
      await fsp.futimes(fd, meta.mtime, meta.mtime);
    } finally {
      await fsp.close(fd);
    }
  }

  /** Runs an exclusive create; if the name exists, removes what is there (never following it) and tries once more. */
  private async createReplacing<T>(rel: string, create: () => Promise<T>): Promise<T> {
    try {
      return await create();
    } catch (e) {
      if (errno(e) !== "EEXIST") throw e;
    }
    await this.removeIfPresent(rel);
    return create();
  }

  private async removeIfPresent(rel: string): Promise<void> {
    const path = this.abs(rel);
    let st: fs.Stats;
    try {
      st = await fsp.lstat(path);
    } catch (e) {
      if (errno(e) === "ENOENT") return;
      throw e;
    }
    if (!st.isDirectory()) return fsp.unlink(path);
    // A lower layer's directory replaced by a non-directory: its whole subtree goes (rm does not follow links).
    for (const d of this.known.keys()) if (d === rel || d.startsWith(`${rel}/`)) this.known.delete(d);
    await fsp.rm(path, { recursive: true, force: true });
  }

  /** Whether a new entry at `rel` would not already have the owner `meta` asks for. */
  private needsChown(rel: string, meta: EntryMeta): boolean {
    return meta.uid !== EUID || meta.gid !== EGID || this.known.get(parentOf(rel)) !== false;
  }

  /** Runs a file system step for the entry `rel`, turning errno failures into errors that name it. */
  private async guard<T>(rel: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (e) {
      throw fsError(e, this.label(rel));
    }
  }
}
