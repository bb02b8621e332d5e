// Who is asking, for the audit trail. Pure.
//
// Each listener decides how a request names its actor, in an onRequest hook that sets `jetpackActor`
// before any route runs: on the unix socket (root's alone, mode 0600) the CLI's word for the OS user it
// runs as (including the user behind sudo) is as good as the kernel's would be, so the x-jetpack-user
// header is taken; on TCP the actor is the name of the bearer token (api/auth/bearer.ts) and the header
// is ignored, since anyone on the network could set it.
import type { FastifyRequest } from "fastify";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the listener's onRequest hook; routes read it through actorOf. */
    jetpackActor: string | null;
  }
}

export const ACTOR_HEADER = "x-jetpack-user";

/** Pure. The actor a request on the local socket claims in x-jetpack-user (`root` when it claims none or a bad one). */
export function socketActor(req: Pick<FastifyRequest, "headers">): string {
  const claimed = req.headers[ACTOR_HEADER];
  const name = Array.isArray(claimed) ? claimed[0] : claimed;
  return name && /^[\w.@() -]{1,64}$/.test(name) ? name : "root";
}

/** Pure. The actor of a request: what its listener's hook decided (the socket's header when no hook ran). */
export function actorOf(req: FastifyRequest): string {
  return req.jetpackActor ?? socketActor(req);
}
