// The API's optional TCP listener: the same routes as the unix socket, over the same deps, but every
// request needs a bearer token from the token file, and the token's name (never a header the client
// sets) is the actor in the audit trail.
//
// The token file is read once, at start: to change tokens, restart the daemon. It must be the daemon
// user's alone (no group or other bits), like an ssh key, since each line is a password.
import { readFile, stat } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { fail } from "../../machines/errors.js";
import { build, type BuildOptions } from "../app.js";
import { parseTokenFile, type TokenTable } from "../auth/tokens.js";
import type { ApiDeps } from "../deps.js";

export interface TcpListenerOptions {
  host: string;
  /** 0 picks a free port (tests); the one picked is in the answer. */
  port: number;
  tokenFile: string;
  logger?: boolean;
}

export interface TcpListener {
  /** The port it listens on. */
  port: number;
  /** Who may use it: the names of the token file. */
  names: string[];
  close(): Promise<void>;
}

/** Effects (reads a file). The token table of `path`, refusing a file that others than its owner can read. */
export async function loadTokenFile(path: string): Promise<TokenTable> {
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw fail(err.code === "ENOENT" ? "not_found" : "permission_denied", "JP_ERR_AUTH_TOKEN_FILE", `cannot read the token file ${path}: ${err.message}`);
  });
  if (!st.isFile()) throw fail("invalid", "JP_ERR_AUTH_TOKEN_FILE", `the token file ${path} is not a regular file`);
  if ((st.mode & 0o077) !== 0) {
    throw fail("permission_denied", "JP_ERR_AUTH_TOKEN_FILE_MODE", `the token file ${path} can be read by others (mode ${(st.mode & 0o777).toString(8)})`, { hint: `chmod 600 ${path}` });
  }
  return parseTokenFile(await readFile(path, "utf8"), path);
}

/** Pure. `HOST:PORT` (or `[v6]:PORT`) of a --listen flag. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const m = text.match(/^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw fail("invalid", "JP_ERR_DAEMON_LISTEN", `--listen ${text}: expected HOST:PORT, e.g. 127.0.0.1:7070 or [::1]:7070`);
  }
  return { host: (m[1] ?? m[2])!, port };
}

/** Effects (listens). Listens on `host:port` with the app `buildApp` makes for the token table; closes it if listening fails. */
export async function listenTcp(buildApp: (opts: Pick<BuildOptions, "tokens">) => FastifyInstance, tokens: TokenTable, opts: { host: string; port: number }): Promise<TcpListener> {
  const app = buildApp({ tokens });
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await app.close();
    throw fail("unavailable", "JP_ERR_DAEMON_LISTEN", `cannot listen on ${opts.host}:${opts.port}: ${(err as Error).message}`, { cause: err, hint: "choose another --listen address or port" });
  }
  const port = (app.server.address() as AddressInfo).port;
  return { port, names: tokens.names, close: () => app.close() };
}

/** Effects (reads the token file, listens). A second API instance over `deps`, on TCP, with bearer tokens. */
export async function startTcpListener(deps: ApiDeps, opts: TcpListenerOptions): Promise<TcpListener> {
  const tokens = await loadTokenFile(opts.tokenFile);
  return listenTcp((o) => build(deps, { ...o, logger: opts.logger ?? false }), tokens, opts);
}
