// How a failure leaves the jetpack command: one exit code per error kind, and the text it prints. Pure.
import { toErrorData, type ErrorData, type ErrorKind } from "../../machines/errors.js";

/** The exit code of each kind; 0 is success, and scripts can tell "not there" from "not now". */
export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = {
  internal: 1,
  invalid: 2,
  not_found: 3,
  already_exists: 4,
  conflict: 5,
  permission_denied: 6,
  unavailable: 7,
};

/** Pure. The exit code for any thrown value (unknown errors are `internal`). */
export function exitCodeOf(err: unknown): number {
  return EXIT_CODES[toErrorData(err).kind];
}

/**
 * Pure. What the command prints on stderr for a failure: `jetpack: <message>` and `hint: <hint>`, or
 * with --json the error's JSON (`{"error":{code,kind,message,hint}}`) on one line.
 */
export function renderError(err: unknown, json: boolean): string {
  const data: ErrorData = toErrorData(err);
  if (json) return `${JSON.stringify({ error: data })}\n`;
  return `jetpack: ${data.message}\n${data.hint ? `hint: ${data.hint}\n` : ""}`;
}
