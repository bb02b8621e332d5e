// The supervisor's HTTP API on the pod's unix socket (mode 0600, root only):
//   GET /status              the status as JSON
//   GET /watch               newline-delimited JSON: the current status, then one line per change;
//                            the stream ends once the pod is over
//   POST /stop?timeoutMs=N   stops the pod and answers with the final status
// Effects.
import { createServer, type Server, type ServerResponse } from "node:http";
import { rmSync } from "node:fs";
import type { Supervisor } from "./supervisor.js";
import { isFinal, type PodStatus } from "./status.js";

const DEFAULT_STOP_TIMEOUT_MS = 10_000;

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(`${JSON.stringify(body)}\n`);
}

/** Effects. Serves `supervisor` on the unix socket `path` (replacing a stale one); resolves once listening. */
export async function serveSupervisor(supervisor: Supervisor, path: string): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://pod");
    if (req.method === "GET" && url.pathname === "/status") return sendJson(res, 200, supervisor.current());
    if (req.method === "GET" && url.pathname === "/watch") {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      const write = (s: PodStatus) => {
        res.write(`${JSON.stringify(s)}\n`);
        if (isFinal(s)) res.end();
      };
      const unsubscribe = supervisor.subscribe(write);
      res.on("close", unsubscribe);
      write(supervisor.current());
      return;
    }
    if (req.method === "POST" && url.pathname === "/stop") {
      const raw = url.searchParams.get("timeoutMs");
      const timeoutMs = raw === null ? DEFAULT_STOP_TIMEOUT_MS : Number(raw);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 0) {
        return sendJson(res, 400, { code: "JP_ERR_POD_STOP_TIMEOUT", kind: "invalid", message: `timeoutMs "${raw}" is not a whole number of milliseconds` });
      }
      supervisor.stop(timeoutMs).then(
        (s) => sendJson(res, 200, s),
        (e: unknown) => sendJson(res, 500, { code: "JP_ERR_INTERNAL", kind: "internal", message: e instanceof Error ? e.message : String(e) }),
      );
      return;
    }
    sendJson(res, 404, { code: "JP_ERR_NOT_FOUND", kind: "not_found", message: `no route ${req.method} ${url.pathname}` });
  });
  rmSync(path, { force: true });
  // The socket is created with mode 0600 from the start: the umask covers the window before a chmod.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  return server;
}
