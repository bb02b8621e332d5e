// The resumable download against a real HTTP(S) server on 127.0.0.1 that serves a ~30 MB file with ETag
// and Last-Modified, honours Range/If-Range, and can be told to cut, stall, ignore ranges or change the file.
// The server lives in this file on purpose: it must misbehave in ways a shared test server should not.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { Agent } from "undici";
import { JetpackError } from "../../machines/errors.js";
import { download, retryDownload, type DownloadProgress } from "../../workers/images/fetch/download/index.js";
import { REPO_ROOT, repoPath } from "../support/repo.js";

const SIZE = 30 * 1024 * 1024;
const CUT = 10 * 1024 * 1024;

interface Version {
  body: Buffer;
  etag: string;
  lastModified: string;
}

interface Logged {
  path: string;
  range: string | null;
  ifRange: string | null;
  status: number;
}

function makeVersion(n: number): Version {
  return { body: randomBytes(SIZE), etag: `"v${n}-${Date.now()}"`, lastModified: new Date(Date.UTC(2025, 0, n)).toUTCString() };
}

/** What the server does; tests change it between requests. */
const server = {
  version: makeVersion(1),
  ignoreRange: false,
  /** The next `cuts` responses of /file.aci send `cutAfter` body bytes, then drop the connection. */
  cuts: 0,
  cutAfter: CUT,
  /** The next response sends this many bytes, then hangs (a daemon killed mid-transfer). */
  stallAfter: null as number | null,
  stalled: false,
  gone: false,
  log: [] as Logged[],
};

const one = (v: string | string[] | undefined): string | null => (Array.isArray(v) ? v[0] : v) ?? null;

function sendFile(req: IncomingMessage, res: ServerResponse): number {
  const { body, etag, lastModified } = server.version;
  const range = req.headers.range ?? null;
  const ifRange = one(req.headers["if-range"]);
  const base = { etag, "last-modified": lastModified, ...(server.ignoreRange ? {} : { "accept-ranges": "bytes" }) };
  let start = 0;
  let status = 200;
  const m = range === null ? null : /^bytes=(\d+)-$/.exec(range);
  if (m && !server.ignoreRange && (ifRange === null || ifRange === etag || ifRange === lastModified)) {
    start = Number(m[1]);
    if (start >= body.length) {
      res.writeHead(416, { ...base, "content-range": `bytes */${body.length}` }).end();
      return 416;
    }
    status = 206;
  }
  const slice = body.subarray(start);
  res.writeHead(status, {
    ...base,
    "content-length": String(slice.length),
    ...(status === 206 && { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` }),
  });
  if (server.stallAfter !== null) {
    const n = server.stallAfter;
    server.stallAfter = null;
    res.write(slice.subarray(0, n), () => {
      server.stalled = true;
    });
  } else if (server.cuts > 0) {
    server.cuts--;
    res.write(slice.subarray(0, server.cutAfter), () => res.socket?.destroy());
  } else {
    res.end(slice);
  }
  return status;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? "/";
  let status: number;
  if (path === "/file.aci" && !server.gone) status = sendFile(req, res);
  else if (path === "/redirect") (status = 302), res.writeHead(302, { location: "/file.aci" }).end();
  else if (path === "/loop") (status = 302), res.writeHead(302, { location: "/loop" }).end();
  else if (path === "/chunked") {
    status = 200;
    res.writeHead(200, { etag: '"chunked"' });
    for (let i = 0; i < 8; i++) res.write(randomBytes(1024 * 1024));
    res.end();
  } else (status = 404), res.writeHead(404).end("not found");
  server.log.push({ path, range: req.headers.range ?? null, ifRange: one(req.headers["if-range"]), status });
}

let work: string;
let http: Server;
let https: Server;
let httpBase: string;
let httpsBase: string;
let cert: Buffer;
const agent = new Agent();

function listen(s: Server): Promise<string> {
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve(String((s.address() as AddressInfo).port))));
}

before(async () => {
  work = await mkdtemp(`${tmpdir()}/jp-download-`);
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(work, "key.pem"), "-out", join(work, "cert.pem"),
  ], { stdio: "ignore" });
  cert = readFileSync(join(work, "cert.pem"));
  http = createHttpServer(handle);
  https = createHttpsServer({ key: readFileSync(join(work, "key.pem")), cert }, handle);
  httpBase = `http://127.0.0.1:${await listen(http)}`;
  httpsBase = `https://127.0.0.1:${await listen(https)}`;
});

after(async () => {
  await agent.close();
  for (const s of [http, https]) {
    s?.closeAllConnections();
    await new Promise((r) => (s ? s.close(r) : r(undefined)));
  }
  await rm(work, { recursive: true, force: true });
});

beforeEach(() => {
  Object.assign(server, { ignoreRange: false, cuts: 0, cutAfter: CUT, stallAfter: null, stalled: false, gone: false, log: [] });
});

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const fileSha = (path: string) => sha256(readFileSync(path));
let destCount = 0;
const freshDest = () => join(work, `out-${destCount++}`, "image.aci");

async function failure(p: Promise<unknown>): Promise<JetpackError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof JetpackError, String(e));
    return e;
  }
  assert.fail("the download succeeded");
}

/** One attempt that the server cuts after CUT bytes; returns the partial size it leaves. */
async function cutAttempt(dest: string): Promise<number> {
  server.cuts = 1;
  const e = await failure(download({ url: `${httpBase}/file.aci`, dest, allowHttp: true, dispatcher: agent }));
  assert.equal(e.kind, "unavailable", e.message);
  assert.equal(e.code, "JP_ERR_FETCH_NETWORK");
  const size = statSync(`${dest}.partial`).size;
  assert.ok(size > 0 && size <= CUT, `partial size ${size}`);
  return size;
}

describe("resumable download", () => {
  it("downloads the whole file with the server's validators, and leaves no partial files", async () => {
    const dest = freshDest();
    const progress: DownloadProgress[] = [];
    const started = Date.now();
    const r = await download({ url: `${httpBase}/file.aci`, dest, allowHttp: true, dispatcher: agent, onProgress: (p) => progress.push(p) });
    const elapsed = Date.now() - started;
    assert.equal(fileSha(dest), sha256(server.version.body));
    assert.deepEqual(r, { path: dest, bytes: SIZE, resumedFrom: 0, bytesTransferred: SIZE, etag: server.version.etag, lastModified: server.version.lastModified, url: `${httpBase}/file.aci` });
    assert.equal(existsSync(`${dest}.partial`), false);
    assert.equal(existsSync(`${dest}.partial.json`), false);
    assert.deepEqual(progress.at(-1), { bytes: SIZE, total: SIZE, resumedFrom: 0 });
    assert.ok(progress.length <= elapsed / 100 + 2, `${progress.length} progress reports in ${elapsed} ms`);
  });

  it("resumes after a cut connection with exactly one Range request from the partial size", async () => {
    const dest = freshDest();
    const partial = await cutAttempt(dest);
    const record = JSON.parse(readFileSync(`${dest}.partial.json`, "utf8"));
    assert.equal(record.etag, server.version.etag);
    assert.equal(record.total, SIZE);
    server.log = [];
    const r = await download({ url: `${httpBase}/file.aci`, dest, allowHttp: true, dispatcher: agent });
    assert.deepEqual(server.log, [{ path: "/file.aci", range: `bytes=${partial}-`, ifRange: server.version.etag, status: 206 }]);
    assert.equal(r.resumedFrom, partial);
    assert.equal(r.bytesTransferred, SIZE - partial);
    assert.equal(r.bytes, SIZE);
    assert.equal(fileSha(dest), sha256(server.version.body));
  });

  it("starts over cleanly when the server ignores Range and answers 200", async () => {
    const dest = freshDest();
    await cutAttempt(dest);
    server.ignoreRange = true;
    server.log = [];
    const r = await download({ url: `${httpBase}/file.aci`, dest, allowHttp: true, dispatcher: agent });
    assert.equal(server.log.length, 1);
    assert.ok(server.log[0]?.range?.startsWith("bytes="));
    assert.equal(server.log[0]?.status, 200);
    assert.equal(r.resumedFrom, 0);
    assert.equal(r.bytesTransferred, SIZE);
    assert.equal(fileSha(dest), sha256(server.version.body));
  });

  it("gets the new file, not a splice of two versions, when it changed between attempts", async () => {
    const dest = freshDest();
    await cutAttempt(dest);
    const oldEtag = server.version.etag;
    server.version = makeVersion(2);
    server.log = [];
    const r = await download({ url: `${httpBase}/file.aci`, dest, allowHttp: true, dispatcher: agent });
    assert.equal(server.log.length, 1);
    assert.equal(server.log[0]?.ifRange, oldEtag);
    assert.equal(server.log[0]?.status, 200);
    assert.equal(r.resumedFrom, 0);
    assert.equal(r.etag, server.version.etag);
    assert.equal(fileSha(dest), sha256(server.version.body));
  });

  it("resumes after the downloading process is killed with SIGKILL mid-transfer", async () => {
    const dest = freshDest();
    const script = join(work, "child-download.mjs");
    const entry = pathToFileURL(repoPath("workers/images/fetch/download/index.ts")).href;
    await writeFile(script, `import { download } from ${JSON.stringify(entry)};\nawait download({ url: process.argv[2], dest: process.argv[3], allowHttp: true });\n`);
    server.stallAfter = CUT;
    const child = spawn(process.execPath, ["--import", "tsx", script, `${httpBase}/file.aci`, dest], { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    try {
      const deadline = Date.now() + 30_000;
      while (!(server.stalled && existsSync(`${dest}.partial`) && statSync(`${dest}.partial`).size >= CUT)) {
        assert.ok(Date.now() < deadline, `the child did not receive ${CUT} bytes: ${stderr}`);
        assert.equal(child.exitCode, null, `the child exited early: ${stderr}`);
        await sleep(50);
      }
    } finally {
      child.kill("SIGKILL");
    }
    assert.equal(await exited, "SIGKILL");
    const partial = statSync(`${dest}.partial`).size;
    assert.equal(JSON.parse(readFileSync(`${dest}.partial.json`, "utf8")).etag, server.version.etag);
    server.log = [];
    const r = await download({ url: `${httpBase}/file.aci`, dest, allowHttp: true, dispatcher: agent });
    assert.deepEqual(server.log.map((l) => [l.range, l.status]), [[`bytes=${partial}-`, 206]]);
    assert.equal(r.resumedFrom, partial);
    assert.equal(fileSha(dest), sha256(server.version.body));
  });

  it("finishes without transferring anything when the process died after the last byte but before the rename", async () => {
    const dest = freshDest();
    await download({ url: `${httpBase}/file.aci`, dest, allowHttp: true, dispatcher: agent });
    await rename(dest, `${dest}.partial`);
    const { etag, lastModified } = server.version;
    await writeFile(`${dest}.partial.json`, JSON.stringify({ v: 1, url: `${httpBase}/file.aci`, etag, lastModified, total: SIZE }));
    server.log = [];
    const r = await download({ url: `${httpBase}/file.aci`, dest, allowHttp: true, dispatcher: agent });
    assert.deepEqual(server.log.map((l) => [l.range, l.status]), [[`bytes=${SIZE}-`, 416]]);
    assert.equal(r.bytesTransferred, 0);
    assert.equal(r.bytes, SIZE);
    assert.equal(fileSha(dest), sha256(server.version.body));
    assert.equal(existsSync(`${dest}.partial.json`), false);
  });

  it("stops when its signal is aborted, as cancelled, keeping the bytes for a later resume", async () => {
    const dest = freshDest();
    const ac = new AbortController();
    server.stallAfter = CUT;
    const pending = failure(download({ url: `${httpBase}/file.aci`, dest, allowHttp: true, dispatcher: agent, signal: ac.signal }));
    const deadline = Date.now() + 30_000;
    while (!server.stalled) {
      assert.ok(Date.now() < deadline, "the server never sent its first bytes");
      await sleep(20);
    }
    ac.abort();
    const e = await pending;
    assert.equal(e.code, "JP_ERR_FETCH_ABORTED");
    assert.ok(statSync(`${dest}.partial`).size > 0);
    const r = await download({ url: `${httpBase}/file.aci`, dest, allowHttp: true, dispatcher: agent });
    assert.ok(r.resumedFrom > 0);
    assert.equal(fileSha(dest), sha256(server.version.body));
  });

  it("retryDownload recovers from two cuts in a row, resuming each time", async () => {
    const dest = freshDest();
    server.cuts = 2;
    const r = await retryDownload({ url: `${httpBase}/file.aci`, dest, allowHttp: true, dispatcher: agent, attempts: 4, baseDelayMs: 10 });
    assert.equal(fileSha(dest), sha256(server.version.body));
    assert.equal(server.log.length, 3);
    assert.equal(server.log[0]?.range, null);
    const starts = server.log.slice(1).map((l) => Number(/^bytes=(\d+)-$/.exec(l.range ?? "")?.[1]));
    assert.ok(starts[0]! > 0 && starts[1]! > starts[0]!, `range starts ${starts}`);
    assert.equal(r.resumedFrom, starts[1]);
  });

  it("retryDownload gives up after its attempts, saying how many and the last reason", async () => {
    const dest = freshDest();
    server.cuts = 5;
    server.cutAfter = 1024 * 1024;
    const e = await failure(retryDownload({ url: `${httpBase}/file.aci`, dest, allowHttp: true, dispatcher: agent, attempts: 3, baseDelayMs: 10 }));
    assert.equal(e.kind, "unavailable");
    assert.match(e.message, /failed 3 times; last error: .*file\.aci/);
    assert.equal(server.log.length, 3);
    assert.ok(existsSync(`${dest}.partial`), "the bytes received are kept for the next fetch");
  });

  it("fails not_found on a 404 and keeps no partial file behind", async () => {
    const dest = freshDest();
    await cutAttempt(dest);
    server.gone = true;
    const e = await failure(download({ url: `${httpBase}/file.aci`, dest, allowHttp: true, dispatcher: agent }));
    assert.equal(e.kind, "not_found");
    assert.match(e.message, /file\.aci.*404/);
    assert.equal(existsSync(`${dest}.partial`), false);
    assert.equal(existsSync(`${dest}.partial.json`), false);
    assert.equal(existsSync(dest), false);
  });

  it("refuses a plain http URL unless allowed, without contacting the server", async () => {
    const e = await failure(download({ url: `${httpBase}/file.aci`, dest: freshDest(), dispatcher: agent }));
    assert.equal(e.kind, "permission_denied");
    assert.equal(e.code, "JP_ERR_FETCH_INSECURE");
    assert.match(e.hint ?? "", /--insecure-options=http/);
    assert.deepEqual(server.log, []);
  });

  it("refuses a file larger than maxBytes, whether announced or only counted", async () => {
    const dest = freshDest();
    const announced = await failure(download({ url: `${httpBase}/file.aci`, dest, allowHttp: true, dispatcher: agent, maxBytes: SIZE - 1 }));
    assert.equal(announced.kind, "invalid");
    assert.equal(announced.code, "JP_ERR_FETCH_TOO_LARGE");
    const counted = await failure(download({ url: `${httpBase}/chunked`, dest, allowHttp: true, dispatcher: agent, maxBytes: 3 * 1024 * 1024 }));
    assert.equal(counted.code, "JP_ERR_FETCH_TOO_LARGE");
    assert.equal(existsSync(`${dest}.partial`), false);
    assert.equal(existsSync(dest), false);
  });

  it("follows redirects and reports the final URL, but not a redirect loop", async () => {
    const r = await download({ url: `${httpBase}/redirect`, dest: freshDest(), allowHttp: true, dispatcher: agent });
    assert.equal(r.url, `${httpBase}/file.aci`);
    assert.equal(r.bytes, SIZE);
    const e = await failure(download({ url: `${httpBase}/loop`, dest: freshDest(), allowHttp: true, dispatcher: agent }));
    assert.equal(e.code, "JP_ERR_FETCH_REDIRECTS");
    assert.equal(server.log.filter((l) => l.path === "/loop").length, 11);
  });

  it("downloads over https with the server's CA given through the dispatcher", async () => {
    const tls = new Agent({ connect: { ca: cert } });
    try {
      const dest = freshDest();
      const r = await download({ url: `${httpsBase}/file.aci`, dest, dispatcher: tls });
      assert.equal(r.bytes, SIZE);
      assert.equal(fileSha(dest), sha256(server.version.body));
    } finally {
      await tls.close();
    }
  });

  it("refuses an https server whose certificate is not trusted, as permission_denied", async () => {
    const untrusting = new Agent();
    try {
      const e = await failure(download({ url: `${httpsBase}/file.aci`, dest: freshDest(), dispatcher: untrusting }));
      assert.equal(e.kind, "permission_denied");
      assert.equal(e.code, "JP_ERR_FETCH_TLS");
    } finally {
      await untrusting.close();
    }
  });
});
