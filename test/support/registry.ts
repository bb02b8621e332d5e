// An appc registry for tests: discovery pages, images, signatures and keys served from memory, with
// Range/If-Range like a real web server, an optional rate limit, and a log of what was asked and sent.
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface Served {
  path: string;
  range: string | null;
  status: number;
  bytesSent: number;
  /** When the request came in and when its last byte was handed to the socket (ms, performance.now()). */
  startedAt: number;
  endedAt: number | null;
}

export interface Registry {
  files: Map<string, Buffer>;
  log: Served[];
  /** Bytes per second for bodies over 1 MB; unlimited when undefined. */
  rate?: number;
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** The discovery page for a prefix: image template and pubkeys URL on `base`. */
  discoveryPage(prefix: string, base: string, keys?: boolean): string;
}

export function makeRegistry(): Registry {
  const reg: Registry = {
    files: new Map(),
    log: [],
    handler(req, res) {
      const url = new URL(req.url ?? "/", "https://x");
      const key = url.searchParams.get("ac-discovery") === "1" ? `${url.pathname}?ac-discovery=1` : url.pathname;
      const body = reg.files.get(key);
      const entry: Served = { path: url.pathname, range: (req.headers.range as string | undefined) ?? null, status: 404, bytesSent: 0, startedAt: performance.now(), endedAt: null };
      reg.log.push(entry);
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      const etag = `"${createHash("sha1").update(body).digest("hex")}"`;
      let start = 0;
      const m = /^bytes=(\d+)-$/.exec(entry.range ?? "");
      const ifRange = req.headers["if-range"];
      if (m && (!ifRange || ifRange === etag)) start = Number(m[1]);
      const headers: Record<string, string> = { etag, "content-type": "application/octet-stream", "content-length": String(body.length - start) };
      if (start > 0) headers["content-range"] = `bytes ${start}-${body.length - 1}/${body.length}`;
      entry.status = start > 0 ? 206 : 200;
      res.writeHead(entry.status, headers);
      void send(res, body.subarray(start), body.length > 1 << 20 ? reg.rate : undefined, (n) => (entry.bytesSent += n)).then(() => (entry.endedAt = performance.now()));
    },
    discoveryPage(prefix, base, keys = true) {
      return `<html><head>
<meta name="ac-discovery" content="${prefix} ${base}/images/{name}-{version}-{os}-{arch}.{ext}">
${keys ? `<meta name="ac-discovery-pubkeys" content="${prefix} ${base}/pubkeys.asc">` : ""}
</head></html>`;
    },
  };
  return reg;
}

async function send(res: ServerResponse, data: Buffer, rate: number | undefined, sent: (n: number) => void): Promise<void> {
  const chunk = 256 * 1024;
  for (let off = 0; off < data.length && !res.destroyed; off += chunk) {
    const part = data.subarray(off, off + chunk);
    const ok = res.write(part);
    sent(part.length);
    if (!ok) await new Promise((r) => res.once("drain", r));
    if (rate) await new Promise((r) => setTimeout(r, (part.length / rate) * 1000));
  }
  res.end();
}
