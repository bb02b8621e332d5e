// The CLI's side of the daemon's HTTP API on the unix socket. The pure parts (paths, the actor header,
// reading error answers) sit apart from the one class that does I/O, and commands see only `ApiClient`,
// so tests hand them a fake.
import type { Readable } from "node:stream";
import { Client } from "undici";
import { ERROR_KINDS, fail, JetpackError, type ErrorData, type ErrorKind } from "../../machines/errors.js";

export type Query = Record<string, string | number | undefined>;

export interface RequestOptions {
  query?: Query;
  /** A JSON body. */
  json?: unknown;
  /** A raw body streamed as application/octet-stream (an ACI from stdin). */
  upload?: Readable;
}

export interface Download {
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/** What commands need from the daemon. */
export interface ApiClient {
  /** Sends a request and returns the parsed JSON answer; an error answer becomes its JetpackError. */
  request<T>(method: "GET" | "POST" | "DELETE", path: string, opts?: RequestOptions): Promise<T>;
  /** GETs a binary body to stream elsewhere (an ACI export). */
  download(path: string): Promise<Download>;
  close(): Promise<void>;
}

/** The header that names the user behind a request, for the audit trail (api/actor.ts reads it). */
export const ACTOR_HEADER = "x-jetpack-user";

/** Pure. `path` with its query string; undefined values are left out. */
export function apiPath(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Pure. A path segment for an image reference or operation id, as the user typed it. */
export function segment(ref: string): string {
  return encodeURIComponent(ref);
}

/**
 * Pure. The actor the CLI claims: the OS user, and the user behind sudo when there is one, as
 * `root (sudo alice)`. The API accepts only `[\w.@() -]`, 64 at most, so anything else becomes `_`.
 */
export function actorName(user: string, sudoUser: string | undefined): string {
  const raw = sudoUser && sudoUser !== user ? `${user} (sudo ${sudoUser})` : user;
  const clean = raw.replace(/[^\w.@() -]/g, "_").slice(0, 64);
  return clean === "" ? "unknown" : clean;
}

function isErrorData(x: unknown): x is ErrorData {
  const e = x as Partial<ErrorData> | null;
  return !!e && typeof e.code === "string" && typeof e.message === "string" && (ERROR_KINDS as readonly string[]).includes(e.kind as string);
}

/** Pure. The kind an HTTP status stands for, for answers that carry no kind of their own. */
export function kindOfStatus(status: number): ErrorKind {
  if (status === 404) return "not_found";
  if (status === 403 || status === 401) return "permission_denied";
  if (status === 409) return "conflict";
  if (status === 503) return "unavailable";
  if (status >= 400 && status < 500) return "invalid";
  return "internal";
}

/**
 * Pure. The error an answer with status >= 400 stands for: its `{error}` body; or, for a failure that
 * came before our error handler (fastify's own `{error, code, message}`), its message and the status's
 * kind; or a description of whatever came.
 */
export function errorFromAnswer(status: number, text: string): JetpackError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: unknown } | undefined)?.error;
  if (isErrorData(error)) return JetpackError.fromData(error);
  const message = (body as { message?: unknown } | undefined)?.message;
  if (typeof message === "string") return fail(kindOfStatus(status), "JP_ERR_CLI_ANSWER", `the daemon refused the request (${status}): ${message}`);
  return fail(kindOfStatus(status), "JP_ERR_CLI_ANSWER", `the daemon answered ${status} without an error body: ${text.slice(0, 200)}`);
}

/**
 * Pure. A failure to reach the daemon, said in the user's terms: nobody listening (unavailable, with
 * how to start one), the socket is root's (permission_denied), or the connection dropped.
 */
export function connectionError(err: unknown, socket: string, root: string): JetpackError {
  const code = (err as { code?: string }).code;
  const message = (err as Error).message ?? String(err);
  if (code === "ENOENT" || code === "ECONNREFUSED") {
    return fail("unavailable", "JP_ERR_CLI_CONNECT", `cannot connect to the daemon at ${socket}: no daemon is listening`, {
      hint: `start it with \`jetpack daemon --root ${root}\`, or point --root (or JETPACK_ROOT) at the root it runs with`,
      cause: err,
    });
  }
  if (code === "EACCES" || code === "EPERM") {
    return fail("permission_denied", "JP_ERR_CLI_CONNECT", `cannot connect to the daemon at ${socket}: permission denied`, {
      hint: "the socket is root's: run jetpack as root (sudo jetpack ...)",
      cause: err,
    });
  }
  return fail("unavailable", "JP_ERR_CLI_CONNECT", `lost the connection to the daemon at ${socket}: ${message}`, {
    hint: "check that the daemon is still running, then try again",
    cause: err,
  });
}

/** The real client: HTTP over the daemon's unix socket. */
export class SocketClient implements ApiClient {
  private readonly client: Client;

  constructor(
    private readonly socket: string,
    private readonly root: string,
    private readonly actor: string,
  ) {
    this.client = new Client("http://localhost", { socketPath: socket });
  }

  async request<T>(method: "GET" | "POST" | "DELETE", path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { [ACTOR_HEADER]: this.actor, accept: "application/json" };
    let body: string | Readable | undefined;
    if (opts.upload) {
      headers["content-type"] = "application/octet-stream";
      body = opts.upload;
    } else if (opts.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.json);
    }
    const answer = await this.send(method, apiPath(path, opts.query), headers, body);
    const text = await answer.body.text();
    if (answer.statusCode >= 400) throw errorFromAnswer(answer.statusCode, text);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw fail("internal", "JP_ERR_CLI_ANSWER", `the daemon answered ${method} ${path} with something that is not JSON: ${text.slice(0, 200)}`);
    }
  }

  async download(path: string): Promise<Download> {
    const answer = await this.send("GET", path, { [ACTOR_HEADER]: this.actor }, undefined);
    if (answer.statusCode >= 400) throw errorFromAnswer(answer.statusCode, await answer.body.text());
    return { headers: answer.headers, body: answer.body };
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private async send(method: string, path: string, headers: Record<string, string>, body: string | Readable | undefined) {
    try {
      return await this.client.request({ method, path, headers, ...(body !== undefined ? { body } : {}) });
    } catch (err) {
      throw connectionError(err, this.socket, this.root);
    }
  }
}
