// How errors leave the API: one status per kind, one body shape. Pure table + a fastify error handler.
//
// One exception to "the kind decides the status": a body over the limit is `invalid` like any bad input,
// but answers 413 (Content Too Large), the code HTTP has for it, so that proxies and clients that know
// HTTP understand it; the message says the limit.
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { JetpackError, toErrorData, type ErrorData, type ErrorKind } from "../machines/errors.js";

export const HTTP_STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  not_found: 404,
  already_exists: 409,
  conflict: 409,
  permission_denied: 403,
  unavailable: 503,
  internal: 500,
};

/** The status of a body over the limit (see above). */
export const BODY_TOO_LARGE_STATUS = 413;

/** Pure. The error body every failed request gets: `{ error: { code, kind, message, hint?, details? } }`. */
export function errorBody(err: ErrorData): { error: ErrorData } {
  return { error: err };
}

/** Pure. `n` bytes in the largest binary unit that divides it evenly enough to read. */
function sizeText(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1 << 10 && n % (1 << 10) === 0) return `${n / (1 << 10)} KiB`;
  return `${n} bytes`;
}

/** Pure. Fastify's own failures (bad JSON, body too large, media type) mapped onto our kinds and codes. */
export function fromFastify(err: FastifyError, bodyLimit: number | undefined): ErrorData | undefined {
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return {
        code: "JP_ERR_API_BODY_TOO_LARGE",
        kind: "invalid",
        message: bodyLimit !== undefined ? `request body is larger than the limit of ${sizeText(bodyLimit)}` : "request body is too large",
        hint: "send a smaller body; an ACI goes through POST /v1/images/upload, which has no such limit",
      };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return { code: "JP_ERR_API_MEDIA_TYPE", kind: "invalid", message: `${err.message}; this API takes application/json (and application/octet-stream for uploads)` };
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return { code: "JP_ERR_API_BAD_JSON", kind: "invalid", message: "the body is empty but its content-type says JSON", hint: "send a JSON object, or no content-type" };
  }
  if (err.code?.startsWith("FST_ERR_CTP") || err instanceof SyntaxError) return { code: "JP_ERR_API_BAD_JSON", kind: "invalid", message: `the body is not valid JSON: ${err.message}` };
  if (err.statusCode === 404) return { code: "JP_ERR_API_NO_ROUTE", kind: "not_found", message: err.message };
  return undefined;
}

/** Pure. The HTTP status of an error answer. */
export function statusOf(data: ErrorData): number {
  return data.code === "JP_ERR_API_BODY_TOO_LARGE" ? BODY_TOO_LARGE_STATUS : HTTP_STATUS[data.kind];
}

export function errorHandler(err: FastifyError | JetpackError, req: FastifyRequest, reply: FastifyReply): void {
  const data = err instanceof JetpackError ? err.toData() : (fromFastify(err as FastifyError, req.routeOptions?.bodyLimit) ?? toErrorData(err));
  if (data.kind === "internal") req.log.error({ err }, "internal error");
  void reply.status(statusOf(data)).send(errorBody(data));
}
