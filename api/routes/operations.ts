// /v1/operations: the state, progress and outcome of queued requests.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { fail } from "../../machines/errors.js";
import { parseOrFail } from "../../machines/validate.js";
import type { ApiDeps } from "../deps.js";

const ListQuery = z.strictObject({
  state: z.enum(["queued", "running", "succeeded", "failed"]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** The answer for one operation: what the log says about it, plus its live progress. */
export function operationAnswer(deps: ApiDeps, id: string) {
  const view = deps.operations().get(id);
  if (!view) throw fail("not_found", "JP_ERR_OP_NOT_FOUND", `no operation ${id}`, { hint: "see `jetpack op list`" });
  return { ...view, progress: deps.progress.get(id) ?? null };
}

export function operationRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get("/v1/operations", async (req) => {
    const q = parseOrFail(ListQuery, req.query, "JP_ERR_API_INVALID", "operations query");
    const all = [...deps.operations().values()].filter((o) => !q.state || o.state === q.state);
    return { operations: all.slice(-q.limit).map((o) => ({ ...o, progress: deps.progress.get(o.id) ?? null })) };
  });

  app.get("/v1/operations/:id", async (req) => operationAnswer(deps, (req.params as { id: string }).id));
}
