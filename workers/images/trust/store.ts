// The trust store: which OpenPGP keys may sign images, per image-name prefix or for every name (root).
//
//   <dir>/                      0700
//   <dir>/root/<fingerprint>    armored public key trusted for every image name
//   <dir>/prefix/<p>/<fpr>      trusted for names under prefix p ("/" written as ","), matched per segment
//
// Files are 0600 and replaced atomically. Reading is suspicious of the files: a file whose name is not
// its key's fingerprint, that other users can write, or that is not a regular file, is ignored with a
// warning, since each is a sign of tampering (or of a hand edit gone wrong) and must never widen trust.
import { randomUUID } from "node:crypto";
import { chmod, lstat, mkdir, open, readdir, readFile, rename, rmdir, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { PublicKey } from "openpgp";
import { fail } from "../../../machines/errors.js";
import { isCanonicalFingerprint, normalizeFingerprint } from "./fingerprint.js";
import { keyDescription, messageOf, parseOneKey, unusableReason, type KeyDescription } from "./keys.js";
import { dirNameToPrefix, prefixError, prefixMatches, prefixToDirName } from "./prefix.js";

export type TrustScope = { prefix: string } | { root: true };

export interface TrustedKey extends KeyDescription {
  /** The name prefix the key is trusted for; null for a root key (every name). */
  prefix: string | null;
  /** The file holding the key. */
  path: string;
}

/** A trusted key with its parsed form, as verification needs it. */
export interface TrustEntry {
  info: TrustedKey;
  key: PublicKey;
}

export interface TrustStoreOptions {
  /** Where warnings about ignored key files go; by default process.emitWarning. */
  warn?: (message: string) => void;
}

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

export class TrustStore {
  readonly dir: string;
  private readonly warn: (message: string) => void;

  constructor(dir: string, options: TrustStoreOptions = {}) {
    this.dir = resolve(dir);
    this.warn = options.warn ?? ((message) => process.emitWarning(message, { type: "JetpackTrustWarning", code: "JP_WARN_TRUST_KEY_IGNORED" }));
  }

  /**
   * Effects. Trusts `armoredKey` for `scope`; with `fingerprint`, only if the key has exactly that
   * fingerprint. Stores the public part only. Adding a key again replaces its file (how a renewed key,
   * with a later expiry, gets in).
   */
  async add(armoredKey: string, scope: TrustScope, opts: { fingerprint?: string } = {}): Promise<TrustedKey> {
    const prefix = scopePrefix(scope);
    const key = await parseOneKey(armoredKey);
    const description = await keyDescription(key);
    if (opts.fingerprint !== undefined) checkPinned(description.fingerprint, opts.fingerprint);
    const unusable = await unusableReason(key, new Date());
    if (unusable !== undefined) {
      throw fail("invalid", "JP_ERR_TRUST_KEY_UNUSABLE", `key ${description.fingerprint} cannot sign images: ${unusable.reason}`, {
        hint: unusable.expired ? "ask the image's publisher for their renewed key" : "ask the image's publisher for a valid signing key",
      });
    }
    const dir = prefix === null ? join(this.dir, "root") : join(this.dir, "prefix", prefixToDirName(prefix));
    await this.ensureDir(dir);
    const path = join(dir, description.fingerprint);
    await writeFileAtomic(dir, description.fingerprint, key.armor());
    return { ...description, prefix, path };
  }

  /** Effects. Every trusted key with its scope: root keys first, then by prefix and fingerprint. */
  async list(): Promise<TrustedKey[]> {
    return (await this.entries()).map((e) => e.info);
  }

  /** Effects. Stops trusting the key `fingerprint` for every scope; returns how many files went. */
  async remove(fingerprint: string): Promise<number> {
    const fpr = normalizeFingerprint(fingerprint);
    if (fpr === undefined) throw notAFingerprint(fingerprint);
    let removed = 0;
    for (const dir of [join(this.dir, "root"), ...(await this.prefixDirs()).map((p) => p.dir)]) {
      try {
        await unlink(join(dir, fpr));
        removed++;
      } catch (err) {
        if (codeOf(err) !== "ENOENT") throw err;
      }
    }
    for (const { dir } of await this.prefixDirs()) await rmdir(dir).catch(() => undefined); // only empty ones go
    if (removed === 0) {
      throw fail("not_found", "JP_ERR_TRUST_KEY_NOT_FOUND", `no trusted key has the fingerprint ${fpr}`, {
        hint: "`jetpack trust list` shows the trusted keys and their fingerprints",
      });
    }
    return removed;
  }

  /** Effects. The keys trusted for image `name`: root keys and keys whose prefix matches per segment. */
  async keysFor(name: string): Promise<PublicKey[]> {
    return (await this.entriesFor(name)).map((e) => e.key);
  }

  /** Effects. As keysFor, with each key's description and scope; the most specific scope first. */
  async entriesFor(name: string): Promise<TrustEntry[]> {
    const matching = (await this.entries()).filter((e) => e.info.prefix === null || prefixMatches(e.info.prefix, name));
    return matching.sort((a, b) => (b.info.prefix?.length ?? -1) - (a.info.prefix?.length ?? -1));
  }

  /** Effects. Every loadable key file of the store, in list() order. */
  async entries(): Promise<TrustEntry[]> {
    const out: TrustEntry[] = [];
    for (const path of await this.keyFiles(join(this.dir, "root"))) {
      const entry = await this.load(path, null);
      if (entry !== undefined) out.push(entry);
    }
    const prefixes = (await this.prefixDirs()).sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
    for (const { dir, prefix } of prefixes) {
      for (const path of await this.keyFiles(dir)) {
        const entry = await this.load(path, prefix);
        if (entry !== undefined) out.push(entry);
      }
    }
    return out;
  }

  private async prefixDirs(): Promise<Array<{ dir: string; prefix: string }>> {
    const base = join(this.dir, "prefix");
    const out: Array<{ dir: string; prefix: string }> = [];
    for (const entry of await readdirOrEmpty(base)) {
      if (entry.name.startsWith(".")) continue;
      const dir = join(base, entry.name);
      const prefix = dirNameToPrefix(entry.name);
      if (!entry.isDirectory() || prefix === undefined) {
        this.warn(`ignoring ${dir}: not a directory named after an image-name prefix`);
        continue;
      }
      out.push({ dir, prefix });
    }
    return out;
  }

  private async keyFiles(dir: string): Promise<string[]> {
    const names = (await readdirOrEmpty(dir)).map((e) => e.name).filter((n) => !n.startsWith(".")); // dot files: interrupted writes
    return names.sort().map((n) => join(dir, n));
  }

  private async load(path: string, prefix: string | null): Promise<TrustEntry | undefined> {
    const name = path.slice(path.lastIndexOf("/") + 1);
    if (!isCanonicalFingerprint(name)) return this.ignore(path, "its name is not a key fingerprint");
    const stat = await lstat(path).catch((err: unknown) => {
      if (codeOf(err) === "ENOENT") return undefined; // removed while we listed
      throw err;
    });
    if (stat === undefined) return undefined;
    if (!stat.isFile()) return this.ignore(path, "it is not a regular file");
    if ((stat.mode & 0o022) !== 0) return this.ignore(path, "other users can write it");
    let key: PublicKey;
    try {
      key = await parseOneKey(await readFile(path, "utf8"), path);
    } catch (err) {
      return this.ignore(path, messageOf(err));
    }
    const description = await keyDescription(key);
    if (description.fingerprint !== name) return this.ignore(path, `it holds the key ${description.fingerprint}, not the one it is named after`);
    return { info: { ...description, prefix, path }, key };
  }

  private ignore(path: string, why: string): undefined {
    this.warn(`ignoring trusted key file ${path}: ${why}`);
    return undefined;
  }

  private async ensureDir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    // mkdir leaves existing directories as they were, and the umask may have trimmed new ones
    for (let d = dir; d.length >= this.dir.length; d = d.slice(0, d.lastIndexOf("/"))) await chmod(d, DIR_MODE);
  }
}

function scopePrefix(scope: TrustScope): string | null {
  if ("root" in scope && scope.root === true) return null;
  const prefix = (scope as { prefix?: unknown }).prefix;
  if (typeof prefix !== "string") throw fail("invalid", "JP_ERR_TRUST_PREFIX", "a trust scope needs an image-name prefix or root");
  const error = prefixError(prefix);
  if (error !== undefined) {
    throw fail("invalid", "JP_ERR_TRUST_PREFIX", `cannot trust a key for "${prefix}": ${error}`, {
      hint: "give an image-name prefix such as example.com or example.com/org",
    });
  }
  return prefix;
}

function checkPinned(actual: string, expected: string): void {
  const pinned = normalizeFingerprint(expected);
  if (pinned === undefined) throw notAFingerprint(expected);
  if (pinned !== actual) {
    throw fail("invalid", "JP_ERR_TRUST_FINGERPRINT", `the key has the fingerprint ${actual}, not the expected ${pinned}`, {
      hint: "the key is not the one you meant to trust: check where it came from",
    });
  }
}

function notAFingerprint(s: string) {
  return fail("invalid", "JP_ERR_TRUST_FINGERPRINT", `"${s}" is not a full OpenPGP fingerprint (40 hex digits)`, {
    hint: "copy the whole fingerprint, as `gpg --fingerprint` prints it; short key ids are not accepted",
  });
}

/** Writes `<dir>/<name>` whole or not at all: a temp file, fsync, rename, fsync of the directory. */
async function writeFileAtomic(dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `.${name}.${randomUUID()}.tmp`);
  try {
    const fh = await open(tmp, "wx", FILE_MODE);
    try {
      await fh.writeFile(text);
      await fh.chmod(FILE_MODE);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, name));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  const d = await open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

async function readdirOrEmpty(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (codeOf(err) === "ENOENT") return [];
    throw err;
  }
}

function codeOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}
