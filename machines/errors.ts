// The one error type of Jetpack. Pure: no I/O.
//
// Every failure a user can see carries a stable code (JP_ERR_<AREA>_<WHAT>) and a kind. The kind alone
// decides policy, each in one place: the HTTP status (api/errors.ts), whether a worker retries
// (workers/job-policy.ts) and the CLI's exit code (api/cli/exit.ts).

export const ERROR_KINDS = [
  "invalid",
  "not_found",
  "already_exists",
  "conflict",
  "permission_denied",
  "unavailable",
  "internal",
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface ErrorData {
  code: string;
  kind: ErrorKind;
  message: string;
  /** What the user can do next, in one sentence. */
  hint?: string;
  /** Field paths at fault (zod failures), or other structured detail. */
  details?: unknown;
}

export class JetpackError extends Error implements ErrorData {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly hint?: string;
  readonly details?: unknown;

  constructor(data: ErrorData, options?: { cause?: unknown }) {
    super(data.message, options);
    this.name = "JetpackError";
    this.code = data.code;
    this.kind = data.kind;
    if (data.hint !== undefined) this.hint = data.hint;
    if (data.details !== undefined) this.details = data.details;
  }

  /** Pure. The plain-data form, as it travels in events, API answers and job results. */
  toData(): ErrorData {
    const out: ErrorData = { code: this.code, kind: this.kind, message: this.message };
    if (this.hint !== undefined) out.hint = this.hint;
    if (this.details !== undefined) out.details = this.details;
    return out;
  }

  static fromData(data: ErrorData): JetpackError {
    return new JetpackError(data);
  }
}

/** Pure. Shorthand constructor: `fail("invalid", "JP_ERR_ACI_PATH", "...")`. */
export function fail(kind: ErrorKind, code: string, message: string, extra: { hint?: string; details?: unknown; cause?: unknown } = {}): JetpackError {
  const { cause, ...rest } = extra;
  return new JetpackError({ kind, code, message, ...rest }, cause === undefined ? undefined : { cause });
}

/** Pure. Any thrown value as ErrorData; unknown errors become `internal` and keep their message. */
export function toErrorData(err: unknown): ErrorData {
  if (err instanceof JetpackError) return err.toData();
  if (err instanceof Error) return { code: "JP_ERR_INTERNAL", kind: "internal", message: err.message };
  return { code: "JP_ERR_INTERNAL", kind: "internal", message: String(err) };
}

/** Pure. Kinds that no retry can fix: the input or the request itself is at fault. */
export function isPermanent(kind: ErrorKind): boolean {
  return kind !== "unavailable" && kind !== "internal";
}
