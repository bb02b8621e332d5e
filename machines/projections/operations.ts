// The operations projection: each queued request and how it went, folded from the log. Pure.
import { OPERATION_STATE_AFTER, isEventType, type OperationState } from "../events.js";
import type { ErrorData } from "../errors.js";
import type { LogRecord } from "../log/index.js";

export interface OperationView {
  id: string;
  /** The request that opened it, e.g. `image.import` or `image.destroy`. */
  kind: string;
  stream: string;
  actor: string;
  state: OperationState;
  createdAt: string;
  updatedAt: string;
  result: Record<string, unknown> | null;
  error: ErrorData | null;
}

export type OperationsProjection = Map<string, OperationView>;

/** Pure. An empty projection. */
export function emptyOperations(): OperationsProjection {
  return new Map();
}

/** Pure (mutates only the projection it is given). Applies one record that carries an operation id. */
export function foldOperations(ops: OperationsProjection, rec: LogRecord): OperationsProjection {
  if (!rec.op || !isEventType(rec.type)) return ops;
  const state = OPERATION_STATE_AFTER[rec.type];
  let view = ops.get(rec.op);
  if (!view) {
    view = {
      id: rec.op,
      kind: rec.type.replace(/\.requested$/, ""),
      stream: rec.stream,
      actor: rec.actor,
      state,
      createdAt: rec.time,
      updatedAt: rec.time,
      result: null,
      error: null,
    };
    ops.set(rec.op, view);
  }
  // An operation belongs to the stream that opened it; events it causes on other streams (a dependency
  // fetched on the way, a key trusted) carry its id for the audit trail but do not end it.
  if (rec.stream !== view.stream) return ops;
  view.state = state;
  view.updatedAt = rec.time;
  const data = rec.data as Record<string, unknown>;
  if (state === "failed") view.error = (data.error as ErrorData | undefined) ?? { code: "JP_ERR_FAILED", kind: "internal", message: String(data.reason ?? rec.type) };
  if (state === "succeeded") view.result = resultOf(rec);
  if (state === "queued" || state === "running") view.error = null;
  return ops;
}

function resultOf(rec: LogRecord): Record<string, unknown> {
  const data = rec.data as Record<string, unknown>;
  switch (rec.type) {
    case "image.imported":
      return { id: data.id, name: data.name };
    case "image.import.duplicate":
      return { id: data.id, existing: true };
    case "pod.prepared":
    case "pod.started":
    case "pod.destroyed":
      return { uuid: rec.stream.slice("pod/".length) };
    case "pod.stopped":
    case "pod.exited":
      return { uuid: rec.stream.slice("pod/".length), apps: data.apps };
    default:
      return {};
  }
}
