// The resume decisions of a download, as plain data in and out. Pure: no I/O.
//
// A partial download is two files: `<dest>.partial` (the body bytes received so far) and
// `<dest>.partial.json` (the validators of the version those bytes belong to). `planResume` decides from
// them what to ask the server for; `decideResponse` decides what the server's answer means for the bytes
// on disk. The effects in download.ts only carry these decisions out.
import { z } from "zod";
import type { ErrorKind } from "../../../../machines/errors.js";

export const VALIDATORS_VERSION = 1;

/** What identifies the version of the resource whose bytes are in the partial file. */
export interface Validators {
  v: typeof VALIDATORS_VERSION;
  /** The URL the caller asked for (before redirects): the identity of this download. */
  url: string;
  etag: string | null;
  lastModified: string | null;
  /** Full length of the resource, when the server said it. */
  total: number | null;
}

export const validatorsSchema = z.object({
  v: z.literal(VALIDATORS_VERSION),
  url: z.string().min(1),
  etag: z.string().nullable(),
  lastModified: z.string().nullable(),
  total: z.number().int().nonnegative().nullable(),
});

export type ResumePlan =
  /** Ask for the whole body. `discardPartial`: the files on disk cannot be trusted and must go first. */
  | { kind: "fresh"; discardPartial: boolean; reason: string }
  /** Ask for `bytes=<from>-`, only if the resource still matches `ifRange`. */
  | { kind: "resume"; from: number; ifRange: string; validators: Validators };

/** The response headers that matter here, already reduced to single strings. */
export interface ResponseHead {
  status: number;
  contentLength: string | null;
  contentRange: string | null;
  etag: string | null;
  lastModified: string | null;
}

export type ResponseDecision =
  /** Append the body to the partial file, which already holds `from` bytes of this same version. */
  | { kind: "append"; from: number; validators: Validators }
  /** Empty the partial file, record the new validators, then write the body from byte zero. */
  | { kind: "restart"; validators: Validators }
  /** The partial file already holds the whole resource. */
  | { kind: "complete"; validators: Validators }
  /** The answer cannot be used with the partial file: drop it and ask again without a Range. */
  | { kind: "retry-fresh"; reason: string }
  | { kind: "fail"; errorKind: ErrorKind; code: string; message: string; discardPartial: boolean };

/** Pure. A strong entity tag (`"x"`), which is the only kind RFC 9110 allows in If-Range. */
export function isStrongEtag(etag: string | null): etag is string {
  return etag !== null && etag.startsWith('"') && etag.endsWith('"') && etag.length >= 2;
}

/** Pure. The If-Range value for a version: its strong ETag, else its Last-Modified, else none. */
export function ifRangeValue(v: Pick<Validators, "etag" | "lastModified">): string | null {
  if (isStrongEtag(v.etag)) return v.etag;
  return v.lastModified;
}

/** Pure. Whether the bytes on disk can be resumed, and how. `partialSize` is null when there is no partial file. */
export function planResume(input: { url: string; validators: Validators | null; partialSize: number | null }): ResumePlan {
  const { url, validators, partialSize } = input;
  if (partialSize === null) return { kind: "fresh", discardPartial: validators !== null, reason: "no partial file" };
  if (validators === null) return { kind: "fresh", discardPartial: true, reason: "partial file without validators" };
  if (validators.url !== url) return { kind: "fresh", discardPartial: true, reason: `partial file belongs to ${validators.url}` };
  if (partialSize === 0) return { kind: "fresh", discardPartial: true, reason: "partial file is empty" };
  if (validators.total !== null && partialSize > validators.total) {
    return { kind: "fresh", discardPartial: true, reason: `partial file (${partialSize} bytes) is longer than the resource (${validators.total})` };
  }
  const ifRange = ifRangeValue(validators);
  if (ifRange === null) return { kind: "fresh", discardPartial: true, reason: "no strong ETag or Last-Modified to resume against" };
  return { kind: "resume", from: partialSize, ifRange, validators };
}

/** Pure. The request headers a plan adds. */
export function rangeHeaders(plan: ResumePlan): Record<string, string> {
  if (plan.kind === "fresh") return {};
  return { range: `bytes=${plan.from}-`, "if-range": plan.ifRange };
}

export type ContentRange = { start: number; end: number; total: number | null } | { unsatisfied: true; total: number };

/** Pure. Parses `bytes 10-99/100`, `bytes 10-99/*` or `bytes *\/100`; null for anything else. */
export function parseContentRange(value: string | null): ContentRange | null {
  if (value === null) return null;
  const unsatisfied = /^bytes \*\/(\d+)$/i.exec(value.trim());
  if (unsatisfied) return { unsatisfied: true, total: Number(unsatisfied[1]) };
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/i.exec(value.trim());
  if (!m) return null;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const total = m[3] === "*" ? null : Number(m[3]);
  if (end < start || (total !== null && end >= total)) return null;
  return { start, end, total };
}

/** Pure. A Content-Length header as a number, or null when absent or malformed. */
export function parseContentLength(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}

function tooLarge(url: string, size: number, maxBytes: number): ResponseDecision {
  return {
    kind: "fail",
    errorKind: "invalid",
    code: "JP_ERR_FETCH_TOO_LARGE",
    message: `${url} is ${size} bytes, more than the limit of ${maxBytes} bytes`,
    discardPartial: true,
  };
}

/** Pure. The error a final (non-redirect) status other than 200/206/416 stands for. */
export function statusFailure(status: number, url: string): ResponseDecision & { kind: "fail" } {
  const where = `${url} answered HTTP ${status}`;
  if (status === 404 || status === 410) return { kind: "fail", errorKind: "not_found", code: "JP_ERR_FETCH_NOT_FOUND", message: `${where}: no such file`, discardPartial: true };
  if (status === 401 || status === 403) return { kind: "fail", errorKind: "permission_denied", code: "JP_ERR_FETCH_DENIED", message: `${where}: access denied`, discardPartial: false };
  // Timeouts and rate limits are the server asking us to come back later, like a 5xx.
  if (status >= 500 || status === 408 || status === 429) return { kind: "fail", errorKind: "unavailable", code: "JP_ERR_FETCH_NETWORK", message: `${where}`, discardPartial: false };
  return { kind: "fail", errorKind: "invalid", code: "JP_ERR_FETCH_STATUS", message: `${where}, which a download cannot use`, discardPartial: false };
}

/**
 * Pure. What a response means for the partial file. `url` is the caller's URL (the download's identity),
 * `finalUrl` the one that answered (for messages).
 */
export function decideResponse(input: { url: string; finalUrl: string; plan: ResumePlan; head: ResponseHead; maxBytes?: number }): ResponseDecision {
  const { url, finalUrl, plan, head, maxBytes } = input;
  const fresh: Validators = { v: VALIDATORS_VERSION, url, etag: head.etag, lastModified: head.lastModified, total: null };

  if (head.status === 200) {
    // A 200 is the whole current version, whether the server ignores ranges or the If-Range failed.
    const total = parseContentLength(head.contentLength);
    if (maxBytes !== undefined && total !== null && total > maxBytes) return tooLarge(finalUrl, total, maxBytes);
    return { kind: "restart", validators: { ...fresh, total } };
  }

  if (head.status === 206) {
    if (plan.kind !== "resume") return { kind: "retry-fresh", reason: `${finalUrl} sent a partial answer (206) to a request for the whole file` };
    const range = parseContentRange(head.contentRange);
    if (range === null || "unsatisfied" in range) return { kind: "retry-fresh", reason: `${finalUrl} sent a 206 without a usable Content-Range (${head.contentRange ?? "none"})` };
    if (range.start !== plan.from) return { kind: "retry-fresh", reason: `${finalUrl} sent bytes from ${range.start}, not from ${plan.from}` };
    const known = plan.validators;
    // If-Range should have prevented these; a server that gets it wrong must not corrupt the file.
    if (known.total !== null && range.total !== null && range.total !== known.total) {
      return { kind: "retry-fresh", reason: `${finalUrl} now has ${range.total} bytes, not ${known.total}` };
    }
    if (isStrongEtag(known.etag) && head.etag !== null && head.etag !== known.etag) {
      return { kind: "retry-fresh", reason: `${finalUrl} sent ETag ${head.etag} for a partial answer, not ${known.etag}` };
    }
    if (range.total !== null && range.end !== range.total - 1) {
      return { kind: "retry-fresh", reason: `${finalUrl} sent bytes ${range.start}-${range.end} of ${range.total}, not up to the end` };
    }
    const total = range.total ?? known.total;
    if (maxBytes !== undefined && total !== null && total > maxBytes) return tooLarge(finalUrl, total, maxBytes);
    return { kind: "append", from: plan.from, validators: { ...known, total } };
  }

  if (head.status === 416) {
    if (plan.kind !== "resume") return statusFailure(416, finalUrl);
    const range = parseContentRange(head.contentRange);
    const serverTotal = range !== null && "unsatisfied" in range ? range.total : null;
    const known = plan.validators.total;
    const complete = known !== null && plan.from === known && (serverTotal === null || serverTotal === known);
    if (complete) return { kind: "complete", validators: plan.validators };
    return { kind: "retry-fresh", reason: `${finalUrl} cannot serve bytes from ${plan.from} (HTTP 416)` };
  }

  return statusFailure(head.status, finalUrl);
}

/** Pure. Where a redirect points, resolved against the URL that sent it; null when it is not a redirect. */
export function redirectTarget(status: number, location: string | null, base: string): string | null {
  if (![301, 302, 303, 307, 308].includes(status) || location === null) return null;
  try {
    return new URL(location, base).toString();
  } catch {
    return null;
  }
}
