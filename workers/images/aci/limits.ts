// The bounds an ACI must stay within while we read it. Pure.
//
// Archives are hostile until proven otherwise: every quantity an archive controls (bytes after
// decompression, number of entries, manifest size, name lengths, memory we keep per entry) is bounded
// here, so that a decompression bomb or millions of tiny entries fail with a clear error instead of
// filling the disk or the heap.
import { fail } from "../../../machines/errors.js";

export interface AciLimits {
  /** Largest `manifest` entry accepted, in bytes (default 1 MiB). */
  maxManifestBytes?: number;
  /** Largest uncompressed tar stream accepted, in bytes (default 64 GiB). */
  maxTotalBytes?: number;
  /** Most tar entries accepted, counting every header that names a file (default 5,000,000). */
  maxEntries?: number;
}

export type ResolvedLimits = Required<AciLimits>;

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

export const DEFAULT_LIMITS: ResolvedLimits = Object.freeze({
  maxManifestBytes: 1 * MIB,
  maxTotalBytes: 64 * GIB,
  maxEntries: 5_000_000,
});

/** Linux PATH_MAX, counting the terminating NUL: no path we hand to the kernel may be longer. */
export const PATH_MAX = 4096;
/** Linux NAME_MAX: the longest single path component. */
export const NAME_MAX = 255;
/** A pax extended header or GNU long-name record longer than this is refused (names are bounded anyway). */
export const MAX_META_RECORD_BYTES = 1 * MIB;
/**
 * Directory names are remembered until the end (their times are set last). This caps the characters kept,
 * so that millions of deep directories cannot exhaust the heap; real images stay far below it.
 */
export const MAX_DEFERRED_DIR_NAME_CHARS = 256 * MIB;

/** Pure. Fills in the defaults and refuses bounds that are not positive safe integers. */
export function resolveLimits(partial: AciLimits = {}): ResolvedLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof AciLimits)[]) {
    const v = partial[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v <= 0) {
      throw fail("invalid", "JP_ERR_ACI_LIMITS", `ACI limit ${key} must be a positive integer, got ${String(v)}`);
    }
    out[key] = v;
  }
  return out;
}
