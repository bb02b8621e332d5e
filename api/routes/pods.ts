// /v1/pods: create (reify, lease an address, queue the prepare), start, stop, destroy, list, show, logs,
// and the exec command line for the local CLI.
//
// A request that the pod's state cannot take (destroy while starting, start while running) is refused
// with 409 and the state it is in, never queued behind: the user decides what to do next.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { fail } from "../../machines/errors.js";
import { podStream, type EventType } from "../../machines/events.js";
import { reifyPod, PodTemplateSchema } from "../../machines/pod/reify.js";
import { resolvePodRef, takenAddresses, type PodView } from "../../machines/projections/pods.js";
import { parseOrFail } from "../../machines/validate.js";
import { actorOf } from "../actor.js";
import type { ApiDeps } from "../deps.js";
import { operationAnswer } from "./operations.js";
import { tailFile } from "./tail-file.js";

const POD_NAME = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;

const CreateBody = z.strictObject({
  template: PodTemplateSchema,
  name: z.string().regex(POD_NAME, "a pod name is lower-case letters, digits and inner dashes (at most 64)").optional(),
  dryRun: z.boolean().default(false),
});
const StopBody = z.strictObject({ timeoutMs: z.number().int().nonnegative().max(3_600_000).default(10_000) });
const LogsQuery = z.strictObject({ app: z.string().optional(), follow: z.enum(["0", "1", "true", "false"]).optional() });
const ExecBody = z.strictObject({ app: z.string().optional(), argv: z.array(z.string()).min(1, "give the command to run") });

/** Pure. What listings show of a pod. */
export function podSummary(p: PodView) {
  const manifest = p.manifest as { apps?: Array<{ name: string; image: { name: string; id?: string } }> } | null;
  const apps = (manifest?.apps ?? []).map((a) => {
    const status = p.apps.find((s) => s.name === a.name);
    return { name: a.name, image: a.image.name, imageId: a.image.id ?? null, state: status?.state ?? "waiting", exitCode: status?.exitCode ?? null, signal: status?.signal ?? null, reason: status?.reason ?? null };
  });
  return { uuid: p.uuid, name: p.name, state: p.state, ip: p.ip, apps, createdAt: p.createdAt, createdBy: p.createdBy, updatedAt: p.updatedAt, lastError: p.lastError, isolatorsIgnored: p.isolatorsIgnored };
}

/** Pure. The app an exec or logs request means: the one named, or the pod's only app. */
function pickApp(pod: PodView, name: string | undefined): string {
  const names = ((pod.manifest as { apps?: Array<{ name: string }> } | null)?.apps ?? []).map((a) => a.name);
  if (name !== undefined) {
    if (!names.includes(name)) throw fail("not_found", "JP_ERR_POD_APP_NOT_FOUND", `pod ${pod.uuid} has no app ${name} (its apps: ${names.join(", ")})`);
    return name;
  }
  if (names.length !== 1) throw fail("invalid", "JP_ERR_POD_APP_AMBIGUOUS", `pod ${pod.uuid} has ${names.length} apps: ${names.join(", ")}`, { hint: "name one with --app NAME" });
  return names[0]!;
}

export function podRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post("/v1/pods", { config: { openapi: { summary: "create a pod (reify, lease an address, clone); dryRun answers the reified manifest", body: CreateBody, success: [202, 200] } } }, async (req, reply) => {
    const body = parseOrFail(CreateBody, req.body, "JP_ERR_API_INVALID", "pod create request");
    const manifest = reifyPod(body.template, { images: deps.images().values() });
    if (body.dryRun) return reply.status(200).send({ manifest });
    const op = deps.newId();
    const uuid = deps.newId();
    // Built under the engine's lock: the name check and the lease see every earlier create.
    await deps.engine.dispatchWith(() => {
      const pods = deps.pods();
      if (body.name !== undefined && [...pods.pods.values()].some((p) => p.name === body.name)) {
        throw fail("already_exists", "JP_ERR_POD_NAME_TAKEN", `a pod is already called ${body.name}`, { hint: "choose another --name, or destroy that pod first" });
      }
      const ip = deps.podApi.pickAddress(takenAddresses(pods));
      return { stream: podStream(uuid), type: "pod.create.requested" as const, actor: actorOf(req), op, data: { name: body.name ?? null, manifest, ip } };
    });
    return reply.status(202).send({ ...operationAnswer(deps, op), pod: uuid });
  });

  const request = (type: EventType & `pod.${string}.requested`, what: string) => async (pod: PodView, actor: string, data: Record<string, unknown>, reply: FastifyReply) => {
    const op = deps.newId();
    const r = await deps.engine.dispatch({ stream: podStream(pod.uuid), type, actor, op, data: data as never });
    if (!r.accepted) {
      throw fail("conflict", "JP_ERR_POD_STATE", `pod ${pod.name ?? pod.uuid} is ${String(r.state.value)}; it cannot be ${what} now`, {
        hint: "wait for its running operation to finish (jetpack op list), or see `jetpack pod show` for its state",
      });
    }
    return reply.status(202).send({ ...operationAnswer(deps, op), pod: pod.uuid });
  };
  const startPod = request("pod.start.requested", "started");
  const stopPod = request("pod.stop.requested", "stopped");
  const destroyPod = request("pod.destroy.requested", "destroyed");
  const podOf = (params: unknown) => resolvePodRef(deps.pods(), (params as { ref: string }).ref);

  app.post("/v1/pods/:ref/start", { config: { openapi: { summary: "start a prepared or exited pod", success: [202] } } }, async (req, reply) => startPod(podOf(req.params), actorOf(req), {}, reply));
  app.post("/v1/pods/:ref/stop", { config: { openapi: { summary: "stop a pod: SIGTERM, SIGKILL after timeoutMs", body: StopBody, success: [202] } } }, async (req, reply) => stopPod(podOf(req.params), actorOf(req), parseOrFail(StopBody, req.body ?? {}, "JP_ERR_API_INVALID", "stop request"), reply));
  app.delete("/v1/pods/:ref", { config: { openapi: { summary: "destroy a pod and its datasets", success: [202] } } }, async (req, reply) => destroyPod(podOf(req.params), actorOf(req), {}, reply));

  app.get("/v1/pods", { config: { openapi: { summary: "every pod with its state, address and apps" } } }, async () => ({ pods: [...deps.pods().pods.values()].map(podSummary) }));
  app.get("/v1/pods/:ref", { config: { openapi: { summary: "one pod: state, apps, manifest" } } }, async (req) => {
    const pod = podOf(req.params);
    return { ...podSummary(pod), manifest: pod.manifest };
  });

  app.get("/v1/pods/:ref/logs", { config: { openapi: { summary: "an app's output; follow=1 streams it while the pod runs", query: LogsQuery, produces: "text/plain; charset=utf-8" } } }, async (req, reply) => {
    const pod = podOf(req.params);
    const q = parseOrFail(LogsQuery, req.query, "JP_ERR_API_INVALID", "logs query");
    const path = deps.podApi.logPath(pod.uuid, pickApp(pod, q.app));
    const exists = await stat(path).then(() => true, () => false);
    const follow = q.follow === "1" || q.follow === "true";
    reply.header("content-type", "text/plain; charset=utf-8");
    if (!follow) return exists ? reply.send(createReadStream(path)) : reply.send("");
    const stillRunning = () => {
      const now = deps.pods().pods.get(pod.uuid);
      return now !== undefined && ["starting", "running", "stopping"].includes(now.state);
    };
    return reply.send(tailFile(path, { keepGoing: stillRunning }));
  });

  app.post("/v1/pods/:ref/exec", { config: { openapi: { summary: "the host command line that runs argv in a running app (for the local CLI)", body: ExecBody } } }, async (req) => {
    const pod = podOf(req.params);
    const body = parseOrFail(ExecBody, req.body, "JP_ERR_API_INVALID", "exec request");
    if (pod.state !== "running") throw fail("conflict", "JP_ERR_POD_NOT_RUNNING", `pod ${pod.name ?? pod.uuid} is ${pod.state}, not running`, { hint: `start it first: jetpack pod start ${pod.name ?? pod.uuid}` });
    return deps.podApi.execCommand(pod.uuid, pickApp(pod, body.app), body.argv);
  });
}
