// build(deps) -> a fastify instance with every route, not listening (tests use inject()).
//
// The same routes serve both listeners; only the onRequest hook differs: on the unix socket the actor is
// the x-jetpack-user header, on TCP (`tokens` given) every request needs a bearer token and its name is
// the actor.
import Fastify, { type FastifyInstance } from "fastify";
import { socketActor } from "./actor.js";
import { bearerAuth } from "./auth/bearer.js";
import type { TokenTable } from "./auth/tokens.js";
import type { ApiDeps } from "./deps.js";
import { errorHandler } from "./errors.js";
import { openApiDocument, routeOfOptions, type ApiRoute } from "./openapi.js";
import { eventRoutes } from "./routes/events.js";
import { imageRoutes } from "./routes/images.js";
import { operationRoutes } from "./routes/operations.js";
import { podRoutes } from "./routes/pods.js";
import { trustRoutes } from "./routes/trust.js";

export interface BuildOptions {
  logger?: boolean;
  /** Largest JSON body accepted (uploads have their own limit). */
  bodyLimit?: number;
  /** Bearer tokens: when given, every request must carry one (the TCP listener), and its name is the actor. */
  tokens?: TokenTable;
}

export const DEFAULT_BODY_LIMIT = 1 << 20;

/** Registers every route of the API on `app` (build() calls it; the OpenAPI test calls it on a bare instance). */
export function registerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get("/v1/health", async () => ({ ok: true, version: deps.version }));
  imageRoutes(app, deps);
  podRoutes(app, deps);
  operationRoutes(app, deps);
  eventRoutes(app, deps);
  trustRoutes(app, deps);
}

export function build(deps: ApiDeps, opts: BuildOptions = {}): FastifyInstance {
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  // Image IDs (135 characters) travel as path segments; fastify's default limit is 100.
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit, maxParamLength: 256 });
  app.decorateRequest("jetpackActor", null);
  // Hooks before routes and the not-found handler, so that they cover every request.
  if (opts.tokens) {
    app.addHook("onRequest", bearerAuth(opts.tokens));
  } else {
    app.addHook("onRequest", (req, _reply, done) => {
      req.jetpackActor = socketActor(req);
      done();
    });
  }
  const routes: ApiRoute[] = [];
  app.addHook("onRoute", (r) => void routes.push(...routeOfOptions(r)));
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: "JP_ERR_API_NO_ROUTE", kind: "not_found", message: `no route ${req.method} ${req.url}` } });
  });
  app.get("/v1/openapi.json", async () => openApiDocument(routes, { version: deps.version }));
  registerRoutes(app, deps);
  return app;
}
