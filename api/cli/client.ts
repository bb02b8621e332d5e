// The CLI's side of the daemon's HTTP API: on the unix socket (SocketClient, the default) or on TCP with a
// bearer token (HttpClient, when JETPACK_API is set). The pure parts (paths, the actor header, reading
// error answers, server-sent events) sit apart from the classes that do I/O, and commands see only
// `ApiClient`, so tests hand them a fake.
import type { Readable } from "node:stream";
import { Pool } from "undici";
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
  /**
   * GETs a stream of server-sent events (an operation's progress). Optional: callers poll instead with a
   * client that lacks it (a test fake). An error answer throws like request(); so does a dropped connection.
   */
  events?(path: string, signal?: AbortSignal): AsyncIterable<SseEvent>;
  close(): Promise<void>;
}

/** One server-sent event: its `event:` name (`message` when none) and its `data:` lines joined. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Pure (keeps only the text of an unfinished event). Cuts a text/event-stream into events as chunks come. */
export class SseParser {
  private buffer = "";
  private event = "";
  private data: string[] = [];

  /** The events that `chunk` completes. Comments (`: ...`) and fields other than event and data are skipped. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const nl = this.buffer.search(/\r\n|\r|\n/);
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (nl === -1 || (nl === this.buffer.length - 1 && this.buffer.endsWith("\r"))) break;
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + (this.buffer.startsWith("\r\n", nl) ? 2 : 1));
      if (line === "") {
        if (this.data.length > 0) out.push({ event: this.event || "message", data: this.data.join("\n") });
        this.event = "";
        this.data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") this.event = value;
      else if (field === "data") this.data.push(value);
    }
    return out;
  }
}

/** The header that names the user behind a request on the socket, for the audit trail (api/actor.ts reads it). */
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

/** Connections a command may hold at once: one per followed app log, plus its requests. */
const CONNECTIONS = 16;

/** HTTP through an undici Pool; the subclasses say where, with which headers, and how a failure to connect reads. */
abstract class UndiciClient implements ApiClient {
  protected abstract readonly client: Pool;
  /** Headers every request carries (who is asking). */
  protected abstract readonly baseHeaders: Record<string, string>;
  protected abstract connectionError(err: unknown): JetpackError;

  async request<T>(method: "GET" | "POST" | "DELETE", path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { ...this.baseHeaders, accept: "application/json" };
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
    // A download may be a followed log: an app can be quiet for longer than any body timeout.
    const answer = await this.send("GET", path, { ...this.baseHeaders }, undefined, undefined, { bodyTimeout: 0 });
    if (answer.statusCode >= 400) throw errorFromAnswer(answer.statusCode, await answer.body.text());
    return { headers: answer.headers, body: answer.body };
  }

  async *events(path: string, signal?: AbortSignal): AsyncGenerator<SseEvent> {
    const answer = await this.send("GET", path, { ...this.baseHeaders, accept: "text/event-stream" }, undefined, signal);
    if (answer.statusCode >= 400) throw errorFromAnswer(answer.statusCode, await answer.body.text());
    const parser = new SseParser();
    answer.body.setEncoding("utf8");
    try {
      for await (const chunk of answer.body) yield* parser.push(chunk as string);
    } catch (err) {
      throw this.connectionError(err);
    } finally {
      answer.body.destroy();
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private async send(method: string, path: string, headers: Record<string, string>, body: string | Readable | undefined, signal?: AbortSignal, extra: { bodyTimeout?: number } = {}) {
    try {
      return await this.client.request({ method, path, headers, ...(body !== undefined ? { body } : {}), ...(signal ? { signal } : {}), ...extra });
    } catch (err) {
      throw this.connectionError(err);
    }
  }
}

/** The default client: HTTP over the daemon's unix socket, naming the OS user in x-jetpack-user. */
export class SocketClient extends UndiciClient {
  protected readonly client: Pool;
  protected readonly baseHeaders: Record<string, string>;

  constructor(
    private readonly socket: string,
    private readonly root: string,
    actor: string,
  ) {
    super();
    // A pool, not one connection: `jetpack run` follows each app's log while it still asks for other things.
    this.client = new Pool("http://localhost", { socketPath: socket, connections: CONNECTIONS });
    this.baseHeaders = { [ACTOR_HEADER]: actor };
  }

  protected connectionError(err: unknown): JetpackError {
    return connectionError(err, this.socket, this.root);
  }
}

/**
 * The client of a daemon's TCP listener (`JETPACK_API=http://host:port`, `JETPACK_TOKEN`): the token
 * names the caller, so no actor header is sent (the daemon ignores it there).
 */
export class HttpClient extends UndiciClient {
  protected readonly client: Pool;
  protected readonly baseHeaders: Record<string, string>;

  constructor(
    private readonly origin: string,
    token: string,
  ) {
    super();
    this.client = new Pool(origin, { connections: CONNECTIONS });
    this.baseHeaders = { authorization: `Bearer ${token}` };
  }

  protected connectionError(err: unknown): JetpackError {
    const code = (err as { code?: string }).code;
    const message = (err as Error).message ?? String(err);
    if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH") {
      return fail("unavailable", "JP_ERR_CLI_CONNECT", `cannot connect to the daemon at ${this.origin}: ${message}`, {
        hint: "check JETPACK_API, and that the daemon runs with --listen on that address",
        cause: err,
      });
    }
    return fail("unavailable", "JP_ERR_CLI_CONNECT", `lost the connection to the daemon at ${this.origin}: ${message}`, { hint: "check that the daemon is still running, then try again", cause: err });
  }
}

/** Where the CLI talks to the daemon: the unix socket, or a TCP listener with a token. */
export type ClientTarget = { kind: "socket"; socket: string; root: string } | { kind: "http"; origin: string; token: string };

/**
 * Pure. The target `env` asks for: JETPACK_API (an http:// or https:// origin) with JETPACK_TOKEN, else
 * the socket. A JETPACK_API without a token, or with a path, is refused rather than half-used.
 */
export function clientTarget(env: Record<string, string | undefined>, socket: string, root: string): ClientTarget {
  const api = env.JETPACK_API;
  if (!api) return { kind: "socket", socket, root };
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    throw fail("invalid", "JP_ERR_CLI_API", `JETPACK_API=${api} is not a URL`, { hint: "set it to http://HOST:PORT, the daemon's --listen address" });
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || (url.pathname !== "/" && url.pathname !== "") || url.search || url.username) {
    throw fail("invalid", "JP_ERR_CLI_API", `JETPACK_API=${api} must be http://HOST:PORT (or https://), with no path, query or user`);
  }
  const token = env.JETPACK_TOKEN?.trim();
  if (!token) throw fail("invalid", "JP_ERR_CLI_TOKEN", "JETPACK_API is set but JETPACK_TOKEN is not", { hint: "set JETPACK_TOKEN to your token from the daemon's --token-file" });
  return { kind: "http", origin: url.origin, token };
}

/** Effects (a connection pool). The client for `target`. */
export function clientFor(target: ClientTarget, actor: string): ApiClient {
  return target.kind === "http" ? new HttpClient(target.origin, target.token) : new SocketClient(target.socket, target.root, actor);
}
