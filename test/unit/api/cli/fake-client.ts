// Test helpers for the CLI: a fake ApiClient answering from a table of routes, and in-memory streams.
import { Readable } from "node:stream";
import type { ApiClient, Download, RequestOptions } from "../../../../api/cli/client.js";
import type { CliContext } from "../../../../api/cli/context.js";

export interface Call {
  method: string;
  path: string;
  opts: RequestOptions;
}

/** A route answers with a value, or throws (a JetpackError stands for an error answer). */
export type Route = (call: Call) => unknown;

export class FakeClient implements ApiClient {
  readonly calls: Call[] = [];
  closed = false;

  constructor(
    private readonly routes: Record<string, Route>,
    private readonly downloads: Record<string, () => Download> = {},
  ) {}

  async request<T>(method: "GET" | "POST" | "DELETE", path: string, opts: RequestOptions = {}): Promise<T> {
    const call = { method, path, opts };
    this.calls.push(call);
    const route = this.routes[`${method} ${path}`];
    if (!route) throw new Error(`fake client: no route ${method} ${path}`);
    return route(call) as T;
  }

  async download(path: string): Promise<Download> {
    this.calls.push({ method: "GET", path, opts: {} });
    const route = this.downloads[path];
    if (!route) throw new Error(`fake client: no download ${path}`);
    return route();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A stream that keeps what is written to it, as text and as bytes. */
export class MemoryOut {
  readonly chunks: Buffer[] = [];
  constructor(
    public isTTY = false,
    public columns = 80,
  ) {}

  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(Buffer.from(chunk));
    return true;
  }

  once(): this {
    return this;
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

export interface TestContext extends CliContext {
  client: FakeClient;
  stdout: MemoryOut;
  stderr: MemoryOut;
}

/** A context for running one command against `client`, with instant sleeps and a pinned clock. */
export function testContext(client: FakeClient, extra: Partial<Omit<CliContext, "client">> = {}): TestContext {
  return {
    client,
    stdout: new MemoryOut(),
    stderr: new MemoryOut(),
    stdin: Readable.from([]),
    cwd: "/home/alice",
    root: "/var/lib/jetpack",
    json: false,
    sleep: async () => undefined,
    now: () => Date.parse("2024-05-01T12:00:00.000Z"),
    ...extra,
  } as TestContext;
}

/** An operation as the API answers it. */
export function operation(over: Record<string, unknown> = {}) {
  return {
    id: "op-1",
    kind: "image.import",
    stream: "image/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
    actor: "root",
    state: "queued",
    createdAt: "2024-05-01T11:59:00.000Z",
    updatedAt: "2024-05-01T11:59:00.000Z",
    result: null,
    error: null,
    progress: null,
    ...over,
  };
}

/** A route that answers each call with the next of `answers`, then keeps answering the last. */
export function sequence(...answers: unknown[]): Route {
  let i = 0;
  return () => answers[Math.min(i++, answers.length - 1)];
}
