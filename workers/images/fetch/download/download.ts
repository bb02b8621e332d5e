// A resumable HTTP(S) download that survives a killed process or a cut connection. Effects (network, files).
//
// Each call looks at `<dest>.partial` and its validators, asks for the rest with Range + If-Range when it
// can, and lets state.ts decide what the answer means. On success the partial becomes `dest`. A failure
// keeps the partial (unless the resource is gone or too big), so the next call picks up from there.
import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { request, type Dispatcher } from "undici";
import { fail } from "../../../../machines/errors.js";
import { checkUrl, transferFailure } from "./errors.js";
import { discardPartial, emptyPartial, partialPaths, partialSize, promotePartial, readValidators, writeValidators, type PartialPaths } from "./partial-files.js";
import { receiveBody, type DownloadProgress } from "./receive.js";
import {
  decideResponse,
  parseContentLength,
  parseContentRange,
  planResume,
  rangeHeaders,
  redirectTarget,
  type ResponseHead,
  type ResumePlan,
  type Validators,
} from "./state.js";

export const MAX_REDIRECTS = 10;

export interface DownloadOptions {
  url: string;
  /** The final file; the partial lives at `${dest}.partial`, its validators at `${dest}.partial.json`. */
  dest: string;
  /** How to reach servers (a CA, TLS settings, a proxy); undici's global dispatcher when absent. */
  dispatcher?: Dispatcher;
  headers?: Record<string, string>;
  /** Refuse a resource bigger than this (announced or actual). */
  maxBytes?: number;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Allow plain http:// URLs (and redirects to them). */
  allowHttp?: boolean;
}

export interface DownloadResult {
  path: string;
  /** Size of the downloaded file. */
  bytes: number;
  /** Offset this call resumed from (0 when it started over). */
  resumedFrom: number;
  /** Body bytes received by this call. */
  bytesTransferred: number;
  etag: string | null;
  lastModified: string | null;
  /** The URL that served the file, after redirects. */
  url: string;
}

interface OpenResponse {
  url: string;
  head: ResponseHead;
  body: Dispatcher.ResponseData["body"];
}

// Credentials given for one origin must not follow a redirect to another.
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

function header(headers: Dispatcher.ResponseData["headers"], name: string): string | null {
  const v = headers[name];
  if (Array.isArray(v)) return v[0] ?? null;
  return v ?? null;
}

function baseHeaders(extra: Record<string, string> | undefined): Record<string, string> {
  // Ranges must count bytes of the stored file, not of a compressed rendering of it.
  const out: Record<string, string> = { "accept-encoding": "identity", "user-agent": "jetpack" };
  for (const [k, v] of Object.entries(extra ?? {})) out[k.toLowerCase()] = v;
  return out;
}

async function dumpQuietly(body: Dispatcher.ResponseData["body"]): Promise<void> {
  await body.dump().catch(() => undefined);
}

async function openFollowingRedirects(url: string, plan: ResumePlan, opts: DownloadOptions): Promise<OpenResponse> {
  let current = url;
  let headers = { ...baseHeaders(opts.headers), ...rangeHeaders(plan) };
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let res: Dispatcher.ResponseData;
    try {
      // A larger body buffer than undici's 64 KB default: fewer, larger reads keep up with loopback speeds.
      res = await request(current, { method: "GET", headers, dispatcher: opts.dispatcher, signal: opts.signal, highWaterMark: 1 << 20 });
    } catch (err) {
      throw transferFailure(err, current, opts.signal);
    }
    const target = redirectTarget(res.statusCode, header(res.headers, "location"), current);
    if (target === null) {
      const head: ResponseHead = {
        status: res.statusCode,
        contentLength: header(res.headers, "content-length"),
        contentRange: header(res.headers, "content-range"),
        etag: header(res.headers, "etag"),
        lastModified: header(res.headers, "last-modified"),
      };
      return { url: current, head, body: res.body };
    }
    await dumpQuietly(res.body);
    const next = checkUrl(target, opts.allowHttp ?? false, `the redirect from ${current} to`);
    if (next.origin !== new URL(current).origin) {
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !CREDENTIAL_HEADERS.includes(k)));
    }
    current = next.toString();
  }
  throw fail("invalid", "JP_ERR_FETCH_REDIRECTS", `${url} redirected more than ${MAX_REDIRECTS} times`, {
    hint: "check the URL; the server may be redirecting in a loop",
  });
}

function hintFor(code: string): string | undefined {
  switch (code) {
    case "JP_ERR_FETCH_NOT_FOUND":
      return "check the image name, version and the server's URL";
    case "JP_ERR_FETCH_DENIED":
      return "check the credentials the fetch sends to this server";
    case "JP_ERR_FETCH_TOO_LARGE":
      return "check that the URL names the image you meant; raise the size limit if it is expected to be this big";
    case "JP_ERR_FETCH_NETWORK":
      return "retry later: the download resumes from the bytes already received";
    default:
      return undefined;
  }
}

function sameValidators(a: Validators, b: Validators): boolean {
  return a.url === b.url && a.etag === b.etag && a.lastModified === b.lastModified && a.total === b.total;
}

/** The body length a response announces: from Content-Range for a 206, else Content-Length. */
function announcedLength(head: ResponseHead): number | null {
  const range = parseContentRange(head.contentRange);
  if (head.status === 206 && range !== null && !("unsatisfied" in range)) return range.end - range.start + 1;
  return parseContentLength(head.contentLength);
}

async function appendBody(paths: PartialPaths, res: OpenResponse, from: number, total: number | null, opts: DownloadOptions): Promise<number> {
  const file = await open(paths.partial, "a", 0o600);
  try {
    return await receiveBody({
      body: res.body,
      file,
      from,
      expected: announcedLength(res.head),
      total,
      url: res.url,
      ...(opts.maxBytes !== undefined && { maxBytes: opts.maxBytes }),
      ...(opts.onProgress && { onProgress: opts.onProgress }),
      ...(opts.signal && { signal: opts.signal }),
    });
  } finally {
    await file.close();
  }
}

/**
 * Effects. Downloads `url` to `dest`, resuming `${dest}.partial` with Range/If-Range when its validators
 * allow. Throws JetpackErrors: unavailable (JP_ERR_FETCH_NETWORK, retry resumes), not_found,
 * permission_denied (JP_ERR_FETCH_INSECURE, JP_ERR_FETCH_DENIED, JP_ERR_FETCH_TLS), invalid.
 */
export async function download(opts: DownloadOptions): Promise<DownloadResult> {
  const url = checkUrl(opts.url, opts.allowHttp ?? false).toString();
  const paths = partialPaths(opts.dest);
  await mkdir(dirname(opts.dest), { recursive: true });

  let plan = planResume({ url, validators: await readValidators(paths), partialSize: await partialSize(paths) });
  if (plan.kind === "fresh" && plan.discardPartial) await discardPartial(paths);

  let unusable = "";
  // At most one extra round: a server whose partial answer cannot be used gets one plain request.
  for (let round = 0; round < 2; round++) {
    const res = await openFollowingRedirects(url, plan, opts);
    const decision = decideResponse({ url, finalUrl: res.url, plan, head: res.head, ...(opts.maxBytes !== undefined && { maxBytes: opts.maxBytes }) });

    if (decision.kind === "fail") {
      await dumpQuietly(res.body);
      if (decision.discardPartial) await discardPartial(paths);
      const hint = hintFor(decision.code);
      throw fail(decision.errorKind, decision.code, decision.message, hint === undefined ? {} : { hint });
    }
    if (decision.kind === "retry-fresh") {
      await dumpQuietly(res.body);
      await discardPartial(paths);
      unusable = decision.reason;
      plan = { kind: "fresh", discardPartial: false, reason: decision.reason };
      continue;
    }
    if (decision.kind === "complete") {
      await dumpQuietly(res.body);
      await promotePartial(paths);
      const { etag, lastModified, total } = decision.validators;
      return { path: opts.dest, bytes: total ?? 0, resumedFrom: plan.kind === "resume" ? plan.from : 0, bytesTransferred: 0, etag, lastModified, url: res.url };
    }

    let from: number;
    if (decision.kind === "restart") {
      // Order matters: empty the old bytes, then record the new version, then append.
      await emptyPartial(paths);
      await writeValidators(paths, decision.validators);
      from = 0;
    } else {
      if (plan.kind !== "resume" || !sameValidators(plan.validators, decision.validators)) await writeValidators(paths, decision.validators);
      from = decision.from;
    }

    let received: number;
    try {
      received = await appendBody(paths, res, from, decision.validators.total, opts);
    } catch (err) {
      if ((err as { code?: unknown }).code === "JP_ERR_FETCH_TOO_LARGE") await discardPartial(paths);
      throw err;
    }
    await promotePartial(paths);
    const { etag, lastModified } = decision.validators;
    return { path: opts.dest, bytes: from + received, resumedFrom: from, bytesTransferred: received, etag, lastModified, url: res.url };
  }
  throw fail("invalid", "JP_ERR_FETCH_PROTOCOL", `${url} keeps sending partial answers that do not fit the request (${unusable})`, {
    hint: "the server's Range support is broken; report it to the server's operator",
  });
}
