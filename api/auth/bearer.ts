// The gate of the TCP listener: every request shows a bearer token from the token file, or gets 401 before
// anything else about it (body, route, params) is looked at. The token's name becomes the request's actor.
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from "fastify";
import { errorBody } from "../errors.js";
import { bearerToken, type TokenTable } from "./tokens.js";

/** Pure. The 401 answer: which challenge, and why, without saying whether a token came close. */
function refuse(reply: FastifyReply, why: "missing" | "unknown"): void {
  const message = why === "missing" ? "this listener needs an Authorization: Bearer <token> header" : "the bearer token is not in the daemon's token file";
  void reply
    .status(401)
    .header("www-authenticate", why === "missing" ? 'Bearer realm="jetpack"' : 'Bearer realm="jetpack", error="invalid_token"')
    .send(errorBody({ code: "JP_ERR_AUTH_TOKEN", kind: "permission_denied", message, hint: "set JETPACK_TOKEN to a token from the daemon's --token-file" }));
}

/** An onRequest hook that lets through only requests with a token of `tokens`, as the token's name. */
export function bearerAuth(tokens: TokenTable): onRequestHookHandler {
  return function checkBearer(req: FastifyRequest, reply: FastifyReply, done: () => void) {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) return refuse(reply, "missing");
    const name = tokens.nameOf(token);
    if (name === undefined) return refuse(reply, "unknown");
    req.jetpackActor = name;
    done();
  };
}
