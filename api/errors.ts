// How errors leave the API: one status per kind, one body shape. Pure table + a fastify error handler.
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

/** Pure. The error body every failed request gets: `{ error: { code, kind, message, hint?, details? } }`. */
export function errorBody(err: ErrorData): { error: ErrorData } {
  return { error: err };
}

/** Fastify's own failures (bad JSON, body too large, schema) mapped onto our kinds. */
function fromFastify(err: FastifyError): ErrorData | undefined {
  if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") return { code: "JP_ERR_API_BODY_TOO_LARGE", kind: "invalid", message: "request body is too large" };
  if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return { code: "JP_ERR_API_MEDIA_TYPE", kind: "invalid", message: err.message };
  if (err.code?.startsWith("FST_ERR_CTP") || err instanceof SyntaxError) return { code: "JP_ERR_API_BAD_JSON", kind: "invalid", message: `bad request body: ${err.message}` };
  if (err.statusCode === 404) return { code: "JP_ERR_API_NO_ROUTE", kind: "not_found", message: err.message };
  return undefined;
}

export function errorHandler(err: FastifyError | JetpackError, req: FastifyRequest, reply: FastifyReply): void {
  const data = err instanceof JetpackError ? err.toData() : (fromFastify(err as FastifyError) ?? toErrorData(err));
  if (data.kind === "internal") req.log.error({ err }, "internal error");
  void reply.status(HTTP_STATUS[data.kind]).send(errorBody(data));
}
