// An ApiClient that sends each request to a fastify instance through inject(): the CLI's commands run
// against the real routes with no socket. Server-sent events arrive whole, once the stream ends.
import type { FastifyInstance } from "fastify";
import { apiPath, errorFromAnswer, SseParser, type ApiClient, type Download, type RequestOptions, type SseEvent } from "../../../api/cli/client.js";

export class InjectClient implements ApiClient {
  constructor(
    private readonly app: FastifyInstance,
    private readonly headers: Record<string, string> = { "x-jetpack-user": "alice" },
  ) {}

  async request<T>(method: "GET" | "POST" | "DELETE", path: string, opts: RequestOptions = {}): Promise<T> {
    const r = await this.app.inject({ method, url: apiPath(path, opts.query), headers: this.headers, ...(opts.json !== undefined ? { payload: opts.json as object } : {}) });
    if (r.statusCode >= 400) throw errorFromAnswer(r.statusCode, r.body);
    return r.json() as T;
  }

  async download(): Promise<Download> {
    throw new Error("InjectClient: no downloads");
  }

  async *events(path: string): AsyncGenerator<SseEvent> {
    const r = await this.app.inject({ method: "GET", url: path, headers: this.headers });
    if (r.statusCode >= 400) throw errorFromAnswer(r.statusCode, r.body);
    yield* new SseParser().push(r.body);
  }

  async close(): Promise<void> {}
}
