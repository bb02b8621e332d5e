// Waiting on the operation's event stream, and falling back to polling when the stream breaks.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clientTarget, SseParser, type SseEvent } from "../../../../api/cli/client.js";
import { waitForOperation, waitShowingProgress } from "../../../../api/cli/wait.js";
import { fail, JetpackError } from "../../../../machines/errors.js";
import type { Progress } from "../../../../machines/progress.js";
import { FakeClient, MemoryOut, operation, sequence, testContext } from "./fake-client.js";

const progress: Progress = { stage: "fetch", bytes: 2048, total: 4096, rate: 1024, etaSeconds: 2, percent: 50, startedAt: "2024-05-01T12:00:00.000Z" };
const frame = (event: string, data: unknown): SseEvent => ({ event, data: JSON.stringify(data) });

/** A fake client that also streams: `stream` yields its events, then ends or throws `breakWith`. */
class StreamingClient extends FakeClient {
  readonly streamed: string[] = [];
  constructor(
    routes: ConstructorParameters<typeof FakeClient>[0],
    private readonly frames: SseEvent[],
    private readonly breakWith?: Error,
  ) {
    super(routes);
  }
  async *events(path: string): AsyncGenerator<SseEvent> {
    this.streamed.push(path);
    yield* this.frames;
    if (this.breakWith) throw this.breakWith;
  }
}

describe("waiting on the event stream", () => {
  it("follows the stream to the final state without polling, showing each progress", async () => {
    const client = new StreamingClient({}, [frame("state", operation({ state: "running" })), frame("progress", progress), frame("state", operation({ state: "succeeded", result: { id: "sha512-aa" } }))]);
    const seen: Array<Progress | null> = [];
    const done = await waitForOperation(client, "op-1", { onProgress: (p) => seen.push(p) });
    assert.deepEqual(done.result, { id: "sha512-aa" });
    assert.deepEqual(client.streamed, ["/v1/operations/op-1/events"]);
    assert.equal(client.calls.length, 0, "no polls");
    assert.deepEqual(seen, [null, progress]);
  });

  it("throws a failed operation's error from the stream", async () => {
    const error = { code: "JP_ERR_FETCH_404", kind: "not_found", message: "no such image" };
    const client = new StreamingClient({}, [frame("state", operation({ state: "failed", error }))]);
    await assert.rejects(waitForOperation(client, "op-1"), (e: JetpackError) => e.code === "JP_ERR_FETCH_404" && e.kind === "not_found");
  });

  it("falls back to polling when the stream breaks before the end", async () => {
    const lost = fail("unavailable", "JP_ERR_CLI_CONNECT", "lost the connection");
    const client = new StreamingClient({ "GET /v1/operations/op-1": sequence(operation({ state: "succeeded" })) }, [frame("state", operation({ state: "running" }))], lost);
    assert.equal((await waitForOperation(client, "op-1", { sleep: async () => undefined })).state, "succeeded");
    assert.equal(client.calls.length, 1);
  });

  it("falls back to polling when the stream ends early or the daemon has no stream route", async () => {
    const ended = new StreamingClient({ "GET /v1/operations/op-1": sequence(operation({ state: "succeeded" })) }, [frame("state", operation({ state: "running" }))]);
    assert.equal((await waitForOperation(ended, "op-1", { sleep: async () => undefined })).state, "succeeded");
    const old = new StreamingClient({ "GET /v1/operations/op-1": sequence(operation({ state: "succeeded" })) }, [], fail("not_found", "JP_ERR_API_NO_ROUTE", "no route"));
    assert.equal((await waitForOperation(old, "op-1", { sleep: async () => undefined })).state, "succeeded");
  });

  it("does not poll for an operation the daemon does not know", async () => {
    const client = new StreamingClient({}, [], fail("not_found", "JP_ERR_OP_NOT_FOUND", "no operation op-1"));
    await assert.rejects(waitForOperation(client, "op-1"), (e: JetpackError) => e.code === "JP_ERR_OP_NOT_FOUND");
    assert.equal(client.calls.length, 0);
  });

  it("keeps the progress line on a terminal while streaming, and erases it at the end", async () => {
    const client = new StreamingClient({}, [frame("progress", progress), frame("state", operation({ state: "succeeded" }))]);
    const ctx = testContext(client, { stderr: new MemoryOut(true) });
    await waitShowingProgress(ctx, "op-1");
    assert.equal(ctx.stderr.text, "\rfetch  2.00 KiB / 4.00 KiB (50%)  1.00 KiB/s  2s left\x1b[K\r\x1b[K");
  });
});

describe("reading server-sent events", () => {
  it("cuts events out of chunks split anywhere, with CRLF or LF, skipping comments", () => {
    const text = ': keep-alive\r\n\r\nevent: state\r\ndata: {"a":1}\r\n\r\nevent: progress\ndata: line1\ndata: line2\n\ndata: plain\n\n';
    for (const size of [1, 2, 5, text.length]) {
      const p = new SseParser();
      const got: SseEvent[] = [];
      for (let i = 0; i < text.length; i += size) got.push(...p.push(text.slice(i, i + size)));
      assert.deepEqual(got, [{ event: "state", data: '{"a":1}' }, { event: "progress", data: "line1\nline2" }, { event: "message", data: "plain" }], `chunks of ${size}`);
    }
  });

  it("keeps an event back until its blank line comes", () => {
    const p = new SseParser();
    assert.deepEqual(p.push("event: state\ndata: {}\n"), []);
    assert.deepEqual(p.push("\n"), [{ event: "state", data: "{}" }]);
  });
});

describe("choosing where the CLI connects", () => {
  it("uses the socket unless JETPACK_API is set", () => {
    assert.deepEqual(clientTarget({}, "/r/jetpack.sock", "/r"), { kind: "socket", socket: "/r/jetpack.sock", root: "/r" });
  });

  it("uses JETPACK_API with JETPACK_TOKEN", () => {
    assert.deepEqual(clientTarget({ JETPACK_API: "http://127.0.0.1:7070", JETPACK_TOKEN: " t0k3n\n" }, "/s", "/r"), { kind: "http", origin: "http://127.0.0.1:7070", token: "t0k3n" });
  });

  it("refuses JETPACK_API without a token, with a path, or of another scheme", () => {
    assert.throws(() => clientTarget({ JETPACK_API: "http://h:1" }, "/s", "/r"), (e: JetpackError) => e.code === "JP_ERR_CLI_TOKEN");
    assert.throws(() => clientTarget({ JETPACK_API: "http://h:1/v1", JETPACK_TOKEN: "t" }, "/s", "/r"), (e: JetpackError) => e.code === "JP_ERR_CLI_API");
    assert.throws(() => clientTarget({ JETPACK_API: "unix:/x", JETPACK_TOKEN: "t" }, "/s", "/r"), (e: JetpackError) => e.code === "JP_ERR_CLI_API");
    assert.throws(() => clientTarget({ JETPACK_API: "h:1 2", JETPACK_TOKEN: "t" }, "/s", "/r"), /JETPACK_API/);
  });
});
