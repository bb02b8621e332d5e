// A real jetpack daemon for integration tests: its own root dir, ZFS dataset and embedded redis-server,
// run as a child process (so tests can kill -9 it), plus helpers to call its API and run the CLI.
import { killPod } from "../../workers/pods/supervisor/client.js";
import { removeBridge, teardownPodNetwork } from "../../workers/host/network/index.js";
import { randomBytes } from "node:crypto";
import { removePodCgroups } from "../../workers/host/cgroups/index.js";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { Client } from "undici";

const here = fileURLToPath(new URL(".", import.meta.url));
const fromSource = import.meta.url.endsWith(".ts");
/** How to run the CLI: compiled JavaScript under dist/, or the sources through tsx during development. */
export const CLI = fromSource ? ["--import", "tsx", `${here}../../api/cli/main.ts`] : [`${here}../../api/cli/main.js`];

export interface TestDaemon {
  root: string;
  zfsRoot: string;
  socket: string;
  process: ChildProcess;
  /** Everything the daemon wrote to stderr so far. */
  output(): string;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  cli(args: string[], opts?: { input?: string | Buffer }): { code: number; stdout: string; stderr: string };
  /** The CLI without blocking this process (needed when this process also serves the daemon, e.g. a registry). */
  run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Waits for an operation to end; returns its final view. */
  waitOp(id: string, timeoutMs?: number): Promise<any>;
  /** Stops the daemon with SIGTERM and waits. */
  stop(): Promise<void>;
  /** kill -9, as a crash would. The embedded redis-server survives, as it would. */
  crash(): Promise<void>;
  /** Starts the daemon again on the same root (after stop or crash). */
  restart(extraArgs?: string[]): Promise<void>;
  /** Stops everything it started, the orphaned redis-server included (the root dir stays: see teardown). */
  destroy(): Promise<void>;
}

export async function startTestDaemon(opts: { zfsRoot: string; root?: string; args?: string[] }): Promise<TestDaemon> {
  const root = opts.root ?? mkdtempSync(`${tmpdir()}/jp-root-`);
  const socket = `${root}/jetpack.sock`;
  // Each test daemon gets a pod network and bridge of its own, so none meets another's (or a real one's).
  const given = opts.args ?? [];
  const bridge = given.includes("--bridge") ? undefined : `jpt${randomBytes(3).toString("hex")}`;
  const networkArgs = [
    ...(given.includes("--pod-network") ? [] : ["--pod-network", `10.${240 + (randomBytes(1)[0]! % 8)}.${randomBytes(1)[0]!}.0/24`]),
    ...(bridge ? ["--bridge", bridge] : []),
  ];
  let out = "";
  let child: ChildProcess | undefined;
  let client: Client | undefined;

  const launch = async (extra: string[]) => {
    child = spawn(process.execPath, [...CLI, "daemon", "--root", root, "--zfs", opts.zfsRoot, ...given, ...networkArgs, ...extra], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env },
    });
    child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const code = await Promise.race([exited, sleep(100).then(() => undefined)]);
      if (code !== undefined) throw new Error(`daemon exited with ${code} before answering:\n${out}`);
      if (await healthy()) return;
      if (Date.now() > deadline) throw new Error(`daemon did not answer within 30 s:\n${out}`);
    }
  };
  const healthy = async () => {
    try {
      const r = await rawRequest("GET", "/v1/health");
      return r.status === 200;
    } catch {
      return false;
    }
  };
  const rawRequest = async (method: string, path: string, body?: unknown) => {
    client ??= new Client("http://localhost", { socketPath: socket });
    const res = await client.request({
      method: method as "GET",
      path,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: text ? JSON.parse(text) : null };
  };
  const exitOf = async (signal: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise((r) => child!.once("exit", r));
    child.kill(signal);
    await done;
    await client?.close().catch(() => {});
    client = undefined;
  };

  await launch([]);
  const d: TestDaemon = {
    root,
    zfsRoot: opts.zfsRoot,
    socket,
    get process() {
      return child!;
    },
    output: () => out,
    request: rawRequest,
    cli(args, o = {}) {
      const r = spawnSync(process.execPath, [...CLI, "--root", root, ...args], { input: o.input ?? "", encoding: "buffer", env: { ...process.env }, maxBuffer: 1 << 30 });
      return { code: r.status ?? 128, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
    },
    run(args) {
      return new Promise((resolve, reject) => {
        const c = spawn(process.execPath, [...CLI, "--root", root, ...args], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        c.stdout!.on("data", (b: Buffer) => (stdout += b.toString()));
        c.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
        c.on("error", reject);
        c.on("close", (code) => resolve({ code: code ?? 128, stdout, stderr }));
      });
    },
    async waitOp(id, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = await rawRequest("GET", `/v1/operations/${id}`);
        if (r.json?.state === "succeeded" || r.json?.state === "failed") return r.json;
        if (Date.now() > deadline) throw new Error(`operation ${id} still ${r.json?.state} after ${timeoutMs} ms:\n${out}`);
        await sleep(100);
      }
    },
    stop: () => exitOf("SIGTERM"),
    crash: () => exitOf("SIGKILL"),
    restart: (extra = []) => launch(extra),
    async destroy() {
      await exitOf("SIGTERM");
      killRedisOf(root);
      // Pods outlive their daemon by design; a test's pods end with the test.
      await killPodsOf(root);
      if (bridge) await removeBridge(bridge).catch(() => undefined);
    },
  };
  return d;
}

/**
 * Ends a test's daemon and pool in the only order that works: the daemon, then the pool (which unmounts
 * every dataset under the root), then the root dir. Each step runs even if one before it failed.
 */
export async function teardown(daemon: TestDaemon | undefined, pool: { destroy(): Promise<void> } | undefined, ...dirs: string[]): Promise<void> {
  const errors: unknown[] = [];
  for (const step of [() => daemon?.destroy(), () => pool?.destroy(), ...[daemon?.root, ...dirs].map((d) => () => (d ? rmSync(d, { recursive: true, force: true }) : undefined))]) {
    try {
      await step();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
}

/** Effects. Kills every pod of `root` (supervisor, namespaces) and releases its network and cgroups. */
export async function killPodsOf(root: string): Promise<void> {
  let uuids: string[] = [];
  try {
    uuids = readdirSync(`${root}/pods`);
  } catch {
    return;
  }
  for (const uuid of uuids) {
    await killPod(`${root}/pods/${uuid}`).catch(() => undefined);
    if (!/^[0-9a-f-]{36}$/.test(uuid)) continue;
    await teardownPodNetwork(uuid).catch(() => undefined);
    await removePodCgroups(uuid).catch(() => undefined);
  }
}

/** Ends the embedded redis-server of `root` by the pid it wrote, if it still runs. */
export function killRedisOf(root: string): void {
  try {
    const pid = Number.parseInt(readFileSync(`${root}/redis/redis.pid`, "utf8"), 10);
    if (pid > 1) process.kill(pid, "SIGKILL");
  } catch {
    // not running, or never started
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
