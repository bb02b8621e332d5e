// Whether a failed job is tried again: decided by the error's kind, here and nowhere else. Pure.
import { isPermanent, toErrorData, type ErrorData } from "../machines/errors.js";

export interface FailureDecision {
  retry: boolean;
  error: ErrorData;
}

/** Pure. A permanent kind never retries; others retry while attempts remain. */
export function decideFailure(err: unknown, attemptsMade: number, attempts: number): FailureDecision {
  const error = toErrorData(err);
  const last = attemptsMade + 1 >= attempts;
  return { retry: !isPermanent(error.kind) && !last, error };
}
