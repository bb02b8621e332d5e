// A streaming tar reader over the uncompressed bytes of an ACI that also computes its image ID.
// Effects: consumes an async iterator of chunks; no file system access.
//
// Every uncompressed byte passes through `pull()`, which hashes it (sha512, the image ID is the hash
// of the whole uncompressed tar, spec §1.2) and counts it against maxTotalBytes before anything
// else sees it. Entry bodies are handed out as slices of the chunks, never copied or buffered whole.
// (Hashing on a worker thread was tried: on a 2-CPU host it gained nothing, since gunzip, the file
// system calls and the hash already keep both CPUs busy.)
import { createHash, type Hash } from "node:crypto";
import { ACI_ERR, formatError, quote, tooLarge, truncatedError } from "./aci-errors.js";
import { MAX_META_RECORD_BYTES } from "./limits.js";
import { BLOCK, decodeHeader, HEADER_ONLY, isZeroBlock, parsePax, type PaxValues, type RawHeader, type TarEntryType } from "./tar-header.js";

/** A header once pax and GNU long names are folded in: always a real entry, never a meta record. */
export interface TarEntry extends Omit<RawHeader, "type"> {
  type: TarEntryType;
  /** Byte offset of the entry's header in the uncompressed stream (for messages). */
  offset: number;
}

const ZEROS = Buffer.alloc(64 * 1024);
/** The largest uid/gid Linux stores; 2^32-1 means "unchanged" to chown. */
const MAX_ID = 0xfffffffe;

export class TarReader {
  /** Absent when only the manifest is wanted (pass 1). */
  private readonly hash: Hash | undefined;
  private readonly chunks: AsyncIterator<Buffer>;
  private readonly maxTotalBytes: number;
  private cur: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Bytes pulled from the source so far (the uncompressed size once finished). */
  bytes = 0;
  /** Bytes consumed by the parser (headers, bodies, padding). */
  private consumed = 0;
  /** Body bytes of the current entry not yet consumed, then its padding. */
  private bodyLeft = 0;
  private padLeft = 0;
  private ended = false;
  private globalPax: PaxValues = {};

  constructor(chunks: AsyncIterable<Buffer> | AsyncIterator<Buffer>, opts: { maxTotalBytes: number; hash: boolean }) {
    this.chunks = Symbol.asyncIterator in chunks ? (chunks as AsyncIterable<Buffer>)[Symbol.asyncIterator]() : (chunks as AsyncIterator<Buffer>);
    this.maxTotalBytes = opts.maxTotalBytes;
    this.hash = opts.hash ? createHash("sha512") : undefined;
  }

  /** The next entry, with pax and GNU long names applied; null at the end-of-archive marker. */
  async next(): Promise<TarEntry | null> {
    if (this.ended) return null;
    await this.skip(this.bodyLeft + this.padLeft);
    this.bodyLeft = this.padLeft = 0;
    let pax: PaxValues = { ...this.globalPax };
    let longName: string | undefined;
    let longLink: string | undefined;
    let pendingMeta = false;
    for (;;) {
      const offset = this.consumed;
      const block = await this.readExact(BLOCK);
      if (block === null) throw truncatedError(`the tar ends at byte ${offset} without an end-of-archive marker`);
      if (isZeroBlock(block)) {
        if (pendingMeta) {
          throw formatError(`tar header at byte ${offset}: an extended header is not followed by an entry`);
        }
        this.ended = true;
        return null;
      }
      const h = decodeHeader(block, offset);
      if (h.type === "pax" || h.type === "pax-global" || h.type === "gnu-long-name" || h.type === "gnu-long-link") {
        if (h.size > MAX_META_RECORD_BYTES) throw formatError(`tar header at byte ${offset}: a ${h.type} record of ${h.size} bytes is too large`);
        const body = await this.readExact(h.size);
        if (body === null) throw truncatedError(`it ends inside the ${h.type} record at byte ${offset}`);
        await this.skip(padding(h.size));
        if (h.type !== "pax-global") pendingMeta = true;
        if (h.type === "pax") pax = parsePax(body, offset, pax);
        else if (h.type === "pax-global") {
          this.globalPax = parsePax(body, offset, this.globalPax);
          pax = { ...this.globalPax, ...pax };
        } else {
          const text = body.toString("utf8", 0, body.indexOf(0) < 0 ? body.length : body.indexOf(0));
          if (h.type === "gnu-long-name") longName = text;
          else longLink = text;
        }
        continue;
      }
      const entry: TarEntry = {
        name: pax.path ?? longName ?? h.name,
        linkname: pax.linkpath ?? longLink ?? h.linkname,
        type: h.type,
        size: pax.size ?? h.size,
        mode: h.mode,
        uid: pax.uid ?? h.uid,
        gid: pax.gid ?? h.gid,
        mtime: pax.mtime ?? h.mtime,
        devmajor: h.devmajor,
        devminor: h.devminor,
        offset,
      };
      if (HEADER_ONLY.has(entry.type) && entry.size !== 0) {
        throw formatError(`tar entry ${quote(entry.name)} at byte ${offset}: a ${entry.type} entry must not carry data (size ${entry.size})`);
      }
      if (entry.uid > MAX_ID || entry.gid > MAX_ID) {
        throw formatError(`tar entry ${quote(entry.name)} at byte ${offset}: owner ${entry.uid}:${entry.gid} is out of range`);
      }
      if (entry.size > this.maxTotalBytes) {
        throw tooLarge(ACI_ERR.TOO_LARGE, `tar entry ${quote(entry.name)} claims ${entry.size} bytes, over the limit of ${this.maxTotalBytes} bytes`);
      }
      this.bodyLeft = entry.size;
      this.padLeft = padding(entry.size);
      return entry;
    }
  }

  /** The current entry's body as slices of the stream, in order (reading them consumes the body). */
  async *body(): AsyncGenerator<Buffer> {
    while (this.bodyLeft > 0) {
      if (this.pos >= this.cur.length && !(await this.pull())) throw this.truncatedBody();
      const take = Math.min(this.bodyLeft, this.cur.length - this.pos);
      const slice = this.cur.subarray(this.pos, this.pos + take);
      this.pos += take;
      this.bodyLeft -= take;
      this.consumed += take;
      yield slice;
    }
  }

  /** The current entry's whole body in one buffer: only for bodies the caller has bounded. */
  async readBody(): Promise<Buffer> {
    const n = this.bodyLeft;
    const buf = await this.readExact(n);
    if (buf === null) throw this.truncatedBody();
    this.bodyLeft = 0;
    return buf;
  }

  /**
   * After next() returned null: reads the rest of the stream, which must be zeros (padding to the
   * record size), so that nothing can hide behind the end-of-archive marker, and returns the image ID
   * (or `` when not hashing).
   */
  async finish(): Promise<string> {
    if (!this.ended) throw new Error("TarReader.finish() before the end of the archive");
    for (;;) {
      const rest = this.cur.subarray(this.pos);
      this.pos = this.cur.length;
      for (let i = 0; i < rest.length; i += ZEROS.length) {
        const part = rest.subarray(i, i + ZEROS.length);
        if (!part.equals(ZEROS.subarray(0, part.length))) {
          throw formatError(`trailing data after the end-of-archive marker (at byte ${this.consumed + i}): the archive hides content other tar readers would not see`);
        }
      }
      this.consumed += rest.length;
      if (!(await this.pull())) break;
    }
    return this.hash ? `sha512-${this.hash.digest("hex")}` : "";
  }

  private truncatedBody(): Error {
    return truncatedError(`it ends inside an entry body at byte ${this.consumed}`);
  }

  /** Fetches the next chunk into `cur`; false at the end of the stream. */
  private async pull(): Promise<boolean> {
    for (;;) {
      const r = await this.chunks.next();
      if (r.done) return false;
      const chunk = r.value;
      if (chunk.length === 0) continue;
      this.bytes += chunk.length;
      if (this.bytes > this.maxTotalBytes) {
        throw tooLarge(ACI_ERR.TOO_LARGE, `the uncompressed archive is larger than the limit of ${this.maxTotalBytes} bytes (a decompression bomb?)`);
      }
      this.hash?.update(chunk);
      this.cur = chunk;
      this.pos = 0;
      return true;
    }
  }

  /** Exactly n bytes (a copy only when they span chunks); null if the stream ends first. */
  private async readExact(n: number): Promise<Buffer | null> {
    if (this.cur.length - this.pos >= n) {
      const out = this.cur.subarray(this.pos, this.pos + n);
      this.pos += n;
      this.consumed += n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      if (this.pos >= this.cur.length && !(await this.pull())) return null;
      const take = Math.min(n - filled, this.cur.length - this.pos);
      this.cur.copy(out, filled, this.pos, this.pos + take);
      this.pos += take;
      filled += take;
      this.consumed += take;
    }
    return out;
  }

  private async skip(n: number): Promise<void> {
    while (n > 0) {
      if (this.pos >= this.cur.length && !(await this.pull())) throw this.truncatedBody();
      const take = Math.min(n, this.cur.length - this.pos);
      this.pos += take;
      this.consumed += take;
      n -= take;
    }
  }
}

function padding(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}
