// Decoding one 512-byte tar header block and pax extended-header records (POSIX ustar/pax and the GNU
// variants GNU tar writes). Pure.
//
// We decode tar ourselves rather than through a library so that every ambiguity a hostile archive
// could use to show one reader something else than another is refused here: bad checksums, numbers
// that do not parse, data attached to entry types that carry none, and anything after the
// end-of-archive marker (see tar-reader.ts).
import { formatError, quote } from "./aci-errors.js";

export const BLOCK = 512;

export type TarEntryType = "file" | "directory" | "symlink" | "link" | "fifo" | "character-device" | "block-device";
/** Header kinds that describe the next entry rather than being one. */
export type TarMetaType = "pax" | "pax-global" | "gnu-long-name" | "gnu-long-link";

export interface RawHeader {
  name: string;
  linkname: string;
  type: TarEntryType | TarMetaType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch; pax may make it fractional. */
  mtime: number;
  devmajor: number;
  devminor: number;
}

const TYPES: Record<string, TarEntryType | TarMetaType> = {
  "0": "file",
  "\0": "file",
  "7": "file", // contiguous file: a regular file everywhere that matters
  "1": "link",
  "2": "symlink",
  "3": "character-device",
  "4": "block-device",
  "5": "directory",
  "6": "fifo",
  x: "pax",
  g: "pax-global",
  L: "gnu-long-name",
  K: "gnu-long-link",
};

/** Entry types whose size must be zero: tar readers disagree on whether data follows them. */
export const HEADER_ONLY: ReadonlySet<string> = new Set(["directory", "symlink", "link", "fifo", "character-device", "block-device"]);

/** Pure. True for a block of 512 zero bytes (the end-of-archive marker). */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i += 8) if (block.readBigUInt64LE(i) !== 0n) return false;
  return true;
}

/** Pure. Decodes a header block found at `offset` of the uncompressed stream; throws JP_ERR_ACI_FORMAT. */
export function decodeHeader(block: Buffer, offset: number): RawHeader {
  const at = `tar header at byte ${offset}`;
  const stored = parseNumber(block, 148, 8, at, "checksum");
  const { unsigned, signed } = checksums(block);
  if (stored !== unsigned && stored !== signed) throw formatError(`${at}: bad checksum (the archive is corrupt or not a tar)`);
  const magic = block.toString("latin1", 257, 263);
  const gnu = magic === "ustar " && block[263] === 0x20 && block[264] === 0;
  if (magic !== "ustar\0" && !gnu) throw formatError(`${at}: not a ustar header (magic ${JSON.stringify(magic)})`);

  const flag = String.fromCharCode(block[156] ?? 0);
  const type = TYPES[flag];
  let name = cString(block, 0, 100);
  // GNU headers use the prefix field for other data; POSIX ones keep the leading path part there.
  const prefix = gnu ? "" : cString(block, 345, 155);
  if (prefix !== "") name = `${prefix}/${name}`;
  if (type === undefined) {
    throw formatError(`${at} (${quote(name)}): unsupported entry type ${JSON.stringify(flag)} (sparse, multi-volume and vendor types are refused)`);
  }
  return {
    name,
    linkname: cString(block, 157, 100),
    // Old archives mark directories only by a trailing slash on a regular-file entry.
    type: type === "file" && flag !== "7" && name.endsWith("/") ? "directory" : type,
    size: parseNumber(block, 124, 12, at, "size"),
    mode: parseNumber(block, 100, 8, at, "mode") & 0o7777,
    uid: parseNumber(block, 108, 8, at, "uid"),
    gid: parseNumber(block, 116, 8, at, "gid"),
    mtime: parseNumber(block, 136, 12, at, "mtime", true),
    devmajor: parseNumber(block, 329, 8, at, "devmajor"),
    devminor: parseNumber(block, 337, 8, at, "devminor"),
  };
}

function checksums(block: Buffer): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return { unsigned, signed };
}

function cString(block: Buffer, start: number, length: number): string {
  let end = block.indexOf(0, start);
  if (end < 0 || end > start + length) end = start + length;
  return block.toString("utf8", start, end);
}

/** Octal with optional space/NUL padding, or GNU base-256 when the top bit of the first byte is set. */
function parseNumber(block: Buffer, start: number, length: number, at: string, field: string, allowNegative = false): number {
  const first = block[start] as number;
  if (first & 0x80) {
    const negative = (first & 0x40) !== 0;
    if (negative && !allowNegative) throw formatError(`${at}: negative ${field}`);
    let v = 0;
    for (let i = 0; i < length; i++) {
      let b = block[start + i] as number;
      if (i === 0) b &= 0x7f;
      if (negative) b = ~b & (i === 0 ? 0x7f : 0xff);
      v = v * 256 + b;
      if (v > Number.MAX_SAFE_INTEGER) throw formatError(`${at}: ${field} is out of range`);
    }
    return negative ? -(v + 1) : v;
  }
  let i = start;
  const end = start + length;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const b = block[i] as number;
    if (b >= 0x30 && b <= 0x37) {
      v = v * 8 + (b - 0x30);
      digits++;
    } else break;
  }
  for (; i < end; i++) {
    if (block[i] !== 0x20 && block[i] !== 0) throw formatError(`${at}: the ${field} field is not an octal number`);
  }
  return digits === 0 ? 0 : v;
}

export interface PaxValues {
  path?: string;
  linkpath?: string;
  size?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
}

/**
 * Pure. Parses the records of a pax extended header (`<len> <key>=<value>\n`). Keys that matter for
 * extraction are returned; xattrs (`SCHILY.xattr.*`, `LIBARCHIVE.xattr.*`) and other keys are skipped
 * on purpose: we do not restore extended attributes (security.capability and friends would need a
 * policy first). GNU sparse files are refused, since their data would come out scrambled.
 */
export function parsePax(body: Buffer, offset: number, into: PaxValues = {}): PaxValues {
  const at = `pax header at byte ${offset}`;
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) {
      if (body.subarray(pos).every((b) => b === 0)) break; // NUL padding after the last record
    }
    const space = body.indexOf(0x20, pos);
    const lenText = space < 0 ? "" : body.toString("latin1", pos, space);
    const len = /^[1-9][0-9]{0,7}$/.test(lenText) ? Number(lenText) : NaN;
    if (!(len > 0) || pos + len > body.length || body[pos + len - 1] !== 0x0a) throw formatError(`${at}: malformed record`);
    const record = body.toString("utf8", space + 1, pos + len - 1);
    pos += len;
    const eq = record.indexOf("=");
    if (eq <= 0) throw formatError(`${at}: malformed record`);
    applyPax(into, record.slice(0, eq), record.slice(eq + 1), at);
  }
  return into;
}

function applyPax(into: PaxValues, key: string, value: string, at: string): void {
  if (key.startsWith("GNU.sparse.")) throw formatError(`${at}: GNU sparse files are not supported`);
  switch (key) {
    case "path":
    case "linkpath":
      // An empty value cancels a global one (POSIX); we only track the per-entry form.
      if (value === "") delete into[key];
      else into[key] = value;
      return;
    case "size":
    case "uid":
    case "gid":
      if (!/^[0-9]{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) throw formatError(`${at}: bad ${key} ${quote(value)}`);
      into[key] = Number(value);
      return;
    case "mtime": {
      const t = Number(value);
      if (!/^-?[0-9]{1,16}(\.[0-9]{1,12})?$/.test(value) || !Number.isFinite(t)) throw formatError(`${at}: bad mtime ${quote(value)}`);
      into.mtime = t;
      return;
    }
    default:
      return;
  }
}
