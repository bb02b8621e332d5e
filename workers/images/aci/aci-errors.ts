// The errors of the ACI codec, one constructor per code, so that messages and hints stay uniform. Pure.
import { fail, JetpackError } from "../../../machines/errors.js";

export const ACI_ERR = {
  /** Not an archive we can read: unknown compression, corrupt or truncated data, bad tar headers. */
  FORMAT: "JP_ERR_ACI_FORMAT",
  /** The archive breaks the ACI layout: names beside `manifest` and `rootfs`, rootfs not a directory. */
  LAYOUT: "JP_ERR_ACI_LAYOUT",
  DUPLICATE: "JP_ERR_ACI_DUPLICATE_ENTRY",
  NO_MANIFEST: "JP_ERR_ACI_NO_MANIFEST",
  MANIFEST_TOO_LARGE: "JP_ERR_ACI_MANIFEST_TOO_LARGE",
  /** An entry would escape the target or write through a link. */
  UNSAFE_PATH: "JP_ERR_ACI_UNSAFE_PATH",
  TOO_LARGE: "JP_ERR_ACI_TOO_LARGE",
  TOO_MANY_ENTRIES: "JP_ERR_ACI_TOO_MANY_ENTRIES",
  TARGET: "JP_ERR_ACI_TARGET",
  NO_SPACE: "JP_ERR_ACI_NO_SPACE",
  WRITE: "JP_ERR_ACI_WRITE",
  ABORTED: "JP_ERR_ACI_ABORTED",
} as const;

const HOSTILE_HINT = "the image is malformed or hostile: rebuild it with actool build, or do not trust its source";

/** Pure. The archive is not a readable (compressed) tar. */
export function formatError(message: string, cause?: unknown): JetpackError {
  return fail("invalid", ACI_ERR.FORMAT, message, { hint: FORMAT_HINT, cause });
}

/** Pure. The tar data stops early; the decompressor may know why (see Decompression.diagnose). */
export function truncatedError(message: string): JetpackError {
  return fail("invalid", ACI_ERR.FORMAT, `truncated archive: ${message}`, { hint: FORMAT_HINT, details: { truncated: true } });
}

/** Pure. True for an error made by truncatedError. */
export function isTruncation(err: unknown): boolean {
  return err instanceof JetpackError && (err.details as { truncated?: unknown } | undefined)?.truncated === true;
}

const FORMAT_HINT = "check that the file is a complete ACI (a tar, optionally gzip, bzip2 or xz compressed)";

/** Pure. The archive breaks the ACI layout rules (spec §1.1). */
export function layoutError(message: string): JetpackError {
  return fail("invalid", ACI_ERR.LAYOUT, message, { hint: "an ACI holds exactly `manifest` (a file) and `rootfs/` (a directory)" });
}

/** Pure. An entry that would land outside the target or be written through a link. */
export function unsafePath(entry: string, why: string): JetpackError {
  return fail("invalid", ACI_ERR.UNSAFE_PATH, `unsafe entry ${quote(entry)}: ${why}`, { hint: HOSTILE_HINT, details: { entry } });
}

/** Pure. The same name appears twice (after cleaning), or contradicts an earlier entry. */
export function duplicateEntry(entry: string, why: string): JetpackError {
  return fail("invalid", ACI_ERR.DUPLICATE, `duplicate entry ${quote(entry)}: ${why}`, { hint: HOSTILE_HINT, details: { entry } });
}

/** Pure. The archive is over one of its bounds. */
export function tooLarge(code: typeof ACI_ERR.TOO_LARGE | typeof ACI_ERR.TOO_MANY_ENTRIES | typeof ACI_ERR.MANIFEST_TOO_LARGE, message: string): JetpackError {
  return fail("invalid", code, message, { hint: "the archive exceeds the import limits; raise them only if you trust the image" });
}

/** Pure. Quotes an archive-controlled name for a message, keeping control characters visible and the length sane. */
export function quote(name: string): string {
  const shown = name.length > 200 ? `${name.slice(0, 120)}…(${name.length} chars)…${name.slice(-40)}` : name;
  return JSON.stringify(shown);
}
