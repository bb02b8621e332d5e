// GET /v1/openapi.json against the routes fastify really has, so that the document cannot drift.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { after, before, describe, it } from "node:test";
import Fastify from "fastify";
import { z } from "zod";
import { registerRoutes } from "../../../api/app.js";
import { jsonSchemaOf, openApiDocument, openApiPath, routeOfOptions } from "../../../api/openapi.js";
import { buildInMemoryApi, type InMemoryApi } from "../../support/api-deps.js";

let dir: string;
let api: InMemoryApi;
type Doc = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: Array<{ name: string; in: string }>; requestBody?: unknown }>> };
let doc: Doc;

before(async () => {
  dir = await mkdtemp(`${tmpdir()}/jp-openapi-`);
  api = await buildInMemoryApi(dir, { enqueue: async () => undefined });
  const r = await api.app.inject({ method: "GET", url: "/v1/openapi.json" });
  assert.equal(r.statusCode, 200);
  doc = r.json();
});

after(async () => {
  await api.app.close();
  await api.log.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 and lists every route that fastify registered, with its method", async () => {
    assert.equal(doc.openapi, "3.1.0");
    // A bare instance with its own onRoute hook: the routes as fastify sees them, collected apart from build().
    const bare = Fastify();
    const registered: string[] = [];
    bare.addHook("onRoute", (r) => {
      for (const m of [r.method].flat()) if (m !== "HEAD") registered.push(`${m} ${openApiPath(r.url).path}`);
    });
    registerRoutes(bare, api.deps);
    await bare.ready();
    await bare.close();
    assert.ok(registered.length >= 20, `only ${registered.length} routes`);
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    for (const route of registered) assert.ok(documented.has(route), `${route} is missing from the document`);
    assert.ok(documented.has("GET /v1/openapi.json"));
    assert.ok(documented.has("GET /v1/operations/{id}/events"));
  });

  it("gives every operation its success and error answers, path parameters and zod-made query parameters", () => {
    const show = doc.paths["/v1/images/{ref}"]!.get!;
    for (const code of ["200", "400", "401", "404", "409"]) assert.ok(show.responses[code], `GET /v1/images/{ref} lacks ${code}`);
    assert.deepEqual(show.parameters, [{ name: "ref", in: "path", required: true, schema: { type: "string" } }]);
    const events = doc.paths["/v1/events"]!.get!;
    const names = events.parameters!.map((p) => p.name);
    for (const n of ["pod", "image", "after", "limit"]) assert.ok(names.includes(n), `no ${n} parameter`);
    const post = doc.paths["/v1/images"]!.post!;
    for (const code of ["202", "400", "413"]) assert.ok(post.responses[code], `POST /v1/images lacks ${code}`);
    assert.equal(post.responses["200"], undefined, "an import is queued: 202, never 200");
    assert.ok(post.requestBody);
  });

  it("describes a route's JSON body from its zod schema, as a client may send it", () => {
    const Body = z.strictObject({ image: z.string().min(1), insecure: z.boolean().default(false) });
    const [route] = routeOfOptions({ method: "POST", url: "/v1/things/:id", config: { openapi: { body: Body, success: [202] } } });
    const d = openApiDocument([route!], { version: "1" }) as Doc;
    const op = d.paths["/v1/things/{id}"]!.post!;
    assert.deepEqual(Object.keys(op.responses).sort(), ["202", "400", "401", "404", "409", "413"]);
    const schema = (op.requestBody as { content: Record<string, { schema: Record<string, unknown> }> }).content["application/json"]!.schema;
    assert.deepEqual(schema, jsonSchemaOf(Body));
    assert.deepEqual(schema.required, ["image"], "a field with a default is optional to the client");
    assert.equal(schema.additionalProperties, false, "unknown fields are refused, and the document says so");
  });

  it("leaves out the HEAD routes fastify adds for each GET", () => {
    assert.deepEqual(routeOfOptions({ method: "HEAD", url: "/v1/pods" }), []);
    assert.deepEqual(routeOfOptions({ method: ["GET", "HEAD"], url: "/v1/pods" }).map((r) => r.method), ["GET"]);
  });
});
