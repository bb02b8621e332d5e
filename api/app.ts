// build(deps) -> a fastify instance with every route, not listening (tests use inject()).
import Fastify, { type FastifyInstance } from "fastify";
import type { ApiDeps } from "./deps.js";
import { errorHandler } from "./errors.js";
import { eventRoutes } from "./routes/events.js";
import { imageRoutes } from "./routes/images.js";
import { operationRoutes } from "./routes/operations.js";
import { podRoutes } from "./routes/pods.js";
import { trustRoutes } from "./routes/trust.js";

export interface BuildOptions {
  logger?: boolean;
  /** Largest JSON body accepted (uploads have their own limit). */
  bodyLimit?: number;
}

export function build(deps: ApiDeps, opts: BuildOptions = {}): FastifyInstance {
  // Image IDs (135 characters) travel as path segments; fastify's default limit is 100.
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: opts.bodyLimit ?? 1 << 20, maxParamLength: 256 });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: "JP_ERR_API_NO_ROUTE", kind: "not_found", message: `no route ${req.method} ${req.url}` } });
  });
  app.get("/v1/health", async () => ({ ok: true, version: deps.version }));
  imageRoutes(app, deps);
  podRoutes(app, deps);
  operationRoutes(app, deps);
  eventRoutes(app, deps);
  trustRoutes(app, deps);
  return app;
}
