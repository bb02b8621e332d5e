// /v1/trust: the keys images are verified with, per name prefix or as root keys. Each change is an
// event in the audit trail.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { fail } from "../../machines/errors.js";
import { trustStream } from "../../machines/events.js";
import { parseOrFail } from "../../machines/validate.js";
import { actorOf } from "../actor.js";
import type { ApiDeps } from "../deps.js";

const AddBody = z
  .strictObject({
    key: z.string().min(1).optional(),
    url: z.url({ protocol: /^https$/ }).optional(),
    prefix: z.string().min(1).optional(),
    root: z.boolean().default(false),
    fingerprint: z.string().min(1).optional(),
  })
  .refine((b) => (b.key === undefined) !== (b.url === undefined), { message: "give exactly one of key (armored text) and url (https)" })
  .refine((b) => (b.prefix === undefined) !== !b.root, { message: "give exactly one of prefix and root" });

export function trustRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get("/v1/trust", { config: { openapi: { summary: "the trusted keys" } } }, async () => ({ keys: await deps.trust.list() }));

  app.post("/v1/trust", { config: { openapi: { summary: "trust a key for a name prefix, or as a root key", body: AddBody, success: [200] } } }, async (req) => {
    const body = parseOrFail(AddBody, req.body, "JP_ERR_API_INVALID", "trust request");
    const armored = body.key ?? (await deps.trust.fetchKey(body.url!));
    const scope = body.root ? ({ root: true } as const) : { prefix: body.prefix! };
    const key = await deps.trust.add(armored, scope, body.fingerprint ? { fingerprint: body.fingerprint } : {});
    await deps.engine.dispatch({
      stream: trustStream(key.fingerprint),
      type: "trust.key.added",
      actor: actorOf(req),
      data: { fingerprint: key.fingerprint, prefix: key.prefix, userIds: key.userIds, source: body.url ?? "uploaded" },
    });
    return { key };
  });

  app.delete("/v1/trust/:fingerprint", { config: { openapi: { summary: "stop trusting a key", success: [200] } } }, async (req) => {
    const fingerprint = (req.params as { fingerprint: string }).fingerprint.toLowerCase();
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(fingerprint)) throw fail("invalid", "JP_ERR_API_INVALID", `${fingerprint} is not a full key fingerprint`, { hint: "see `jetpack trust list`" });
    const removed = await deps.trust.remove(fingerprint);
    await deps.engine.dispatch({ stream: trustStream(fingerprint), type: "trust.key.removed", actor: actorOf(req), data: { fingerprint } });
    return { removed };
  });
}
