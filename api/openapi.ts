// GET /v1/openapi.json: the API described as OpenAPI 3.1, made from the routes fastify actually registered
// (collected by an onRoute hook in build()), so the document cannot drift from the code. Pure.
//
// A route tells more about itself through its fastify config: `{ config: { openapi: { body, query, ... } } }`
// with the same zod schemas it parses with; JSON Schema comes from zod's own z.toJSONSchema.
import type { RouteOptions } from "fastify";
import { z } from "zod";

/** What a route may say about itself for the document. */
export interface RouteDoc {
  summary?: string;
  /** The zod schema of its JSON body. */
  body?: z.ZodType;
  /** The zod schema of its query string (an object). */
  query?: z.ZodType;
  /** Its success statuses; by default 200 for GET, 200 and 202 for POST and DELETE. */
  success?: number[];
  /** The media type of its success answer, when it is not JSON. */
  produces?: string;
  /** The media type of its body, when it is not JSON (an upload). */
  consumes?: string;
}

declare module "fastify" {
  interface FastifyContextConfig {
    openapi?: RouteDoc;
  }
}

export interface ApiRoute {
  method: string;
  /** As fastify has it: `/v1/images/:ref`. */
  url: string;
  doc: RouteDoc;
}

const DOCUMENTED_METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);

/** Pure. The routes an onRoute call stands for (HEAD routes fastify adds for each GET are left out). */
export function routeOfOptions(r: Pick<RouteOptions, "method" | "url" | "config">): ApiRoute[] {
  const methods = Array.isArray(r.method) ? r.method : [r.method];
  const doc = (r.config as { openapi?: RouteDoc } | undefined)?.openapi ?? {};
  return methods.filter((m) => DOCUMENTED_METHODS.has(m.toUpperCase())).map((m) => ({ method: m.toUpperCase(), url: r.url, doc }));
}

/** Pure. `/v1/images/:ref` as OpenAPI writes it: `/v1/images/{ref}`, with the names of its parameters. */
export function openApiPath(url: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path, params };
}

type JsonSchema = Record<string, unknown>;

/** Pure. JSON Schema (2020-12, as OpenAPI 3.1 uses) of what a client sends: defaults make fields optional. */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
  delete out.$schema;
  return out;
}

function queryParameters(schema: z.ZodType): JsonSchema[] {
  const js = jsonSchemaOf(schema);
  const props = (js.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((js.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => ({ name, in: "query", required: required.has(name), schema: s }));
}

const ERROR_RESPONSES: Record<string, string> = {
  "400": "invalid request: bad JSON, unknown or wrong fields (named in the message and details.issues)",
  "401": "no bearer token, or an unknown one (TCP listener only)",
  "404": "no such route, image, pod or operation",
  "409": "the request conflicts with the state of the thing it names",
};

function successResponse(status: number, doc: RouteDoc): JsonSchema {
  const type = doc.produces ?? "application/json";
  const description = status === 202 ? "accepted: the operation is queued (follow it at /v1/operations/{id})" : "OK";
  return { description, content: { [type]: { schema: type === "application/json" ? { type: "object" } : { type: "string" } } } };
}

function operationOf(route: ApiRoute, params: string[]): JsonSchema {
  const { doc } = route;
  const success = doc.success ?? (route.method === "GET" ? [200] : [200, 202]);
  const responses: Record<string, unknown> = {};
  for (const s of success) responses[String(s)] = successResponse(s, doc);
  for (const [code, description] of Object.entries(ERROR_RESPONSES)) responses[code] = { $ref: `#/components/responses/E${code}`, description };
  const hasBody = route.method === "POST" || route.method === "PUT" || route.method === "PATCH";
  if (hasBody && !doc.consumes) responses["413"] = { $ref: "#/components/responses/E413" };
  const parameters = [...params.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })), ...(doc.query ? queryParameters(doc.query) : [])];
  const op: JsonSchema = {
    operationId: `${route.method.toLowerCase()}${openApiPath(route.url).path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
    ...(doc.summary ? { summary: doc.summary } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    responses,
  };
  if (hasBody) {
    const type = doc.consumes ?? "application/json";
    const schema = doc.body ? jsonSchemaOf(doc.body) : type === "application/json" ? { type: "object" } : { type: "string", contentEncoding: "binary" };
    op.requestBody = { required: doc.body !== undefined || type !== "application/json", content: { [type]: { schema } } };
  }
  return op;
}

const ERROR_SCHEMA: JsonSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "kind", "message"],
      properties: {
        code: { type: "string", pattern: "^JP_ERR_[A-Z0-9_]+$" },
        kind: { enum: ["invalid", "not_found", "already_exists", "conflict", "permission_denied", "unavailable", "internal"] },
        message: { type: "string" },
        hint: { type: "string" },
        details: {},
      },
    },
  },
};

/** Pure. The OpenAPI 3.1 document of `routes`. */
export function openApiDocument(routes: readonly ApiRoute[], info: { version: string }): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const { path, params } = openApiPath(route.url);
    (paths[path] ??= {})[route.method.toLowerCase()] = operationOf(route, params);
  }
  const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
  return {
    openapi: "3.1.0",
    info: {
      title: "Jetpack API",
      version: info.version,
      description: "The jetpack daemon's API. On the unix socket the caller names itself in x-jetpack-user; on TCP every request needs a bearer token, whose name is the actor.",
    },
    security: [{}, { bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "a token from the daemon's --token-file (TCP listener only)" } },
      schemas: { Error: ERROR_SCHEMA },
      responses: {
        ...Object.fromEntries(Object.entries(ERROR_RESPONSES).map(([code, d]) => [`E${code}`, errorResponse(d)])),
        E413: errorResponse("the body is larger than the limit"),
      },
    },
  };
}
