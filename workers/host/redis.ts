// The embedded Redis: a redis-server of the daemon's own, on a unix socket under the root. Effects.
//
// Redis holds only queue state, which the daemon can rebuild from the log, so it runs without snapshots
// or AOF. If a previous daemon was killed, its redis-server may still be running: the pid file tells us,
// and we reuse it when it answers (its queued jobs are still good), or clear the socket when it does not.
import { mkdir, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import type { ChildProcess } from "node:child_process";
import { fail } from "../../machines/errors.js";
import { startProcess } from "./exec.js";

export interface EmbeddedRedis {
  socket: string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

/** Effects. Starts (or reuses) the redis-server of `dir`; resolves once it answers PING. */
export async function startEmbeddedRedis(dir: string, opts: { command?: string; timeoutMs?: number } = {}): Promise<EmbeddedRedis> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const socket = `${dir}/redis.sock`;
  const pidFile = `${dir}/redis.pid`;
  if (await ping(socket)) {
    const pid = await readPid(pidFile);
    return { socket, stop: () => (pid ? stopPid(pid) : Promise.resolve()) };
  }
  await rm(socket, { force: true });
  const child = startProcess(
    opts.command ?? "redis-server",
    [
      "--port", "0",
      "--unixsocket", socket,
      "--unixsocketperm", "700",
      "--dir", dir,
      "--pidfile", pidFile,
      "--save", "",
      "--appendonly", "no",
      "--daemonize", "no",
      "--logfile", `${dir}/redis.log`,
    ],
    { stdio: "ignore", detached: true },
  );
  child.unref();
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    if (await ping(socket)) break;
    const code = await Promise.race([exited, sleep(50).then(() => undefined)]);
    if (code !== undefined) {
      throw fail("unavailable", "JP_ERR_REDIS_START", `redis-server exited (code ${code}) before it answered`, { hint: `see ${dir}/redis.log` });
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw fail("unavailable", "JP_ERR_REDIS_START", "redis-server did not answer in time", { hint: `see ${dir}/redis.log` });
    }
  }
  return { socket, stop: () => stopChild(child) };
}

/** Effects. True when a Redis answers PING on `socket`. */
export function ping(socket: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(socket);
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.on("error", () => done(false));
    s.on("connect", () => s.write("PING\r\n"));
    s.on("data", (b) => done(b.toString().startsWith("+PONG")));
  });
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(file, "utf8"), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(5000).then(() => child.kill("SIGKILL"))]);
}

async function stopPid(pid: number): Promise<void> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    await sleep(50);
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  process.kill(pid, "SIGKILL");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
