// Fetching one discovery page over HTTP(S). Effects: network I/O through an undici dispatcher.
//
// Redirects are followed by hand (every 3xx with a Location, at most 10, as Go's http.Client) so that
// each hop gets the headers meant for its own host, and so that an https page cannot quietly send us to
// plain http unless the user allowed http. Only a 200 counts, as in Go.
import { request, type Dispatcher } from "undici";

export const MAX_REDIRECTS = 10;
/** A discovery page is a small HTML document; more than this is cut off (the tags sit near the top). */
export const MAX_PAGE_BYTES = 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface PageContext {
  dispatcher?: Dispatcher;
  /** Extra headers for a host (`host[:port]` as in the URL); sent over https only. */
  headers?: (host: string) => Record<string, string>;
  /** Whether a redirect may lead to plain http. */
  allowHttp: boolean;
  timeoutMs: number;
}

/** Why a page is missing: no connection, an unverifiable certificate, a status other than 200, a bad redirect. */
export type PageFailure = "network" | "tls" | "status" | "redirect";

export type PageResult = { ok: true; url: string; html: string } | { ok: false; reason: string; failure: PageFailure };

const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_NOT_YET_VALID",
]);

/** Pure. A network error as a short reason, keeping its code. */
export function describeNetworkError(err: unknown, timeoutMs: number): { reason: string; failure: "network" | "tls" } {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return { reason: `no answer within ${timeoutMs / 1000}s`, failure: "network" };
  }
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const fields = (typeof cause === "object" && cause !== null ? cause : {}) as { code?: unknown; reason?: unknown };
  const code = typeof fields.code === "string" ? fields.code : undefined;
  // OpenSSL errors carry a one-line file:line dump as message; their `reason` is the readable part.
  const opensslReason = code?.startsWith("ERR_SSL_") && typeof fields.reason === "string" ? `TLS handshake failed: ${fields.reason}` : undefined;
  const message = opensslReason ?? (cause instanceof Error ? cause.message : String(cause));
  const withCode = code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
  if (code !== undefined && TLS_CODES.has(code)) return { reason: `certificate not trusted: ${withCode}`, failure: "tls" };
  return { reason: withCode, failure: "network" };
}

async function readLimited(body: Dispatcher.ResponseData["body"]): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    chunks.push(buf);
    size += buf.length;
    if (size >= MAX_PAGE_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_PAGE_BYTES).toString("utf8");
}

/** Effects. GETs `url`, following redirects, and returns the HTML of a 200 or why there is none. */
export async function fetchPage(url: string, ctx: PageContext): Promise<PageResult> {
  const start = new URL(url);
  let current = start;
  const at = (): string => (current.href === start.href ? "" : ` (at ${current.href})`);
  const signal = AbortSignal.timeout(ctx.timeoutMs);
  for (let redirects = 0; ; redirects++) {
    const headers = current.protocol === "https:" ? (ctx.headers?.(current.host) ?? {}) : {};
    let res: Dispatcher.ResponseData;
    try {
      res = await request(current, { method: "GET", headers, signal, ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}) });
    } catch (err) {
      const { reason, failure } = describeNetworkError(err, ctx.timeoutMs);
      return { ok: false, reason: `${reason}${at()}`, failure };
    }
    if (res.statusCode === 200) {
      try {
        return { ok: true, url: current.href, html: await readLimited(res.body) };
      } catch (err) {
        return { ok: false, reason: `reading the page failed: ${describeNetworkError(err, ctx.timeoutMs).reason}${at()}`, failure: "network" };
      }
    }
    await res.body.dump().catch(() => undefined);
    const location = res.headers.location;
    const where = Array.isArray(location) ? location[0] : location;
    const isRedirect = res.statusCode >= 300 && res.statusCode <= 399;
    if (!isRedirect) return { ok: false, reason: `HTTP ${res.statusCode}${at()}`, failure: "status" };
    if (where === undefined) return { ok: false, reason: `HTTP ${res.statusCode} without a Location${at()}`, failure: "redirect" };
    if (redirects >= MAX_REDIRECTS) return { ok: false, reason: `stopped after ${MAX_REDIRECTS} redirects (next: ${where})`, failure: "redirect" };
    let next: URL;
    try {
      next = new URL(where, current);
    } catch {
      return { ok: false, reason: `HTTP ${res.statusCode} to an invalid Location ${JSON.stringify(where)}${at()}`, failure: "redirect" };
    }
    if (next.protocol === "http:" && !ctx.allowHttp) {
      return { ok: false, reason: `redirected to plain http (${next.href}), which needs --insecure-options=http`, failure: "redirect" };
    }
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      return { ok: false, reason: `redirected to an unsupported scheme (${next.href})`, failure: "redirect" };
    }
    current = next;
  }
}
