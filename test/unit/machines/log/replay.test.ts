import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { replay, type LogRecord } from "../../../../machines/log/index.js";

const rec = (seq: number, stream: string, type: string): LogRecord => ({
  seq,
  time: "2024-01-01T00:00:00.000Z",
  stream,
  type,
  actor: "root",
  data: null,
  prev: "0".repeat(64),
  hash: "0".repeat(64),
});

describe("replay", () => {
  it("folds a plain array of records into the last type per stream", async () => {
    const records = [rec(1, "pod/a", "pod.created"), rec(2, "pod/b", "pod.created"), rec(3, "pod/a", "pod.started")];
    const state = await replay(records, (s: Record<string, string>, r) => ({ ...s, [r.stream]: r.type }), {});
    assert.deepEqual(state, { "pod/a": "pod.started", "pod/b": "pod.created" });
  });

  it("returns the initial state for no records", async () => {
    assert.equal(await replay([], (n: number) => n + 1, 41), 41);
  });

  it("folds an async iterable in the order it yields", async () => {
    async function* records() {
      yield rec(1, "s", "a");
      yield rec(2, "s", "b");
    }
    assert.equal(await replay(records(), (s: string, r) => s + r.type, ""), "ab");
  });
});
