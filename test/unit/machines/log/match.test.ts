import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { matchRecord, type LogRecord } from "../../../../machines/log/index.js";

const rec: LogRecord = {
  seq: 7,
  time: "2024-03-10T10:00:00.000Z",
  stream: "image/3f1c-uuid",
  type: "image.import.requested",
  actor: "alice",
  op: "op-42",
  data: {},
  prev: "0".repeat(64),
  hash: "0".repeat(64),
};

describe("matchRecord", () => {
  it("passes every record through an empty filter", () => {
    assert.equal(matchRecord(rec, {}), true);
  });

  it("filters by exact stream or by stream prefix", () => {
    assert.equal(matchRecord(rec, { stream: "image/3f1c-uuid" }), true);
    assert.equal(matchRecord(rec, { stream: "image/3f1c" }), false);
    assert.equal(matchRecord(rec, { streamPrefix: "image/" }), true);
    assert.equal(matchRecord(rec, { streamPrefix: "pod/" }), false);
  });

  it("filters by exact type, or by a prefix ending in '*'", () => {
    assert.equal(matchRecord(rec, { type: "image.import.requested" }), true);
    assert.equal(matchRecord(rec, { type: "image.import" }), false, "without '*' the type must match exactly");
    assert.equal(matchRecord(rec, { type: "image.*" }), true);
    assert.equal(matchRecord(rec, { type: "pod.*" }), false);
    assert.equal(matchRecord(rec, { type: "*" }), true);
  });

  it("filters by actor and by operation id", () => {
    assert.equal(matchRecord(rec, { actor: "alice" }), true);
    assert.equal(matchRecord(rec, { actor: "root" }), false);
    assert.equal(matchRecord(rec, { op: "op-42" }), true);
    assert.equal(matchRecord(rec, { op: "op-4" }), false);
    assert.equal(matchRecord({ ...rec, op: undefined }, { op: "op-42" }), false);
  });

  it("filters by time, with since and until both inclusive", () => {
    const at = new Date(rec.time);
    assert.equal(matchRecord(rec, { since: at, until: at }), true);
    assert.equal(matchRecord(rec, { since: new Date(at.getTime() + 1) }), false);
    assert.equal(matchRecord(rec, { until: new Date(at.getTime() - 1) }), false);
  });

  it("requires every filter that is set to pass", () => {
    assert.equal(matchRecord(rec, { streamPrefix: "image/", actor: "alice", type: "image.*" }), true);
    assert.equal(matchRecord(rec, { streamPrefix: "image/", actor: "bob", type: "image.*" }), false);
  });
});
