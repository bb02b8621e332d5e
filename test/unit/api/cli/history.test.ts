import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseArgs } from "../../../../api/cli/args.js";
import { eventSummary, eventsQuery, history, historyCommand, PAGE_SIZE, timelineLine, verifyOutcome } from "../../../../api/cli/commands/history.js";
import type { JetpackError } from "../../../../machines/errors.js";
import type { LogRecord } from "../../../../machines/log/index.js";
import { FakeClient, testContext, type Call } from "./fake-client.js";

const ID = `sha512-${"c".repeat(128)}`;
const STREAM = "image/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
const args = (...argv: string[]) => parseArgs(argv, historyCommand.flags);

function record(seq: number, type: string, data: unknown, over: Partial<LogRecord> = {}): LogRecord {
  return { seq, time: new Date(2024, 4, 1, 10, 0, seq).toISOString(), stream: STREAM, type, actor: "root", data, prev: "0".repeat(64), hash: "1".repeat(64), ...over };
}

/** An events route serving `records` in pages of `size`, with `next` as the API sets it. */
function pages(records: LogRecord[], size: number) {
  return (call: Call) => {
    const after = Number(call.opts.query?.after ?? 0);
    const rest = records.filter((r) => r.seq > after);
    const events = rest.slice(0, size);
    return { events, next: rest.length > size ? events[events.length - 1]!.seq : null };
  };
}

describe("jetpack history", () => {
  it("sends the filters, with relative times made absolute", () => {
    const now = new Date("2024-05-01T12:00:00.000Z");
    const q = eventsQuery(args("--image", "abcdef", "--type", "image.*", "--actor", "root (sudo alice)", "--since", "2h", "--until", "2024-05-01T11:00:00Z"), now);
    assert.deepEqual(q, { image: "abcdef", stream: undefined, type: "image.*", actor: "root (sudo alice)", op: undefined, since: "2024-05-01T10:00:00.000Z", until: "2024-05-01T11:00:00.000Z" });
  });

  it("sums up what an event carries: image, name, source, an unverified opt-out, error, reason", () => {
    assert.equal(eventSummary(record(1, "image.import.requested", { source: { path: "/tmp/a.aci", owned: false }, insecure: true })), "from /tmp/a.aci  UNVERIFIED (--insecure-options=image)");
    assert.equal(eventSummary(record(1, "image.import.requested", { source: { path: "/tmp/a.aci", owned: false }, insecure: false })), "from /tmp/a.aci");
    assert.equal(
      eventSummary(record(2, "image.imported", { id: ID, name: "example.com/app", labels: [{ name: "version", value: "2" }] })),
      `sha512-cccccccccccc  example.com/app:2`,
    );
    assert.equal(eventSummary(record(3, "image.import.failed", { error: { code: "JP_ERR_ACI_ESCAPE", kind: "invalid", message: "entry escapes" } })), "error: entry escapes (JP_ERR_ACI_ESCAPE)");
    assert.equal(eventSummary(record(4, "image.found-missing", { reason: "dataset gone" })), "dataset gone");
    assert.equal(eventSummary(record(5, "image.destroyed", {})), "");
    assert.equal(eventSummary(record(6, "odd", null)), "");
  });

  it("prints one timeline line per event: local time, actor, type, short stream, summary", () => {
    const line = timelineLine(record(7, "image.import.duplicate", { id: ID }, { actor: "system" }));
    assert.equal(line, `2024-05-01 10:00:07  system      image.import.duplicate    image/0b1c2d3e  sha512-cccccccccccc\n`);
  });

  it("follows next from page to page until the last one", async () => {
    const records = [1, 2, 3, 4, 5].map((s) => record(s, "image.destroyed", {}));
    const client = new FakeClient({ "GET /v1/events": pages(records, 2) });
    const ctx = testContext(client);
    await history(args(), ctx);
    assert.equal(ctx.stdout.text.split("\n").filter(Boolean).length, 5);
    assert.deepEqual(client.calls.map((c) => c.opts.query?.after), [0, 2, 4]);
    assert.ok(client.calls.every((c) => c.opts.query?.limit === PAGE_SIZE));
  });

  it("prints one JSON record per line with --json", async () => {
    const records = [1, 2, 3].map((s) => record(s, "image.destroyed", {}));
    const ctx = testContext(new FakeClient({ "GET /v1/events": pages(records, 2) }), { json: true });
    await history(args(), ctx);
    assert.deepEqual(ctx.stdout.text.trimEnd().split("\n").map((l) => JSON.parse(l)), records);
  });

  it("shows only the last N events with --limit", async () => {
    const records = [1, 2, 3, 4, 5].map((s) => record(s, "image.destroyed", {}));
    const ctx = testContext(new FakeClient({ "GET /v1/events": pages(records, 2) }), { json: true });
    await history(args("--limit", "2"), ctx);
    assert.deepEqual(ctx.stdout.text.trimEnd().split("\n").map((l) => JSON.parse(l).seq), [4, 5]);
  });

  it("prints nothing for an empty log", async () => {
    const ctx = testContext(new FakeClient({ "GET /v1/events": () => ({ events: [], next: null }) }));
    await history(args(), ctx);
    assert.equal(ctx.stdout.text, "");
  });
});

describe("jetpack history --verify", () => {
  it("says how many records it checked when the chain is intact", async () => {
    const ctx = testContext(new FakeClient({ "GET /v1/events/verify": () => ({ ok: true, records: 42, lastHash: "f".repeat(64) }) }));
    await history(args("--verify"), ctx);
    assert.equal(ctx.stdout.text, "log verified: 42 records, chain intact\n");
  });

  it("names the first bad record (line, seq, reason) as a conflict, so the exit code is 5", () => {
    assert.throws(
      () => verifyOutcome({ ok: false, records: 6, firstBad: { seq: 7, line: 7, reason: "hash does not match content" } }),
      (e: JetpackError) => e.kind === "conflict" && e.message === "log broken at line 7 (seq 7): hash does not match content; 6 records before it are intact",
    );
    assert.throws(() => verifyOutcome({ ok: false, records: 0, firstBad: { seq: null, line: 1, reason: "not JSON" } }), (e: JetpackError) => e.message.startsWith("log broken at line 1: not JSON"));
  });

  it("prints the API's answer with --json and still fails on a broken chain", async () => {
    const answer = { ok: false, records: 1, firstBad: { seq: 2, line: 2, reason: "prev does not link to record 1" } };
    const ctx = testContext(new FakeClient({ "GET /v1/events/verify": () => answer }), { json: true });
    await assert.rejects(history(args("--verify"), ctx), (e: JetpackError) => e.kind === "conflict");
    assert.deepEqual(JSON.parse(ctx.stdout.text), answer);
  });

  it("refuses filters, since it checks the whole log", async () => {
    const client = new FakeClient({});
    await assert.rejects(history(args("--verify", "--since", "1h"), testContext(client)), (e: JetpackError) => e.kind === "invalid" && /--since/.test(e.message));
    assert.equal(client.calls.length, 0);
  });
});
