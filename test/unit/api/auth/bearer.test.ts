// The same routes behind the TCP listener's gate: a bearer token or 401, and the token's name as actor.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { after, before, describe, it } from "node:test";
import { build } from "../../../../api/app.js";
import { parseTokenFile } from "../../../../api/auth/tokens.js";
import { readLog } from "../../../../machines/log/index.js";
import { buildInMemoryApi, type InMemoryApi } from "../../../support/api-deps.js";

const CI_TOKEN = "c".repeat(40);
let dir: string;
let api: InMemoryApi;
let tcp: ReturnType<typeof build>;

async function actors(): Promise<string[]> {
  const out: string[] = [];
  for await (const rec of readLog(api.log.path)) out.push(rec.actor);
  return out;
}

before(async () => {
  dir = await mkdtemp(`${tmpdir()}/jp-bearer-`);
  await writeFile(`${dir}/some.aci`, "x");
  api = await buildInMemoryApi(dir, { enqueue: async () => undefined });
  tcp = build(api.deps, { tokens: parseTokenFile(`ci ${CI_TOKEN}\n`, "tokens") });
});

after(async () => {
  await tcp.close();
  await api.app.close();
  await api.log.close();
  await rm(dir, { recursive: true, force: true });
});

const importBody = () => ({ source: { path: `${dir}/some.aci` }, insecureOptions: ["image"] });

describe("the API behind bearer tokens", () => {
  it("answers 401 with WWW-Authenticate: Bearer to a request without a token", async () => {
    const r = await tcp.inject({ method: "GET", url: "/v1/images" });
    assert.equal(r.statusCode, 401);
    assert.match(String(r.headers["www-authenticate"]), /^Bearer /);
    assert.equal(r.json().error.code, "JP_ERR_AUTH_TOKEN");
  });

  it("answers 401 to an unknown token before looking at the route or the body, and records nothing", async () => {
    const before = (await actors()).length;
    const bad = await tcp.inject({ method: "POST", url: "/v1/images", headers: { authorization: `Bearer ${"d".repeat(40)}`, "content-type": "application/json" }, payload: "{not json" });
    assert.equal(bad.statusCode, 401);
    assert.match(String(bad.headers["www-authenticate"]), /invalid_token/);
    const noRoute = await tcp.inject({ method: "GET", url: "/v1/nothing", headers: { authorization: "Basic Y2k6eA==" } });
    assert.equal(noRoute.statusCode, 401, "an unknown route is no way around the gate");
    const good = await tcp.inject({ method: "POST", url: "/v1/images", headers: { authorization: `Bearer ${"d".repeat(40)}` }, payload: importBody() });
    assert.equal(good.statusCode, 401);
    assert.equal((await actors()).length, before);
  });

  it("records the token's name as the actor, not the x-jetpack-user the client sends", async () => {
    const r = await tcp.inject({ method: "POST", url: "/v1/images", headers: { authorization: `Bearer ${CI_TOKEN}`, "x-jetpack-user": "root" }, payload: importBody() });
    assert.equal(r.statusCode, 202, r.body);
    assert.equal(r.json().actor, "ci");
    assert.equal((await actors()).at(-1), "ci");
  });

  it("keeps the x-jetpack-user header as the actor on the socket's instance over the same deps", async () => {
    const r = await api.app.inject({ method: "POST", url: "/v1/images", headers: { "x-jetpack-user": "alice" }, payload: importBody() });
    assert.equal(r.statusCode, 202, r.body);
    assert.equal((await actors()).at(-1), "alice");
    const tokenOnSocket = await api.app.inject({ method: "GET", url: "/v1/health", headers: { authorization: "Bearer whatever" } });
    assert.equal(tokenOnSocket.statusCode, 200, "the socket needs no token");
  });
});
