// The API on TCP with bearer tokens beside the unix socket, over the same deps: real listeners, the CLI's
// real clients (undici), the audit trail telling who did what on each.
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import { HttpClient, SocketClient } from "../../api/cli/client.js";
import { waitForOperation, type OperationAnswer } from "../../api/cli/wait.js";
import { loadTokenFile, parseListenAddress, startTcpListener, type TcpListener } from "../../api/daemon/tcp.js";
import type { JetpackError } from "../../machines/errors.js";
import { readLog } from "../../machines/log/index.js";
import { computeProgress, type Progress } from "../../machines/progress.js";
import { buildInMemoryApi, type InMemoryApi } from "../support/api-deps.js";

const CI_TOKEN = "ci-0123456789abcdef0123456789abcdef";
let dir: string;
let api: InMemoryApi;
let tcp: TcpListener;
let origin: string;
let socket: string;

before(async () => {
  dir = await mkdtemp(`${tmpdir()}/jp-tcp-`);
  await writeFile(`${dir}/some.aci`, "x");
  await writeFile(`${dir}/tokens`, `# who may use the TCP API\nci ${CI_TOKEN}\n`, { mode: 0o600 });
  api = await buildInMemoryApi(dir, { enqueue: async () => undefined });
  socket = `${dir}/jetpack.sock`;
  await api.app.listen({ path: socket });
  tcp = await startTcpListener(api.deps, { host: "127.0.0.1", port: 0, tokenFile: `${dir}/tokens` });
  origin = `http://127.0.0.1:${tcp.port}`;
});

after(async () => {
  await tcp?.close();
  await api?.app.close();
  await api?.log.close();
  await rm(dir, { recursive: true, force: true });
});

const importBody = () => ({ source: { path: `${dir}/some.aci` }, insecureOptions: ["image"] });

async function lastActor(): Promise<string | undefined> {
  let actor: string | undefined;
  for await (const rec of readLog(api.log.path)) actor = rec.actor;
  return actor;
}

describe("the TCP listener", () => {
  it("answers 401 with WWW-Authenticate: Bearer without a token, and with a wrong one", async () => {
    const none = await request(`${origin}/v1/images`);
    assert.equal(none.statusCode, 401);
    assert.match(String(none.headers["www-authenticate"]), /^Bearer/);
    await none.body.text();
    const client = new HttpClient(origin, "x".repeat(40));
    try {
      await assert.rejects(client.request("GET", "/v1/images"), (e: JetpackError) => e.kind === "permission_denied" && e.code === "JP_ERR_AUTH_TOKEN");
    } finally {
      await client.close();
    }
  });

  it("records the token's name as actor over TCP and the OS user over the socket, on the same log", async () => {
    const http = new HttpClient(origin, CI_TOKEN);
    const local = new SocketClient(socket, dir, "alice");
    try {
      const viaTcp = await http.request<OperationAnswer>("POST", "/v1/images", { json: importBody() });
      assert.equal(viaTcp.actor, "ci");
      assert.equal(await lastActor(), "ci");
      const viaSocket = await local.request<OperationAnswer>("POST", "/v1/images", { json: importBody() });
      assert.equal(viaSocket.actor, "alice");
      assert.equal(await lastActor(), "alice");
      const seen = await local.request<{ operations: OperationAnswer[] }>("GET", "/v1/operations");
      assert.ok(seen.operations.some((o) => o.id === viaTcp.id), "both listeners read the same projections");
    } finally {
      await http.close();
      await local.close();
    }
  });

  it("streams an operation's progress and end over HTTP to the CLI's wait, with no polls", async () => {
    const http = new HttpClient(origin, CI_TOKEN);
    try {
      const op = await http.request<OperationAnswer>("POST", "/v1/images", { json: importBody() });
      const seen: Array<Progress | null> = [];
      const polls: number[] = [];
      const waiting = waitForOperation(http, op.id, { onProgress: (p) => seen.push(p), sleep: async (ms) => void polls.push(ms) });
      await sleep(50);
      await api.engine.dispatch({ stream: op.stream, type: "image.import.started", actor: "system", op: op.id, data: { jobSeq: 1 } });
      await sleep(200);
      api.deps.progress.post(op.id, computeProgress("import", Date.now() - 1000, Date.now(), 100, 200));
      await sleep(100);
      await api.engine.dispatch({ stream: op.stream, type: "image.import.failed", actor: "system", op: op.id, data: { error: { code: "JP_ERR_ACI_FORMAT", kind: "invalid", message: "not an ACI" } } });
      await assert.rejects(waiting, (e: JetpackError) => e.code === "JP_ERR_ACI_FORMAT");
      assert.deepEqual(polls, [], "the stream carried it to the end");
      assert.ok(seen.some((p) => p?.bytes === 100), `progress seen: ${JSON.stringify(seen)}`);
    } finally {
      await http.close();
    }
  });

  it("serves the OpenAPI document to a token holder", async () => {
    const http = new HttpClient(origin, CI_TOKEN);
    try {
      const doc = await http.request<{ openapi: string; paths: Record<string, unknown> }>("GET", "/v1/openapi.json");
      assert.equal(doc.openapi, "3.1.0");
      assert.ok(doc.paths["/v1/operations/{id}/events"]);
    } finally {
      await http.close();
    }
  });
});

describe("starting the TCP listener", () => {
  it("refuses a token file that others can read, and one with a short token, naming the line", async () => {
    await writeFile(`${dir}/open-tokens`, `ci ${CI_TOKEN}\n`);
    await chmod(`${dir}/open-tokens`, 0o644);
    await assert.rejects(loadTokenFile(`${dir}/open-tokens`), (e: JetpackError) => e.code === "JP_ERR_AUTH_TOKEN_FILE_MODE" && /chmod 600/.test(e.hint ?? ""));
    await writeFile(`${dir}/short-tokens`, `ci ${CI_TOKEN}\nbob short\n`, { mode: 0o600 });
    await assert.rejects(startTcpListener(api.deps, { host: "127.0.0.1", port: 0, tokenFile: `${dir}/short-tokens` }), /short-tokens:2: the token of bob has 5 characters/);
    await assert.rejects(loadTokenFile(`${dir}/none`), (e: JetpackError) => e.kind === "not_found");
  });

  it("reads HOST:PORT and [v6]:PORT, and refuses anything else", () => {
    assert.deepEqual(parseListenAddress("127.0.0.1:7070"), { host: "127.0.0.1", port: 7070 });
    assert.deepEqual(parseListenAddress("[::1]:7070"), { host: "::1", port: 7070 });
    assert.throws(() => parseListenAddress("7070"), /expected HOST:PORT/);
    assert.throws(() => parseListenAddress("h:70700"), /expected HOST:PORT/);
  });
});
