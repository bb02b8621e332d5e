// Which URLs a download may use, and what a failed request means, as JetpackErrors. Pure: no I/O.
import { fail, JetpackError } from "../../../../machines/errors.js";

/** Pure. Parses and checks a download URL: https always, http only when allowed; throws otherwise. */
export function checkUrl(raw: string, allowHttp: boolean, what = "download URL"): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw fail("invalid", "JP_ERR_FETCH_URL", `${what} ${JSON.stringify(raw)} is not a valid URL`, { hint: "give an absolute https:// URL" });
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:") {
    if (allowHttp) return url;
    throw fail("permission_denied", "JP_ERR_FETCH_INSECURE", `${what} ${url.toString()} uses plain http, which anyone on the path can alter`, {
      hint: "use https, or pass --insecure-options=http if you accept an unprotected transfer",
    });
  }
  throw fail("invalid", "JP_ERR_FETCH_URL", `${what} ${url.toString()} uses ${url.protocol.replace(/:$/, "")}, but only https (or http) can be downloaded`, {
    hint: "give an https:// URL",
  });
}

// Node's and OpenSSL's codes for a certificate the client refuses: retrying cannot fix these.
const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REVOKED",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The `code`s along an error's cause chain: undici wraps some socket errors, and TLS codes may sit on a cause. */
function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = err, depth = 0; e !== null && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
}

/**
 * Pure. A failure of the transfer itself (connect, TLS, socket, body) as a JetpackError. JetpackErrors
 * pass through unchanged; a cancelled signal is reported as cancelled, not as a network fault.
 */
export function transferFailure(err: unknown, url: string, signal?: AbortSignal): JetpackError {
  if (err instanceof JetpackError) return err;
  if (signal?.aborted) {
    return fail("unavailable", "JP_ERR_FETCH_ABORTED", `download of ${url} was cancelled`, { cause: err, hint: "run the fetch again; it resumes where it stopped" });
  }
  const codes = errorCodes(err);
  const code = codes[0];
  const detail = err instanceof Error ? err.message : String(err);
  const tls = codes.find((c) => TLS_CODES.has(c));
  if (tls !== undefined) {
    return fail("permission_denied", "JP_ERR_FETCH_TLS", `the TLS certificate of ${new URL(url).host} is not trusted (${tls}: ${detail})`, {
      cause: err,
      hint: "give the daemon the CA that signed the server's certificate, or fix the server's certificate",
    });
  }
  return fail("unavailable", "JP_ERR_FETCH_NETWORK", `download of ${url} failed: ${detail}${code ? ` (${code})` : ""}`, {
    cause: err,
    hint: "check the network and the server, then retry: the download resumes from the bytes already received",
  });
}

/** Pure. The error for a body that ended before its declared length; the partial is kept for a resume. */
export function truncatedBody(url: string, got: number, expected: number): JetpackError {
  return fail("unavailable", "JP_ERR_FETCH_NETWORK", `download of ${url} stopped after ${got} of ${expected} bytes`, {
    hint: "retry: the download resumes from the bytes already received",
  });
}
