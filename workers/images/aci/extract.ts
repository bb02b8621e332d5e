// Pass 2 of an import: one streaming pass over the whole ACI that decompresses it, hashes the
// uncompressed tar into the image ID, enforces the archive rules and writes `rootfs/*` into the target
// (which may already hold lower dependency layers). Effects.
//
// On failure the target is left part-written: the caller destroys the dataset it made for it. Nothing
// is ever written outside the target, and no write is still running when the promise settles.
import type { Readable } from "node:stream";
import { ACI_ERR, layoutError, quote, tooLarge } from "./aci-errors.js";
import { openAciStream } from "./aci-stream.js";
import { ArchiveLedger } from "./archive-ledger.js";
import type { Compression } from "./detect.js";
import { throwIfAborted, type ProgressFn } from "./input.js";
import { resolveLimits, type AciLimits, type ResolvedLimits } from "./limits.js";
import { checkSymlinkTarget, classifyName, cleanEntryName, hardlinkTargetRel } from "./path-rules.js";
import { SafeWriter, type EntryMeta } from "./safe-writer.js";
import type { TarEntry, TarReader } from "./tar-reader.js";

export interface ExtractAciOptions {
  /** The raw bytes of the ACI file, compressed or not. Read to the end on success. */
  source: NodeJS.ReadableStream | Readable;
  /** An existing directory that becomes the rootfs. */
  target: string;
  /** Compressed bytes consumed so far; called at most every ~100 ms or 8 MiB, and once at the end. */
  onProgress?: ProgressFn;
  limits?: AciLimits;
  signal?: AbortSignal;
}

export interface ExtractAciResult {
  /** `sha512-` and the 128 hex digits of the sha512 of the uncompressed tar (spec §1.2). */
  imageId: string;
  manifestBytes: Buffer;
  compression: Compression;
  uncompressedBytes: number;
  /** Tar entries read, `manifest` and `rootfs` included. */
  entries: number;
}

/** File bodies up to this size are read whole and written in the background; larger ones stream. */
const SMALL_FILE = 1024 * 1024;

/**
 * Effects. Extracts an ACI into `target` in one pass and returns its image ID and raw manifest.
 * Refuses hostile or malformed archives with JP_ERR_ACI_* errors (see aci-errors.ts).
 */
export async function extractAci(opts: ExtractAciOptions): Promise<ExtractAciResult> {
  const limits = resolveLimits(opts.limits);
  let writer: SafeWriter;
  try {
    writer = await SafeWriter.open(opts.target, { label: (rel) => (rel === "" ? "rootfs" : `rootfs/${rel}`) });
  } catch (err) {
    (opts.source as Partial<Readable>).destroy?.(); // nobody else will read it
    throw err;
  }
  const stream = await openAciStream(opts.source, { maxTotalBytes: limits.maxTotalBytes, hash: true, onProgress: opts.onProgress, signal: opts.signal });
  const ledger = new ArchiveLedger();
  let manifestBytes: Buffer | undefined;
  let entries = 0;
  try {
    for (let e = await stream.reader.next(); e !== null; e = await stream.reader.next()) {
      throwIfAborted(opts.signal);
      if (++entries > limits.maxEntries) throw tooLarge(ACI_ERR.TOO_MANY_ENTRIES, `the ACI has more than ${limits.maxEntries} entries`);
      const manifest = await placeEntry(e, stream.reader, ledger, writer, limits);
      if (manifest) manifestBytes = manifest;
    }
    const imageId = await stream.reader.finish();
    await stream.finished();
    ledger.finish();
    await writer.finish();
    return {
      imageId,
      manifestBytes: manifestBytes as Buffer, // ledger.finish() refused an archive without one
      compression: stream.compression,
      uncompressedBytes: stream.reader.bytes,
      entries,
    };
  } catch (err) {
    await writer.settle();
    throw await stream.explain(err);
  } finally {
    stream.close();
  }
}

/** Checks one entry against the archive rules and writes it; returns the manifest's bytes for the manifest. */
async function placeEntry(e: TarEntry, reader: TarReader, ledger: ArchiveLedger, writer: SafeWriter, limits: ResolvedLimits): Promise<Buffer | undefined> {
  const where = classifyName(cleanEntryName(e.name));
  const meta: EntryMeta = { mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime };
  switch (where.kind) {
    case "archive-root":
      if (e.type !== "directory") throw layoutError(`the archive root entry ${quote(e.name)} is a ${e.type}; only a directory may stand there`);
      return undefined;
    case "outside":
      throw layoutError(`entry ${quote(e.name)} is outside rootfs/; an ACI holds only \`manifest\` and \`rootfs/\``);
    case "manifest":
      ledger.admitManifest(e.name, e.type);
      if (e.size > limits.maxManifestBytes) {
        throw tooLarge(ACI_ERR.MANIFEST_TOO_LARGE, `the manifest is ${e.size} bytes, over the limit of ${limits.maxManifestBytes} bytes`);
      }
      return Buffer.from(await reader.readBody());
    case "rootfs":
      ledger.admitRootfs(e.name, e.type);
      await writer.directory("", meta);
      return undefined;
    case "rootfs-child":
      break;
  }
  const rel = where.rel;
  switch (e.type) {
    case "directory":
      ledger.admitChild(e.name, rel, "directory");
      await writer.directory(rel, meta);
      break;
    case "file":
      ledger.admitChild(e.name, rel, "file");
      await writer.file(rel, meta, e.size <= SMALL_FILE ? await reader.readBody() : reader.body());
      break;
    case "symlink":
      checkSymlinkTarget(e.name, e.linkname);
      ledger.admitChild(e.name, rel, "symlink");
      await writer.symlink(rel, e.linkname, meta);
      break;
    case "link": {
      const targetRel = hardlinkTargetRel(e.name, e.linkname);
      ledger.admitHardlink(e.name, rel, targetRel, e.linkname);
      await writer.hardlink(rel, targetRel);
      break;
    }
    case "fifo":
    case "character-device":
    case "block-device":
      ledger.admitChild(e.name, rel, e.type);
      await writer.special(rel, e.type, meta, e.devmajor, e.devminor);
      break;
  }
  return undefined;
}
