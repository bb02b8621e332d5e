// appc meta discovery against real servers on 127.0.0.1: an HTTPS server with its own throwaway CA
// (trusted through an undici Agent), a plain HTTP server, and a port where nothing listens. Each test
// uses its own first path segment (`127.0.0.1/<case>/app`), so routes and request logs do not mix.
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { Agent } from "undici";
import { JetpackError } from "../../machines/errors.js";
import { discoverImage, discoverPubkeys } from "../../workers/images/fetch/discovery/index.js";
import { startHttpServer, startHttpsServer, type TestHttpsServer, type TestServer } from "../support/https-server.js";

type Route = (req: IncomingMessage, res: ServerResponse) => void;
interface Seen {
  path: string;
  host: string | undefined;
  authorization: string | undefined;
}

const routes = new Map<string, Route>();
let seen: Seen[] = [];
let https: TestHttpsServer;
let http: TestServer;
let trusting: Agent;
let closedPort: number;

function handler(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? "/";
  seen.push({ path, host: req.headers.host, authorization: req.headers.authorization });
  const route = routes.get(path);
  if (route) return route(req, res);
  res.statusCode = 404;
  res.end("not here");
}

function page(...tags: Array<[name: string, content: string]>): Route {
  const metas = tags.map(([name, content]) => `<meta name="${name}" content="${content}">`).join("\n");
  return (_req, res) => {
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(`<!DOCTYPE html><html><head>\n${metas}\n</head><body>discovery</body></html>`);
  };
}

function redirect(status: number, location: string): Route {
  return (_req, res) => {
    res.writeHead(status, { location });
    res.end();
  };
}

function status(code: number): Route {
  return (_req, res) => {
    res.statusCode = code;
    res.end();
  };
}

const host = { os: "linux", arch: "amd64" };
const app = (name: string, labels: Array<{ name: string; value: string }> = []) => ({ name, labels });

async function rejection(promise: Promise<unknown>): Promise<JetpackError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof JetpackError, String(err));
    return err;
  }
  assert.fail("expected discovery to fail");
}

async function freePortWithNothingListening(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

before(async () => {
  https = await startHttpsServer(handler);
  http = await startHttpServer(handler);
  trusting = new Agent({ connect: { ca: https.caPem } });
  closedPort = await freePortWithNothingListening();
  // The host level is shared by every case: it only knows about some other name.
  routes.set("/?ac-discovery=1", page(["ac-discovery", "127.0.0.1/elsewhere https://127.0.0.1/{name}.{ext}"]));
});

after(async () => {
  await trusting?.close();
  await https?.close();
  await http?.close();
});

beforeEach(() => {
  seen = [];
});

describe("discoverImage over https", () => {
  it("walks up past a 404 and uses the tags of the parent path", async () => {
    routes.set("/walk?ac-discovery=1", page(["ac-discovery", `127.0.0.1/walk https://127.0.0.1:${https.port}/dl/{name}-{version}-{os}-{arch}.{ext}`]));
    const found = await discoverImage(app("127.0.0.1/walk/app", [{ name: "version", value: "1.2" }]), { ...host, dispatcher: trusting, port: https.port });
    assert.deepEqual(found.aci, [`https://127.0.0.1:${https.port}/dl/127.0.0.1/walk/app-1.2-linux-amd64.aci`]);
    assert.deepEqual(found.asc, [`https://127.0.0.1:${https.port}/dl/127.0.0.1/walk/app-1.2-linux-amd64.aci.asc`]);
    assert.deepEqual(seen.map((s) => s.path).slice(0, 2), ["/walk/app?ac-discovery=1", "/walk?ac-discovery=1"]);
  });

  it("returns every matching template in document order, with version latest when none is given", async () => {
    routes.set("/many/app?ac-discovery=1", page(
      ["ac-discovery", "127.0.0.1/many https://a.example/{name}-{version}.{ext}"],
      ["ac-discovery", "127.0.0.1/other https://b.example/{name}.{ext}"],
      ["ac-discovery", "127.0.0.1/many/app hdfs://c.example/{os}/{arch}/{name}.{ext}"],
    ));
    const found = await discoverImage(app("127.0.0.1/many/app"), { ...host, dispatcher: trusting, port: https.port });
    assert.deepEqual(found.aci, ["https://a.example/127.0.0.1/many/app-latest.aci", "hdfs://c.example/linux/amd64/127.0.0.1/many/app.aci"]);
    assert.deepEqual(found.asc, ["https://a.example/127.0.0.1/many/app-latest.aci.asc", "hdfs://c.example/linux/amd64/127.0.0.1/many/app.aci.asc"]);
  });

  it("skips a template that needs a label the image lacks, and uses it when the label is given", async () => {
    routes.set("/labels/app?ac-discovery=1", page(
      ["ac-discovery", "127.0.0.1/labels https://a.example/{channel}/{name}.{ext}"],
      ["ac-discovery", "127.0.0.1/labels https://b.example/{name}.{ext}"],
    ));
    const without = await discoverImage(app("127.0.0.1/labels/app"), { ...host, dispatcher: trusting, port: https.port });
    assert.deepEqual(without.aci, ["https://b.example/127.0.0.1/labels/app.aci"]);
    const withLabel = await discoverImage(app("127.0.0.1/labels/app", [{ name: "channel", value: "beta" }]), { ...host, dispatcher: trusting, port: https.port });
    assert.deepEqual(withLabel.aci, ["https://a.example/beta/127.0.0.1/labels/app.aci", "https://b.example/127.0.0.1/labels/app.aci"]);
  });

  it("takes os and arch from the labels over the host's", async () => {
    routes.set("/osarch/app?ac-discovery=1", page(["ac-discovery", "127.0.0.1/osarch https://a.example/{os}-{arch}.{ext}"]));
    const found = await discoverImage(app("127.0.0.1/osarch/app", [{ name: "os", value: "freebsd" }, { name: "arch", value: "i386" }]), { ...host, dispatcher: trusting, port: https.port });
    assert.deepEqual(found.aci, ["https://a.example/freebsd-i386.aci"]);
  });

  it("follows 301, 302, 303, 307 and 308 redirects, relative or absolute", async () => {
    routes.set("/redir/app?ac-discovery=1", redirect(301, "/hop/1"));
    routes.set("/hop/1", redirect(302, `https://127.0.0.1:${https.port}/hop/2`));
    routes.set("/hop/2", redirect(303, "3"));
    routes.set("/hop/3", redirect(307, "/hop/4"));
    routes.set("/hop/4", redirect(308, "/hop/final"));
    routes.set("/hop/final", page(["ac-discovery", "127.0.0.1/redir https://a.example/{name}.{ext}"]));
    const found = await discoverImage(app("127.0.0.1/redir/app"), { ...host, dispatcher: trusting, port: https.port });
    assert.deepEqual(found.aci, ["https://a.example/127.0.0.1/redir/app.aci"]);
    // The page had no keys, so the walk goes on up for them after the redirects.
    assert.deepEqual(seen.map((s) => s.path), ["/redir/app?ac-discovery=1", "/hop/1", "/hop/2", "/hop/3", "/hop/4", "/hop/final", "/redir?ac-discovery=1", "/?ac-discovery=1"]);
  });

  it("stops a redirect loop after 10 redirects and moves up the walk", async () => {
    routes.set("/loop/app?ac-discovery=1", redirect(302, "/loop/app?ac-discovery=1"));
    routes.set("/loop?ac-discovery=1", page(["ac-discovery", "127.0.0.1/loop https://a.example/{name}.{ext}"]));
    const found = await discoverImage(app("127.0.0.1/loop/app"), { ...host, dispatcher: trusting, port: https.port });
    assert.deepEqual(found.aci, ["https://a.example/127.0.0.1/loop/app.aci"]);
    assert.equal(seen.filter((s) => s.path === "/loop/app?ac-discovery=1").length, 11);
  });

  it("refuses a redirect from https to plain http unless http is allowed", async () => {
    routes.set("/downgrade/app?ac-discovery=1", redirect(302, `${http.url}/downgraded`));
    routes.set("/downgraded", page(["ac-discovery", "127.0.0.1/downgrade https://a.example/{name}.{ext}"]));
    const err = await rejection(discoverImage(app("127.0.0.1/downgrade/app"), { ...host, dispatcher: trusting, port: https.port }));
    assert.match(err.message, /downgrade\/app\?ac-discovery=1: redirected to plain http/);
    const found = await discoverImage(app("127.0.0.1/downgrade/app"), { ...host, dispatcher: trusting, port: https.port, insecure: { http: true } });
    assert.deepEqual(found.aci, ["https://a.example/127.0.0.1/downgrade/app.aci"]);
  });

  it("sends the per-host headers to their own host only, even across a redirect", async () => {
    routes.set("/auth/app?ac-discovery=1", (req, res) => {
      if (req.headers.authorization !== "Basic dXNlcjpwdw==") return status(401)(req, res);
      redirect(302, `https://localhost:${https.port}/auth-elsewhere`)(req, res);
    });
    routes.set("/auth-elsewhere", page(["ac-discovery", "127.0.0.1/auth https://a.example/{name}.{ext}"], ["ac-discovery-pubkeys", "127.0.0.1/auth https://a.example/k"]));
    const asked: string[] = [];
    const headers = (h: string): Record<string, string> => {
      asked.push(h);
      return h === `127.0.0.1:${https.port}` ? { authorization: "Basic dXNlcjpwdw==" } : {};
    };
    const found = await discoverImage(app("127.0.0.1/auth/app"), { ...host, dispatcher: trusting, port: https.port, headers });
    assert.deepEqual(found.aci, ["https://a.example/127.0.0.1/auth/app.aci"]);
    assert.deepEqual(asked, [`127.0.0.1:${https.port}`, `localhost:${https.port}`]);
    assert.deepEqual(seen.map((s) => [s.path, s.authorization]), [["/auth/app?ac-discovery=1", "Basic dXNlcjpwdw=="], ["/auth-elsewhere", undefined]]);
  });

  it("walks for keys apart from images: images from the full name, keys from its parent", async () => {
    routes.set("/keys/app?ac-discovery=1", page(["ac-discovery", "127.0.0.1/keys https://a.example/{name}.{ext}"]));
    routes.set("/keys?ac-discovery=1", page(
      ["ac-discovery", "127.0.0.1/keys https://not-used.example/{name}.{ext}"],
      ["ac-discovery-pubkeys", "127.0.0.1/keys https://127.0.0.1/keys.gpg"],
      ["ac-discovery-pubkeys", "127.0.0.1/nope https://127.0.0.1/other.gpg"],
    ));
    const found = await discoverImage(app("127.0.0.1/keys/app"), { ...host, dispatcher: trusting, port: https.port });
    assert.deepEqual(found, { aci: ["https://a.example/127.0.0.1/keys/app.aci"], asc: ["https://a.example/127.0.0.1/keys/app.aci.asc"], pubkeys: ["https://127.0.0.1/keys.gpg"] });
    assert.deepEqual(seen.map((s) => s.path), ["/keys/app?ac-discovery=1", "/keys?ac-discovery=1"], "each page once, and no higher than needed");

    seen = [];
    const keys = await discoverPubkeys("127.0.0.1/keys/app", { dispatcher: trusting, port: https.port });
    assert.deepEqual(keys, ["https://127.0.0.1/keys.gpg"]);
    assert.deepEqual(seen.map((s) => s.path), ["/keys/app?ac-discovery=1", "/keys?ac-discovery=1"]);
  });

  it("keeps the keys of the full name when the images are only found higher up", async () => {
    routes.set("/keys2/app?ac-discovery=1", page(["ac-discovery-pubkeys", "127.0.0.1/keys2/app https://127.0.0.1/app.gpg"]));
    routes.set("/keys2?ac-discovery=1", page(
      ["ac-discovery", "127.0.0.1/keys2 https://a.example/{name}.{ext}"],
      ["ac-discovery-pubkeys", "127.0.0.1/keys2 https://127.0.0.1/org.gpg"],
    ));
    const found = await discoverImage(app("127.0.0.1/keys2/app"), { ...host, dispatcher: trusting, port: https.port });
    assert.deepEqual(found.pubkeys, ["https://127.0.0.1/app.gpg"]);
    assert.deepEqual(found.aci, ["https://a.example/127.0.0.1/keys2/app.aci"]);
  });

  it("returns an image with no keys when no level offers any", async () => {
    routes.set("/nokeys/app?ac-discovery=1", page(["ac-discovery", "127.0.0.1/nokeys https://a.example/{name}.{ext}"]));
    const found = await discoverImage(app("127.0.0.1/nokeys/app"), { ...host, dispatcher: trusting, port: https.port });
    assert.deepEqual(found.pubkeys, []);
    assert.deepEqual(seen.map((s) => s.path), ["/nokeys/app?ac-discovery=1", "/nokeys?ac-discovery=1", "/?ac-discovery=1"]);
  });
});

describe("discoverImage and large pages", () => {
  const padding = `<!-- ${"x".repeat(1536 * 1024)} -->`;

  it("finds tags at the top of a page larger than the 1 MiB it reads", async () => {
    routes.set("/big/app?ac-discovery=1", (_req, res) => {
      res.end(`<html><head><meta name="ac-discovery" content="127.0.0.1/big https://a.example/{name}.{ext}"></head><body>${padding}</body></html>`);
    });
    const found = await discoverImage(app("127.0.0.1/big/app"), { ...host, dispatcher: trusting, port: https.port });
    assert.deepEqual(found.aci, ["https://a.example/127.0.0.1/big/app.aci"]);
  });

  it("does not read a tag that comes after the first 1 MiB", async () => {
    routes.set("/bigtail/app?ac-discovery=1", (_req, res) => {
      res.end(`<html><body>${padding}<meta name="ac-discovery" content="127.0.0.1/bigtail https://a.example/{name}.{ext}"></body></html>`);
    });
    const err = await rejection(discoverImage(app("127.0.0.1/bigtail/app"), { ...host, dispatcher: trusting, port: https.port }));
    assert.match(err.message, /bigtail\/app\?ac-discovery=1: no ac-discovery tag for this name \(the page has no discovery tags\)/);
  });
});

describe("discoverImage failures", () => {
  it("lists every URL tried and why each gave nothing", async () => {
    routes.set("/missing?ac-discovery=1", status(500));
    const err = await rejection(discoverImage(app("127.0.0.1/missing/app"), { ...host, dispatcher: trusting, port: https.port }));
    assert.equal(err.kind, "not_found");
    assert.equal(err.code, "JP_ERR_DISCOVERY_NONE");
    const p = https.port;
    assert.match(err.message, new RegExp(`https://127\\.0\\.0\\.1:${p}/missing/app\\?ac-discovery=1: HTTP 404`));
    assert.match(err.message, new RegExp(`https://127\\.0\\.0\\.1:${p}/missing\\?ac-discovery=1: HTTP 500`));
    assert.match(err.message, new RegExp(`https://127\\.0\\.0\\.1:${p}\\?ac-discovery=1: no ac-discovery tag for this name \\(tags only for 127\\.0\\.0\\.1/elsewhere\\)`));
    assert.ok(err.hint);
    assert.deepEqual((err.details as { tried: Array<{ url: string }> }).tried.map((t) => t.url), [
      `https://127.0.0.1:${p}/missing/app?ac-discovery=1`, `https://127.0.0.1:${p}/missing?ac-discovery=1`, `https://127.0.0.1:${p}?ac-discovery=1`,
    ]);
  });

  it("names the missing variable when the only template needs a label", async () => {
    routes.set("/needs/app?ac-discovery=1", page(["ac-discovery", "127.0.0.1/needs https://a.example/{channel}/{name}.{ext}"]));
    const err = await rejection(discoverImage(app("127.0.0.1/needs/app"), { ...host, dispatcher: trusting, port: https.port }));
    assert.match(err.message, /needs\/app\?ac-discovery=1: every matching template needs a variable without a value: .*needs \{channel\}/);
    assert.match(err.hint ?? "", /labels/);
  });

  it("surfaces connection failures in the list of URLs tried", async () => {
    const err = await rejection(discoverImage(app("127.0.0.1/down/app"), { ...host, dispatcher: trusting, port: closedPort }));
    assert.equal(err.code, "JP_ERR_DISCOVERY_NONE");
    for (const path of ["/down/app", "/down", ""]) {
      assert.match(err.message, new RegExp(`https://127\\.0\\.0\\.1:${closedPort}${path}\\?ac-discovery=1: .*ECONNREFUSED`));
    }
    assert.match(err.hint ?? "", /insecure-options=http/);
  });

  it("refuses an untrusted certificate, and accepts it with insecure tls", async () => {
    routes.set("/tls/app?ac-discovery=1", page(["ac-discovery", "127.0.0.1/tls https://a.example/{name}.{ext}"]));
    const err = await rejection(discoverImage(app("127.0.0.1/tls/app"), { ...host, port: https.port }));
    assert.match(err.message, /tls\/app\?ac-discovery=1: certificate not trusted: /);
    assert.match(err.hint ?? "", /insecure-options=tls/);
    assert.equal(seen.length, 0, "no request got through");

    const found = await discoverImage(app("127.0.0.1/tls/app"), { ...host, port: https.port, insecure: { tls: true } });
    assert.deepEqual(found.aci, ["https://a.example/127.0.0.1/tls/app.aci"]);
  });

  it("rejects a name that is not an AC Identifier before any request", async () => {
    const err = await rejection(discoverImage(app(`127.0.0.1:${https.port}/org/app`), { ...host, dispatcher: trusting }));
    assert.equal(err.kind, "invalid");
    assert.equal(err.code, "JP_ERR_DISCOVERY_NAME");
    assert.equal(seen.length, 0);
  });
});

describe("discoverImage over plain http", () => {
  it("does not fall back to http without insecure http", async () => {
    routes.set("/plain/app?ac-discovery=1", page(["ac-discovery", "127.0.0.1/plain http://a.example/{name}.{ext}"]));
    const err = await rejection(discoverImage(app("127.0.0.1/plain/app"), { ...host, dispatcher: trusting, port: http.port }));
    assert.equal(err.code, "JP_ERR_DISCOVERY_NONE");
    assert.doesNotMatch(err.message, /http:\/\//);
    assert.match(err.message, /plain\/app\?ac-discovery=1: TLS handshake failed: wrong version number/);
    assert.ok(!seen.some((s) => s.path === "/plain/app?ac-discovery=1"), "no plain http request was made");
  });

  it("retries the same URL over http with insecure http", async () => {
    routes.set("/plain/app?ac-discovery=1", page(["ac-discovery", "127.0.0.1/plain http://a.example/{name}.{ext}"]));
    const found = await discoverImage(app("127.0.0.1/plain/app"), { ...host, dispatcher: trusting, port: http.port, insecure: { http: true } });
    assert.deepEqual(found.aci, ["http://a.example/127.0.0.1/plain/app.aci"]);
    // The https attempts never reach the handler (their TLS handshake fails); the keys walk goes on up.
    assert.deepEqual(seen.map((s) => s.path), ["/plain/app?ac-discovery=1", "/plain?ac-discovery=1", "/?ac-discovery=1"]);
  });

  it("never sends the per-host headers over plain http", async () => {
    routes.set("/plainauth/app?ac-discovery=1", page(["ac-discovery", "127.0.0.1/plainauth http://a.example/{name}.{ext}"]));
    const headers = () => ({ authorization: "Basic c2VjcmV0" });
    await discoverImage(app("127.0.0.1/plainauth/app"), { ...host, dispatcher: trusting, port: http.port, insecure: { http: true }, headers });
    assert.equal(seen.find((s) => s.path === "/plainauth/app?ac-discovery=1")?.authorization, undefined);
  });
});

describe("discoverPubkeys", () => {
  it("fails with every URL tried when no level offers keys", async () => {
    routes.set("/nokeys2/app?ac-discovery=1", page(["ac-discovery", "127.0.0.1/nokeys2 https://a.example/{name}.{ext}"]));
    const err = await rejection(discoverPubkeys("127.0.0.1/nokeys2/app", { dispatcher: trusting, port: https.port }));
    assert.equal(err.code, "JP_ERR_DISCOVERY_NONE");
    assert.match(err.message, /no public keys found for 127\.0\.0\.1\/nokeys2\/app/);
    assert.match(err.message, /nokeys2\/app\?ac-discovery=1: no ac-discovery-pubkeys tag/);
    assert.match(err.message, /nokeys2\?ac-discovery=1: HTTP 404/);
  });
});
