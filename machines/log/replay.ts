// Folding records into a state: how projections and the engine's stream table are rebuilt at boot.
import type { LogRecord } from "./record.js";

/** Pure (given a pure `fold`). Folds `records` in order, starting from `initial`. */
export async function replay<S>(
  records: AsyncIterable<LogRecord> | Iterable<LogRecord>,
  fold: (state: S, rec: LogRecord) => S,
  initial: S,
): Promise<S> {
  let state = initial;
  for await (const rec of records) state = fold(state, rec);
  return state;
}
