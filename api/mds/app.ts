// The appc metadata service (spec §6) as a fastify instance, not listening (tests use inject(); listen.ts
// puts it on the pod network's gateway). Requests arrive as `/<token>/acMetadata/v1/...`: the token
// (from the pod's AC_METADATA_URL) decides which pod is asking, and a pod only ever sees its own data;
// the one cross-pod operation is `hmac/verify`, which by design checks another pod's signature.
//
// Bodies are sent as Buffers with the Content-Type set by hand: fastify appends `; charset=utf-8` to a
// string body's type, and a strict client wants `application/json` and `text/plain; charset=us-ascii`
// exactly, and text without a trailing newline.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { ImagesProjection } from "../../machines/projections/images.js";
import type { PodsProjection, PodView } from "../../machines/projections/pods.js";
import { PodCredentials, tokenDigest } from "./credentials.js";
import { PodDocumentCache, type PodDocuments } from "./documents.js";
import { signContent, verifyContent } from "./hmac.js";

export interface MdsDeps {
  pods: () => PodsProjection;
  images: () => ImagesProjection;
  /** A pod's token and base64 HMAC key (written at prepare); read once per pod and kept in memory. */
  secretsOf: (uuid: string) => Promise<{ token: string; hmacKey: string }>;
  /** Refusals worth an operator's eye; never given a token. */
  say: (line: string) => void;
  /** Refuse a pod's request unless it comes from the pod's own address (default true; off for inject()). */
  checkSource?: boolean;
}

export const JSON_TYPE = "application/json";
export const TEXT_TYPE = "text/plain; charset=us-ascii";
export const FLAVOR_HEADER = "metadata-flavor";
export const FLAVOR = "AppContainer";
const PREFIX = "/:token/acMetadata/v1";

type Params = { token: string; name?: string };
type Req = FastifyRequest<{ Params: Params; Body: URLSearchParams | undefined }>;

function send(reply: FastifyReply, status: number, type: string, body: string): FastifyReply {
  return reply.code(status).header("content-type", type).send(Buffer.from(body, "utf8"));
}

const refuse = (reply: FastifyReply, status: number, why: string) => send(reply, status, TEXT_TYPE, why);

/** Pure. The source address as dotted IPv4 when it is an IPv4-mapped IPv6 one (`::ffff:10.0.0.2`). */
export function plainAddress(address: string | undefined): string {
  const a = address ?? "";
  return a.toLowerCase().startsWith("::ffff:") && a.includes(".") ? a.slice("::ffff:".length) : a;
}

export function buildMetadataService(deps: MdsDeps): FastifyInstance {
  const checkSource = deps.checkSource ?? true;
  const documents = new PodDocumentCache();
  const credentials = new PodCredentials({ pods: deps.pods, secretsOf: deps.secretsOf }, (uuid) => documents.forget(uuid));
  // The token travels as a path segment; app names (AC Names) may be long.
  const app = Fastify({ logger: false, bodyLimit: 1 << 20, routerOptions: { maxParamLength: 512 } });

  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    done(null, new URLSearchParams(body as string));
  });
  // Fastify's own errors (a bad body, a wrong content type) keep their status but say it in plain text.
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    void refuse(reply, status, status === 500 ? "internal error" : err.message);
  });
  // Never echo the URL: it holds a token.
  app.setNotFoundHandler((_req, reply) => void refuse(reply, 404, "no such metadata endpoint"));

  /**
   * Who is asking, or a refusal already sent. The `Metadata-Flavor: AppContainer` header is required:
   * the reference client always sends it, and demanding it (as cloud metadata services do) means an app
   * tricked into fetching a URL on someone's behalf (server-side request forgery) does not hand over its
   * pod's data. rkt's service did not require it; a plain `wget $AC_METADATA_URL/...` must add the header.
   */
  async function caller(req: Req, reply: FastifyReply): Promise<PodView | undefined> {
    if (req.headers[FLAVOR_HEADER] !== FLAVOR) {
      void refuse(reply, 403, `requests must carry the header Metadata-Flavor: ${FLAVOR}`);
      return undefined;
    }
    const source = plainAddress(req.socket.remoteAddress);
    const pod = await credentials.podOfToken(req.params.token);
    if (pod === undefined) {
      // A prefix of the token's digest lets an operator match repeated attempts without learning the token.
      deps.say(`metadata service: refused ${req.method} ${req.routeOptions.url ?? "?"} from ${source || "?"}: unknown token (sha256 ${tokenDigest(req.params.token).slice(0, 8)})`);
      void refuse(reply, 403, "forbidden");
      return undefined;
    }
    if (checkSource && pod.ip !== null && source !== pod.ip) {
      deps.say(`metadata service: refused ${req.method} ${req.routeOptions.url ?? "?"} for pod ${pod.uuid}: it came from ${source || "?"}, not the pod's address ${pod.ip}`);
      void refuse(reply, 403, "forbidden");
      return undefined;
    }
    return pod;
  }

  /** A GET answered from the asking pod's rendered documents. */
  function serve(path: string, answer: (docs: PodDocuments, req: Req, reply: FastifyReply) => FastifyReply) {
    app.get<{ Params: Params }>(`${PREFIX}${path}`, async (req, reply) => {
      const pod = await caller(req as Req, reply);
      if (pod === undefined) return reply;
      return answer(documents.of(pod, deps.images()), req as Req, reply);
    });
  }

  /** The asking pod's app named in the path, or a 404 (the name need not exist: it comes from the URL). */
  function appOf(docs: PodDocuments, req: Req, reply: FastifyReply, what: "imageManifest" | "annotations" | "imageId"): string | FastifyReply {
    const found = docs.apps.get(req.params.name ?? "");
    if (found === undefined) return refuse(reply, 404, "this pod has no app of that name");
    const value = found[what];
    return value ?? refuse(reply, 404, "the app's image is no longer in the store");
  }

  serve("/pod/manifest", (docs, _req, reply) => send(reply, 200, JSON_TYPE, docs.manifest));
  serve("/pod/annotations", (docs, _req, reply) => send(reply, 200, JSON_TYPE, docs.annotations));
  serve("/pod/uuid", (docs, _req, reply) => send(reply, 200, TEXT_TYPE, docs.uuid));
  serve("/apps/:name/annotations", (docs, req, reply) => {
    const v = appOf(docs, req, reply, "annotations");
    return typeof v === "string" ? send(reply, 200, JSON_TYPE, v) : v;
  });
  serve("/apps/:name/image/manifest", (docs, req, reply) => {
    const v = appOf(docs, req, reply, "imageManifest");
    return typeof v === "string" ? send(reply, 200, JSON_TYPE, v) : v;
  });
  serve("/apps/:name/image/id", (docs, req, reply) => {
    const v = appOf(docs, req, reply, "imageId");
    return typeof v === "string" ? send(reply, 200, TEXT_TYPE, v) : v;
  });

  app.post<{ Params: Params; Body: URLSearchParams | undefined }>(`${PREFIX}/pod/hmac/sign`, async (req, reply) => {
    const pod = await caller(req, reply);
    if (pod === undefined) return reply;
    const content = req.body?.get("content");
    if (content === null || content === undefined) return refuse(reply, 400, "give the form field content");
    const key = await credentials.keyOf(pod.uuid);
    if (key === undefined) return refuse(reply, 403, "forbidden");
    return send(reply, 200, TEXT_TYPE, signContent(key, content));
  });

  // Missing fields are a malformed request (400); anything else that does not check out, an unknown
  // signer included, is 403, so a forger learns nothing about which pods exist.
  app.post<{ Params: Params; Body: URLSearchParams | undefined }>(`${PREFIX}/pod/hmac/verify`, async (req, reply) => {
    const pod = await caller(req, reply);
    if (pod === undefined) return reply;
    const [content, uuid, signature] = ["content", "uuid", "signature"].map((f) => req.body?.get(f) ?? undefined);
    if (content === undefined || uuid === undefined || signature === undefined) return refuse(reply, 400, "give the form fields content, uuid and signature");
    const key = await credentials.keyOf(uuid);
    if (key === undefined || !verifyContent(key, content, signature)) return refuse(reply, 403, "signature not valid");
    return send(reply, 200, TEXT_TYPE, "");
  });

  return app;
}
