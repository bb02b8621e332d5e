// Who is asking, for the audit trail. Pure.
//
// The unix socket is root's alone (mode 0600), so the CLI's word for the OS user it runs as (including the
// user behind sudo) is as good as the kernel's would be.
import type { FastifyRequest } from "fastify";

const ACTOR_HEADER = "x-jetpack-user";

/** Pure. The actor of a request on the local socket. */
export function actorOf(req: FastifyRequest): string {
  const claimed = req.headers[ACTOR_HEADER];
  const name = Array.isArray(claimed) ? claimed[0] : claimed;
  return name && /^[\w.@() -]{1,64}$/.test(name) ? name : "root";
}
