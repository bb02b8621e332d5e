// The audit trail through the API and `jetpack history`: the pod filter (destroyed pods too), --follow
// tailing new records, and --verify catching a tampered log.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { parseArgs } from "../../../api/cli/args.js";
import { history, historyCommand } from "../../../api/cli/commands/history.js";
import type { CliContext } from "../../../api/cli/context.js";
import type { JetpackError } from "../../../machines/errors.js";
import type { LogRecord } from "../../../machines/log/index.js";
import { buildInMemoryApi, type InMemoryApi } from "../../support/api-deps.js";
import { MemoryOut } from "./cli/fake-client.js";
import { InjectClient } from "./inject-client.js";

const WEB = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
const DB = "7a7a7a7a-0000-4000-8000-000000000001";
let dir: string;
let api: InMemoryApi;

before(async () => {
  dir = await mkdtemp(`${tmpdir()}/jp-audit-`);
  api = await buildInMemoryApi(dir, { enqueue: async () => undefined });
  // Raw records: the filter reads streams from the log, so no pod machine is needed to make them.
  await api.log.append({ stream: `pod/${WEB}`, type: "pod.create.requested", actor: "alice", op: "op-1", data: { name: "web" } });
  await api.log.append({ stream: `pod/${DB}`, type: "pod.create.requested", actor: "bob", op: "op-2", data: { name: "db" } });
  await api.log.append({ stream: `pod/${WEB}`, type: "pod.destroyed", actor: "system", op: "op-3", data: {} });
  await api.log.append({ stream: "image/1", type: "image.destroyed", actor: "alice", data: {} });
});

after(async () => {
  await api.app.close();
  await api.log.close();
  await rm(dir, { recursive: true, force: true });
});

const seqsOf = async (query: string) => {
  const r = await api.app.inject({ method: "GET", url: `/v1/events?${query}` });
  assert.equal(r.statusCode, 200, r.body);
  return (r.json().events as LogRecord[]).map((e) => e.seq);
};

function cliContext(): CliContext & { stdout: MemoryOut } {
  return { client: new InjectClient(api.app), stdout: new MemoryOut(), stderr: new MemoryOut(), stdin: Readable.from([]), cwd: "/", root: "/var/lib/jetpack", json: true, sleep: () => sleep(5) };
}

describe("the pod filter of the audit trail", () => {
  it("finds a destroyed pod's events by UUID, UUID prefix or name, and no other stream's", async () => {
    assert.deepEqual(await seqsOf(`pod=${WEB}`), [1, 3]);
    assert.deepEqual(await seqsOf("pod=0b1c"), [1, 3]);
    assert.deepEqual(await seqsOf("pod=0B1C"), [1, 3], "a UUID is matched whatever its case");
    assert.deepEqual(await seqsOf("pod=web"), [1, 3]);
    assert.deepEqual(await seqsOf("pod=db"), [2]);
    assert.deepEqual(await seqsOf("pod=ffff"), []);
  });

  it("is what `jetpack history --pod` asks for", async () => {
    const ctx = cliContext();
    await history(parseArgs(["--pod", "7a7a"], historyCommand.flags), ctx);
    assert.deepEqual(ctx.stdout.text.trimEnd().split("\n").map((l) => JSON.parse(l).seq), [2]);
  });
});

describe("jetpack history --follow", () => {
  it("prints the events there are, then each new one as it is appended, until stopped", async () => {
    const ctx = cliContext();
    const stop = new AbortController();
    const seen = () => ctx.stdout.text.trimEnd().split("\n").filter(Boolean).map((l) => JSON.parse(l) as LogRecord);
    const running = history(parseArgs(["--follow", "--actor", "carol"], historyCommand.flags), ctx, stop.signal);
    try {
      await api.log.append({ stream: "image/2", type: "image.destroyed", actor: "carol", data: {} });
      await api.log.append({ stream: "image/3", type: "image.destroyed", actor: "dave", data: {} });
      await api.log.append({ stream: "image/4", type: "image.destroyed", actor: "carol", data: {} });
      for (let i = 0; i < 200 && seen().length < 2; i++) await sleep(10);
      assert.deepEqual(seen().map((r) => r.stream), ["image/2", "image/4"]);
    } finally {
      stop.abort();
      await running;
    }
    const printed = ctx.stdout.text;
    await api.log.append({ stream: "image/5", type: "image.destroyed", actor: "carol", data: {} });
    await sleep(50);
    assert.equal(ctx.stdout.text, printed, "nothing is printed once it has stopped");
  });
});

describe("jetpack history --verify through the API", () => {
  it("catches a tampered record and names it: the first bad line and seq", async () => {
    const other = await mkdtemp(`${tmpdir()}/jp-tamper-`);
    const tampered = await buildInMemoryApi(other, { enqueue: async () => undefined });
    try {
      for (const actor of ["alice", "bob", "carol"]) await tampered.log.append({ stream: "image/1", type: "image.destroyed", actor, data: {} });
      const text = await readFile(tampered.log.path, "utf8");
      await writeFile(tampered.log.path, text.replace('"actor":"bob"', '"actor":"eve"'));
      const ctx = { ...cliContext(), client: new InjectClient(tampered.app), json: false };
      await assert.rejects(history(parseArgs(["--verify"], historyCommand.flags), ctx), (e: JetpackError) => {
        assert.equal(e.kind, "conflict");
        assert.equal(e.message, "log broken at line 2 (seq 2): hash does not match content; 1 records before it are intact");
        return true;
      });
    } finally {
      await tampered.app.close();
      await tampered.log.close();
      await rm(other, { recursive: true, force: true });
    }
  });
});
