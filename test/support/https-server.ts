// Real HTTP and HTTPS servers on 127.0.0.1 for tests of discovery, downloads and keys.
//
// Each HTTPS server gets its own throwaway CA, made with the `openssl` command in a temp dir, and a
// server certificate for 127.0.0.1 and localhost signed by it. Clients trust it by passing `caPem`
// (e.g. `new Agent({ connect: { ca: server.caPem } })`); without it the certificate is untrusted, which
// is how tests exercise `--insecure-options=tls`. The handler is a plain node:http handler, so routes are
// a `switch (req.url)` away. `close()` drops open keep-alive connections and removes the temp dir.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  /** `http(s)://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface TestHttpsServer extends TestServer {
  /** The PEM of the CA that signed the server certificate. */
  caPem: string;
}

export interface TestCertificates {
  caPem: string;
  keyPem: string;
  certPem: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** Makes a fresh CA and a server certificate for 127.0.0.1/localhost (P-256 keys, valid one day). */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "jp-test-ca-"));
  try {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(dir, ["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=Jetpack test CA",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    openssl(dir, ["req", "-new", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
    writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
    openssl(dir, ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
      "-out", "server.pem", "-days", "1", "-extfile", "server.ext"]);
    return {
      caPem: readFileSync(join(dir, "ca.pem"), "utf8"),
      keyPem: readFileSync(join(dir, "server.key"), "utf8"),
      certPem: readFileSync(join(dir, "server.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function listen(server: Server, scheme: "http" | "https"): Promise<TestServer> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** An HTTPS server on 127.0.0.1 (random port) with its own CA; pass `certs` to share one CA between servers. */
export async function startHttpsServer(handler: Handler, certs: TestCertificates = makeTestCertificates()): Promise<TestHttpsServer> {
  const server = createHttpsServer({ key: certs.keyPem, cert: certs.certPem }, handler);
  return { ...(await listen(server, "https")), caPem: certs.caPem };
}

/** A plain HTTP server on 127.0.0.1 (random port). */
export async function startHttpServer(handler: Handler): Promise<TestServer> {
  return listen(createHttpServer(handler), "http");
}
