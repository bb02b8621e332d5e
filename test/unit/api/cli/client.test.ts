import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FastifyRequest } from "fastify";
import { actorOf } from "../../../../api/actor.js";
import { ACTOR_HEADER, actorName, apiPath, connectionError, errorFromAnswer, kindOfStatus, segment } from "../../../../api/cli/client.js";
import { JetpackError } from "../../../../machines/errors.js";

/** What the API records as the actor when the CLI sends `name`. */
function recordedActor(name: string): string {
  return actorOf({ headers: { [ACTOR_HEADER]: name } } as unknown as FastifyRequest);
}

describe("the API client's pure parts", () => {
  it("names the OS user as the actor", () => {
    assert.equal(actorName("alice", undefined), "alice");
    assert.equal(actorName("root", "root"), "root");
  });

  it("names the user behind sudo in a form the API records as sent", () => {
    const actor = actorName("root", "alice");
    assert.equal(actor, "root (sudo alice)");
    assert.equal(recordedActor(actor), actor);
  });

  it("replaces characters the API would refuse, so the audit trail keeps the name rather than falling back to root", () => {
    const actor = actorName("root", "dom\\alice:x");
    assert.equal(actor, "root (sudo dom_alice_x)");
    assert.equal(recordedActor(actor), actor);
    const long = actorName("u".repeat(80), undefined);
    assert.equal(long.length, 64);
    assert.equal(recordedActor(long), long);
  });

  it("builds query strings, leaving out unset values and encoding the rest", () => {
    assert.equal(apiPath("/v1/events", { type: "image.*", after: 0, actor: undefined }), "/v1/events?type=image.*&after=0");
    assert.equal(apiPath("/v1/images"), "/v1/images");
    assert.equal(apiPath("/v1/x", { since: "2024-05-01T00:00:00.000Z" }), "/v1/x?since=2024-05-01T00%3A00%3A00.000Z");
  });

  it("encodes an image reference as one path segment", () => {
    assert.equal(segment("example.com/app:1.0,os=linux"), "example.com%2Fapp%3A1.0%2Cos%3Dlinux");
  });

  it("turns an error answer into the JetpackError it carries, kind and hint kept", () => {
    const body = JSON.stringify({ error: { code: "JP_ERR_IMAGE_NOT_FOUND", kind: "not_found", message: "no image matches foo", hint: "see `jetpack image list`" } });
    const err = errorFromAnswer(404, body);
    assert.ok(err instanceof JetpackError);
    assert.deepEqual(err.toData(), { code: "JP_ERR_IMAGE_NOT_FOUND", kind: "not_found", message: "no image matches foo", hint: "see `jetpack image list`" });
  });

  it("describes an error answer without an error body by its status", () => {
    assert.equal(errorFromAnswer(502, "<html>bad gateway</html>").kind, "internal");
    assert.equal(errorFromAnswer(503, "").kind, "unavailable");
    assert.equal(errorFromAnswer(404, '{"error":{"kind":"weird"}}').kind, "not_found");
    assert.match(errorFromAnswer(500, "oops").message, /answered 500 without an error body: oops/);
  });

  it("keeps the message of a refusal that came before the API's error handler", () => {
    const err = errorFromAnswer(414, JSON.stringify({ error: "Bad Request", code: "FST_ERR_MAX_PARAM_LENGTH", message: "param too long" }));
    assert.equal(err.kind, "invalid");
    assert.equal(err.message, "the daemon refused the request (414): param too long");
  });

  it("maps statuses without a kind onto kinds", () => {
    assert.deepEqual(
      [400, 401, 403, 404, 409, 413, 503, 500, 502].map(kindOfStatus),
      ["invalid", "permission_denied", "permission_denied", "not_found", "conflict", "invalid", "unavailable", "internal", "internal"],
    );
  });

  it("says no daemon is listening, and how to start one, when the socket is missing or refuses", () => {
    for (const code of ["ENOENT", "ECONNREFUSED"]) {
      const err = connectionError(Object.assign(new Error(`connect ${code}`), { code }), "/srv/jp/jetpack.sock", "/srv/jp");
      assert.equal(err.kind, "unavailable");
      assert.equal(err.message, "cannot connect to the daemon at /srv/jp/jetpack.sock: no daemon is listening");
      assert.match(err.hint ?? "", /`jetpack daemon --root \/srv\/jp`/);
    }
  });

  it("says the socket is root's when connecting is not permitted", () => {
    const err = connectionError(Object.assign(new Error("connect EACCES"), { code: "EACCES" }), "/s.sock", "/r");
    assert.equal(err.kind, "permission_denied");
    assert.match(err.hint ?? "", /run jetpack as root/);
  });

  it("calls any other failure a lost connection", () => {
    const err = connectionError(Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }), "/s.sock", "/r");
    assert.equal(err.kind, "unavailable");
    assert.equal(err.message, "lost the connection to the daemon at /s.sock: other side closed");
  });
});
