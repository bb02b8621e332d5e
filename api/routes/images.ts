// /v1/images: import (by path or upload), list, show, export, destroy.
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { pipeline } from "node:stream/promises";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { fail } from "../../machines/errors.js";
import { parseAppString } from "../../machines/appc/index.js";
import { imageStream } from "../../machines/events.js";
import { resolveImageRef } from "../../machines/image-ref.js";
import { dependentsOf, type ImageView } from "../../machines/projections/images.js";
import { parseOrFail } from "../../machines/validate.js";
import { actorOf } from "../actor.js";
import type { ApiDeps } from "../deps.js";
import { operationAnswer } from "./operations.js";

const InsecureOptions = z.array(z.enum(["image", "http", "tls"])).default([]);

const ImportBody = z.strictObject({
  source: z.strictObject({ path: z.string().min(1) }),
  /** The detached signature (`.aci.asc`) on the daemon's host. */
  signature: z.strictObject({ path: z.string().min(1) }).optional(),
  insecureOptions: InsecureOptions,
});

const FetchBody = z.strictObject({
  /** NAME[:VERSION][,label=value...] */
  image: z.string().min(1),
  insecureOptions: InsecureOptions,
  trustKeysFromHttps: z.boolean().default(false),
  fingerprint: z.string().min(1).optional(),
});

const UploadQuery = z.strictObject({
  insecureOptions: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(",") : []))
    .pipe(z.array(z.enum(["image", "http", "tls"]))),
});

/** Pure. The summary of an image that listings show. */
export function imageSummary(v: ImageView) {
  return { id: v.id, name: v.name, labels: v.labels, state: v.state, aciBytes: v.aciBytes, tarBytes: v.tarBytes, importedAt: v.importedAt, importedBy: v.importedBy, dependencies: v.dependencies };
}

export function imageRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.addContentTypeParser("application/octet-stream", (_req, payload, done) => done(null, payload));

  app.post("/v1/images", { config: { openapi: { summary: "import an ACI from a path on the daemon's host", body: ImportBody, success: [202] } } }, async (req, reply) => {
    const body = parseOrFail(ImportBody, req.body, "JP_ERR_API_INVALID", "import request");
    if (!isAbsolute(body.source.path)) throw fail("invalid", "JP_ERR_API_INVALID", `source.path must be absolute, got ${body.source.path}`);
    await mustBeFile(body.source.path);
    if (body.signature) {
      if (!isAbsolute(body.signature.path)) throw fail("invalid", "JP_ERR_API_INVALID", `signature.path must be absolute, got ${body.signature.path}`);
      await mustBeFile(body.signature.path);
    } else {
      requireInsecureImage(body.insecureOptions);
    }
    const insecure = body.insecureOptions.includes("image");
    const op = await requestImport(deps, req, { path: body.source.path, owned: false, ...(body.signature ? { signature: body.signature.path } : {}) }, insecure);
    return reply.status(202).send(op);
  });

  app.post("/v1/images/fetch", { config: { openapi: { summary: "fetch an image by name (discovery, resumable download, signature)", body: FetchBody, success: [202] } } }, async (req, reply) => {
    const body = parseOrFail(FetchBody, req.body, "JP_ERR_API_INVALID", "fetch request");
    const { name, labels } = parseAppString(body.image);
    const op = deps.newId();
    const fetch = {
      name,
      labels,
      insecureHttp: body.insecureOptions.includes("http"),
      insecureTls: body.insecureOptions.includes("tls"),
      trustKeysFromHttps: body.trustKeysFromHttps,
      ...(body.fingerprint ? { fingerprint: body.fingerprint } : {}),
    };
    await deps.engine.dispatch({ stream: imageStream(deps.newId()), type: "image.fetch.requested", actor: actorOf(req), op, data: { fetch, insecure: body.insecureOptions.includes("image") } });
    return reply.status(202).send(operationAnswer(deps, op));
  });

  app.post("/v1/images/upload", { bodyLimit: Number.MAX_SAFE_INTEGER, config: { openapi: { summary: "import the ACI sent as the body", consumes: "application/octet-stream", query: UploadQuery, success: [202] } } }, async (req, reply) => {
    const query = parseOrFail(UploadQuery, req.query, "JP_ERR_API_INVALID", "upload query");
    requireInsecureImage(query.insecureOptions);
    if (!req.body || typeof (req.body as NodeJS.ReadableStream).pipe !== "function") {
      throw fail("invalid", "JP_ERR_API_MEDIA_TYPE", "an upload is the ACI itself, sent as application/octet-stream");
    }
    await mkdir(deps.uploadDir, { recursive: true, mode: 0o700 });
    const path = `${deps.uploadDir}/${deps.newId()}.aci`;
    try {
      await pipeline(req.body as NodeJS.ReadableStream, createWriteStream(path, { mode: 0o600 }));
    } catch (err) {
      await rm(path, { force: true });
      throw fail("unavailable", "JP_ERR_API_UPLOAD", `upload did not complete: ${(err as Error).message}`, { hint: "send it again" });
    }
    const op = await requestImport(deps, req, { path, owned: true }, true);
    return reply.status(202).send(op);
  });

  app.get("/v1/images", { config: { openapi: { summary: "every image in the store" } } }, async () => ({ images: [...deps.images().values()].map(imageSummary) }));

  app.get("/v1/images/:ref", { config: { openapi: { summary: "one image, with its manifest" } } }, async (req) => {
    const view = resolveImageRef(deps.images().values(), (req.params as { ref: string }).ref);
    return { ...imageSummary(view), manifest: view.manifest };
  });

  app.get("/v1/images/:ref/aci", { config: { openapi: { summary: "the stored original ACI", produces: "application/octet-stream" } } }, async (req, reply) => {
    const view = resolveImageRef(deps.images().values(), (req.params as { ref: string }).ref);
    const path = deps.aciPath(view.id);
    const size = (await stat(path)).size;
    return reply
      .header("content-type", "application/octet-stream")
      .header("content-length", String(size))
      .header("x-jetpack-image-id", view.id)
      .send(createReadStream(path));
  });

  app.delete("/v1/images/:ref", { config: { openapi: { summary: "destroy an image (refused while another depends on it)", success: [202] } } }, async (req, reply) => {
    const view = resolveImageRef(deps.images().values(), (req.params as { ref: string }).ref);
    const dependents = dependentsOf(deps.images(), view.id);
    if (dependents.length > 0) {
      throw fail("conflict", "JP_ERR_IMAGE_IN_USE", `${view.name} (${view.id.slice(0, 19)}) is a dependency of ${dependents.map((d) => d.name).join(", ")}`, {
        hint: "destroy the images that depend on it first",
      });
    }
    const op = deps.newId();
    const result = await deps.engine.dispatch({ stream: imageStream(view.uuid), type: "image.destroy.requested", actor: actorOf(req), op, data: {} });
    if (!result.accepted) {
      throw fail("conflict", "JP_ERR_IMAGE_BUSY", `image ${view.id.slice(0, 19)} is ${String(result.state.value)}; it cannot be destroyed now`, {
        hint: "wait for the running operation to finish (jetpack op list), then try again",
      });
    }
    return reply.status(202).send(operationAnswer(deps, op));
  });
}

async function requestImport(deps: ApiDeps, req: FastifyRequest, source: { path: string; owned: boolean; signature?: string }, insecure: boolean) {
  const op = deps.newId();
  const uuid = deps.newId();
  await deps.engine.dispatch({ stream: imageStream(uuid), type: "image.import.requested", actor: actorOf(req), op, data: { source, insecure } });
  return operationAnswer(deps, op);
}

/** Fail closed: an image without a signature to check gets in only by an explicit, audited opt-out. */
function requireInsecureImage(options: string[]): void {
  if (options.includes("image")) return;
  throw fail("permission_denied", "JP_ERR_IMAGE_UNVERIFIED", "refusing to import an image whose signature is not verified", {
    hint: "give its signature with --sig FILE.aci.asc, or pass --insecure-options=image to import it anyway (recorded in the audit trail)",
  });
}

async function mustBeFile(path: string): Promise<void> {
  const s = await stat(path).catch(() => undefined);
  if (!s) throw fail("not_found", "JP_ERR_IMAGE_SOURCE", `${path}: no such file on the daemon's host`, { hint: "check the path" });
  if (!s.isFile()) throw fail("invalid", "JP_ERR_IMAGE_SOURCE", `${path} is not a regular file`);
}
