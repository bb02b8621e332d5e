// Telling the compression of an ACI from its first bytes (spec §1.1, like the reference
// aci.DetectFileType). Pure.
import { formatError } from "./aci-errors.js";

export type Compression = "none" | "gzip" | "bzip2" | "xz";

/** How many leading bytes detection wants to see: the ustar magic sits at offset 257. */
export const DETECT_HEAD_BYTES = 512;

const GZIP = Buffer.from([0x1f, 0x8b]);
const BZIP2 = Buffer.from("BZh", "latin1");
const XZ = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const USTAR = Buffer.from("ustar", "latin1");
const USTAR_OFFSET = 257;

/**
 * Pure. The compression of an ACI given its first bytes (at least 262 for a plain tar); throws
 * JP_ERR_ACI_FORMAT naming what was found instead.
 */
export function detectCompression(head: Buffer): Compression {
  if (startsWith(head, GZIP, 0)) return "gzip";
  if (startsWith(head, BZIP2, 0)) return "bzip2";
  if (startsWith(head, XZ, 0)) return "xz";
  if (startsWith(head, USTAR, USTAR_OFFSET)) return "none";
  throw formatError(`not an ACI: ${describeHead(head)}; expected a tar, or gzip, bzip2 or xz data`);
}

function startsWith(buf: Buffer, magic: Buffer, at: number): boolean {
  return buf.length >= at + magic.length && buf.subarray(at, at + magic.length).equals(magic);
}

const KNOWN: ReadonlyArray<[Buffer, string]> = [
  [Buffer.from("PK\x03\x04", "latin1"), "a zip archive"],
  [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), "zstd data"],
  [Buffer.from("-----BEGIN PGP", "latin1"), "an armoured PGP block (a signature given as the image?)"],
  [Buffer.from([0x7f, 0x45, 0x4c, 0x46]), "an ELF executable"],
  [Buffer.from("<", "latin1"), "markup (an HTML error page?)"],
  [Buffer.from("{", "latin1"), "JSON (a bare manifest?)"],
];

/** Pure. A short human description of what a file starts with, for error messages. */
export function describeHead(head: Buffer): string {
  if (head.length === 0) return "the file is empty";
  const hex = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  for (const [magic, what] of KNOWN) if (startsWith(head, magic, 0)) return `found ${what} (starts with ${hex})`;
  if (head.length < USTAR_OFFSET + USTAR.length) return `found only ${head.length} bytes (starting ${hex}), too short for a tar`;
  const text = head.subarray(0, 64).every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f));
  return text ? `found text starting ${JSON.stringify(head.subarray(0, 24).toString("latin1"))}` : `found unknown data starting ${hex}`;
}
