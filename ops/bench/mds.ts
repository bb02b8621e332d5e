// Benchmark: the appc metadata service (api/mds) beside a bare fastify app serving the same 36-byte UUID
// on the same path shape, both on 127.0.0.1 in this process. The load comes from a child process (a fork
// of this script in "load" mode), so the servers' event loop is not shared with the load generator.
// For each server: an open-loop run at a fixed rate (requests sent on a time schedule, never held back by
// slow answers; latency counted from the scheduled send time, so queueing shows, as wrk2 does it), then a
// closed-loop run (N connections, each sending its next request when the last one is answered) for the
// most requests per second, once with undici and once over plain sockets (a generator that costs far less
// CPU, so that on a small host the server rather than the generator sets the pace). Beside each run it
// prints the servers' CPU time per request and the CPU that other processes on the host used meanwhile,
// since both move the figures. Prints the figures beside the targets; asserts nothing.
//
//   bash ops/bench/mds.sh [RATE] [SECONDS] [MAX_SECONDS] [CONNECTIONS]   (defaults 1000 10 5 32)
//   node dist/ops/bench/mds.js ...                                       (the same, once built)
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import Fastify from "fastify";
import { Pool } from "undici";
import { startMetadataService } from "../../api/mds/listen.js";
import { FLAVOR, FLAVOR_HEADER, TEXT_TYPE, type MdsDeps } from "../../api/mds/app.js";
import { emptyImages, type ImageView } from "../../machines/projections/images.js";
import { emptyPods } from "../../machines/projections/pods.js";

const TARGET_P99_MS = 10;
const TARGET_RATIO = 0.7;
const WARMUP_SECONDS = 2;

interface LoadSpec {
  origin: string;
  path: string;
  expect: string;
  /** open: fixed rate on a schedule; closed: undici, next request on each answer; raw: the same over bare sockets. */
  mode: "open" | "closed" | "raw";
  rate: number;
  seconds: number;
  connections: number;
}

interface LoadResult {
  sent: number;
  answered: number;
  errors: number;
  non200: number;
  wrongBody: number;
  elapsedS: number;
  /** Latency percentiles (ms) from the scheduled send time (open loop) or the actual send (closed loop). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** How late the generator itself sent (ms, open loop only): large values mean it could not keep up. */
  lagP99: number;
  lagMax: number;
  /** CPU the generator process used, as a share of one core. */
  cpu: number;
  firstError: string | null;
}

// ---------------------------------------------------------------------------------------------------------
// The load generator (child process).

const ms = (ns: bigint) => Number(ns) / 1e6;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/**
 * A closed loop over plain sockets: one fixed request written, the answer framed by its Content-Length,
 * the next written. It parses next to nothing, so it costs the host far less CPU per request than undici
 * and can push a server harder on a small host; it counts and checks answers the same way.
 */
function rawConnection(spec: LoadSpec, end: bigint, record: (from: bigint, status: number, body: string) => void, failed: (err: unknown) => void): Promise<void> {
  const url = new URL(spec.origin);
  const request = Buffer.from(`GET ${spec.path} HTTP/1.1\r\nHost: ${url.host}\r\n${FLAVOR_HEADER}: ${FLAVOR}\r\n\r\n`, "latin1");
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
    let buf = Buffer.alloc(0);
    let from = 0n;
    const send = () => {
      if (process.hrtime.bigint() >= end) return void socket.end(resolve);
      from = process.hrtime.bigint();
      socket.write(request);
    };
    socket.on("connect", send);
    socket.on("error", (err) => (failed(err), resolve()));
    socket.on("data", (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const head = buf.indexOf("\r\n\r\n");
      if (head < 0) return;
      const headers = buf.subarray(0, head).toString("latin1");
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headers)?.[1] ?? 0);
      if (buf.length < head + 4 + length) return;
      record(from, Number(headers.slice(9, 12)), buf.subarray(head + 4, head + 4 + length).toString("latin1"));
      buf = buf.subarray(head + 4 + length);
      send();
    });
  });
}

async function generateLoad(spec: LoadSpec): Promise<LoadResult> {
  const pool = new Pool(spec.origin, { connections: spec.connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const headers = { [FLAVOR_HEADER]: FLAVOR };
  const latencies: number[] = [];
  const lags: number[] = [];
  const r = { sent: 0, answered: 0, errors: 0, non200: 0, wrongBody: 0, firstError: null as string | null };

  async function one(from: bigint): Promise<void> {
    r.sent++;
    try {
      const res = await pool.request({ path: spec.path, method: "GET", headers });
      const body = await res.body.text();
      latencies.push(ms(process.hrtime.bigint() - from));
      r.answered++;
      if (res.statusCode !== 200) r.non200++;
      else if (body !== spec.expect) r.wrongBody++;
    } catch (err) {
      r.errors++;
      r.firstError ??= String(err);
    }
  }

  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(spec.seconds * 1e9));
  if (spec.mode === "open") {
    // Request i is due at t0 + i/rate whatever happened to the earlier ones; each tick sends all that are
    // due. Sleeps with a timer when the next is far off, otherwise yields with setImmediate (timers are
    // only good to about a millisecond, the gap between requests at 1000/s).
    const total = Math.round(spec.rate * spec.seconds);
    const gapNs = 1e9 / spec.rate;
    const inFlight = new Set<Promise<void>>();
    let next = 0;
    await new Promise<void>((done) => {
      const tick = () => {
        const now = process.hrtime.bigint();
        while (next < total) {
          const due = t0 + BigInt(Math.round(next * gapNs));
          if (due > now) break;
          lags.push(ms(now - due));
          const p = one(due);
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
          next++;
        }
        if (next >= total) return done();
        const waitMs = ms(t0 + BigInt(Math.round(next * gapNs)) - process.hrtime.bigint());
        if (waitMs > 2) setTimeout(tick, waitMs - 1);
        else setImmediate(tick);
      };
      tick();
    });
    await Promise.all(inFlight);
  } else if (spec.mode === "raw") {
    const record = (from: bigint, status: number, body: string) => {
      r.sent++;
      r.answered++;
      latencies.push(ms(process.hrtime.bigint() - from));
      if (status !== 200) r.non200++;
      else if (body !== spec.expect) r.wrongBody++;
    };
    const failed = (err: unknown) => {
      r.errors++;
      r.firstError ??= String(err);
    };
    await Promise.all(Array.from({ length: spec.connections }, () => rawConnection(spec, end, record, failed)));
  } else {
    const worker = async () => {
      while (process.hrtime.bigint() < end) await one(process.hrtime.bigint());
    };
    await Promise.all(Array.from({ length: spec.connections }, worker));
  }
  const elapsedNs = process.hrtime.bigint() - t0;
  const cpu = process.cpuUsage(cpu0);
  await pool.close();

  const lat = Float64Array.from(latencies).sort();
  const lag = Float64Array.from(lags).sort();
  return {
    ...r,
    elapsedS: Number(elapsedNs) / 1e9,
    p50: percentile(lat, 0.5),
    p90: percentile(lat, 0.9),
    p99: percentile(lat, 0.99),
    max: lat.length ? lat[lat.length - 1]! : NaN,
    lagP99: percentile(lag, 0.99),
    lagMax: lag.length ? lag[lag.length - 1]! : NaN,
    cpu: (cpu.user + cpu.system) / 1e6 / (Number(elapsedNs) / 1e9),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The servers and the report (parent process).

/** Busy and total CPU time of the whole host (jiffies), from /proc/stat; undefined where there is none. */
function hostCpu(): { busy: number; total: number } | undefined {
  try {
    // user nice system idle iowait irq softirq steal; guest time is already inside user, so left out.
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

interface Run {
  result: LoadResult;
  /** CPU this (server) process used meanwhile, as a share of one core. */
  serverCpu: number;
  /** Server CPU time per answered request (µs): what one core's ceiling is, whatever else the host runs. */
  serverUsPerReq: number;
  /** CPU everything else on the host used meanwhile (cores): other people's work disturbs the figures. */
  otherCpu: number;
}

/** One load run in a child process. */
function runLoad(spec: LoadSpec): Promise<Run> {
  return new Promise((resolve, reject) => {
    const host0 = hostCpu();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let result: LoadResult | undefined;
    const child = fork(fileURLToPath(import.meta.url), ["load", JSON.stringify(spec)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.on("message", (m) => (result = m as LoadResult));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      const cpu = process.cpuUsage(cpu0);
      const host1 = hostCpu();
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (result === undefined) return reject(new Error(`the load generator exited (${signal ?? code}) without a result`));
      const serverCpu = (cpu.user + cpu.system) / 1e6 / seconds;
      const hostCores = host0 && host1 ? ((host1.busy - host0.busy) / (host1.total - host0.total)) * cpus().length : NaN;
      // The generator's share is over its own measured span, a little shorter than this one: close enough.
      resolve({ result, serverCpu, serverUsPerReq: (cpu.user + cpu.system) / Math.max(1, result.answered), otherCpu: Math.max(0, hostCores - serverCpu - result.cpu) });
    });
  });
}

function mdsDeps(uuid: string, token: string): MdsDeps {
  const imageId = `sha512-${"ab".repeat(64)}`;
  const images = emptyImages();
  const manifest = { acKind: "ImageManifest", acVersion: "0.8.11", name: "bench.example/app", labels: [{ name: "os", value: "linux" }] };
  const image: ImageView = { id: imageId, uuid: "0", name: manifest.name, labels: [], manifest, dependencies: [], compression: "none", aciBytes: 1, tarBytes: 1, importedAt: "t", importedBy: "bench", state: "ready" };
  images.set(imageId, image);
  const pods = emptyPods();
  const podManifest = { acVersion: "0.8.11", acKind: "PodManifest", apps: [{ name: "app", image: { name: manifest.name, id: imageId, labels: [] }, mounts: [] }], volumes: [] };
  pods.pods.set(uuid, { uuid, name: null, state: "running", ip: "10.254.0.2", manifest: podManifest, apps: [], isolatorsIgnored: [], lastError: null, createdAt: "t", createdBy: "bench", updatedAt: "t" });
  const secret = { token, hmacKey: randomBytes(64).toString("base64") };
  return {
    pods: () => pods,
    images: () => images,
    secretsOf: async (u) => {
      if (u !== uuid) throw new Error(`no secrets for pod ${u}`);
      return secret;
    },
    say: (line) => console.error(line),
    checkSource: false,
  };
}

async function startBare(uuid: string): Promise<{ origin: string; close: () => Promise<void> }> {
  const app = Fastify({ logger: false });
  const body = Buffer.from(uuid, "utf8");
  app.get("/:token/acMetadata/v1/pod/uuid", async (_req, reply) => reply.code(200).header("content-type", TEXT_TYPE).send(body));
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as { port: number };
  return { origin: `http://127.0.0.1:${port}`, close: () => app.close() };
}

const f = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "-");

async function main(args: string[]): Promise<void> {
  const [rate = 1000, seconds = 10, maxSeconds = 5, connections = 32] = args.map(Number);
  const uuid = "6d1b5c7e-2f4a-4c3e-9b8d-0a1b2c3d4e5f";
  const token = randomBytes(24).toString("base64url");
  const path = `/${token}/acMetadata/v1/pod/uuid`;
  const mds = await startMetadataService(mdsDeps(uuid, token), { host: "127.0.0.1", port: 0 });
  const bare = await startBare(uuid);
  try {
    const targets = [
      { label: "metadata service", origin: `http://${mds.address}` },
      { label: "bare fastify", origin: bare.origin },
    ];
    // The service must answer what a pod would get, and refuse a request without the header, before
    // its speed means anything.
    const ok = await fetch(`${targets[0]!.origin}${path}`, { headers: { [FLAVOR_HEADER]: FLAVOR } });
    const okBody = await ok.text();
    const refused = await fetch(`${targets[0]!.origin}${path}`);
    await refused.text();
    if (ok.status !== 200 || okBody !== uuid || refused.status !== 403) throw new Error(`the metadata service answered ${ok.status} ${JSON.stringify(okBody)}, and ${refused.status} without the header`);

    console.log(`metadata service at ${mds.address}, bare fastify at ${bare.origin.slice("http://".length)}; host has ${cpus().length} CPUs, node ${process.version}`);
    console.log(`checkSource is OFF for the metadata service: the load comes from 127.0.0.1, not from the pod's address`);
    console.log(`load: a separate Node process (fork of this script) with ${connections} keep-alive connections, no pipelining: undici Pool, and plain sockets for one closed loop`);
    console.log(`each run: ${WARMUP_SECONDS} s warm-up at ${rate}/s (not counted), open loop ${rate}/s for ${seconds} s, closed loop for ${maxSeconds} s\n`);

    const runs = new Map<string, Run>();
    const key = (label: string, mode: string) => `${label}/${mode}`;
    for (const t of targets) {
      const base = { origin: t.origin, path, expect: uuid, connections, rate };
      await runLoad({ ...base, mode: "open", seconds: WARMUP_SECONDS });
      runs.set(key(t.label, "open"), await runLoad({ ...base, mode: "open", seconds }));
    }
    // Closed loops interleaved A B B A, so that a change in what else the host runs hits both alike.
    for (const [t, mode] of [[0, "closed"], [1, "closed"], [1, "raw"], [0, "raw"]] as const) {
      const target = targets[t]!;
      runs.set(key(target.label, mode), await runLoad({ origin: target.origin, path, expect: uuid, connections, rate, mode, seconds: maxSeconds }));
    }
    const get = (label: string, mode: string) => runs.get(key(label, mode))!;
    const cpuPct = (x: number) => `${f(x * 100, 0)}%`;
    const others = (x: number) => f(x, 2);

    console.log(`open loop, ${rate} requests/s scheduled for ${seconds} s; latency (ms) from the scheduled send time`);
    console.log(`${"server".padEnd(18)} ${"achieved/s".padStart(10)} ${"p50".padStart(7)} ${"p90".padStart(7)} ${"p99".padStart(7)} ${"max".padStart(7)} ${"errors".padStart(7)} ${"non-200".padStart(8)} ${"srv cpu".padStart(8)} ${"gen lag p99/max".padStart(16)} ${"others".padStart(7)}`);
    for (const t of targets) {
      const o = get(t.label, "open");
      const r = o.result;
      console.log(
        `${t.label.padEnd(18)} ${f(r.answered / r.elapsedS, 0).padStart(10)} ${f(r.p50).padStart(7)} ${f(r.p90).padStart(7)} ${f(r.p99).padStart(7)} ${f(r.max).padStart(7)} ${String(r.errors + r.wrongBody).padStart(7)} ${String(r.non200).padStart(8)} ${cpuPct(o.serverCpu).padStart(8)} ${`${f(r.lagP99)}/${f(r.lagMax)}`.padStart(16)} ${others(o.otherCpu).padStart(7)}`,
      );
    }
    console.log(`\nclosed loop, ${connections} connections, each sending on the last answer, ${maxSeconds} s per run`);
    console.log(`${"server".padEnd(18)} ${"generator".padEnd(10)} ${"requests/s".padStart(10)} ${"p50".padStart(7)} ${"p99".padStart(7)} ${"errors".padStart(7)} ${"non-200".padStart(8)} ${"srv cpu".padStart(8)} ${"µs/req".padStart(7)} ${"gen cpu".padStart(8)} ${"others".padStart(7)}`);
    for (const mode of ["closed", "raw"] as const) {
      for (const t of targets) {
        const c = get(t.label, mode);
        const r = c.result;
        console.log(
          `${t.label.padEnd(18)} ${(mode === "closed" ? "undici" : "raw tcp").padEnd(10)} ${f(r.answered / r.elapsedS, 0).padStart(10)} ${f(r.p50).padStart(7)} ${f(r.p99).padStart(7)} ${String(r.errors + r.wrongBody).padStart(7)} ${String(r.non200).padStart(8)} ${cpuPct(c.serverCpu).padStart(8)} ${f(c.serverUsPerReq, 1).padStart(7)} ${cpuPct(r.cpu).padStart(8)} ${others(c.otherCpu).padStart(7)}`,
        );
      }
    }
    for (const [k, run] of runs) if (run.result.firstError !== null) console.log(`(${k}: first error: ${run.result.firstError})`);

    const rps = (label: string, mode: string) => get(label, mode).result.answered / get(label, mode).result.elapsedS;
    const mdsOpen = get(targets[0]!.label, "open").result;
    const p99Met = mdsOpen.p99 < TARGET_P99_MS && mdsOpen.errors + mdsOpen.non200 + mdsOpen.wrongBody === 0;
    console.log(`\ntarget: metadata service p99 under ${TARGET_P99_MS} ms at ${rate}/s, no errors -> p99 ${f(mdsOpen.p99)} ms, ${p99Met ? "met" : "NOT met"}`);
    for (const [mode, name] of [["closed", "undici"], ["raw", "raw tcp"]] as const) {
      const m = rps(targets[0]!.label, mode);
      const b = rps(targets[1]!.label, mode);
      console.log(`target: throughput >= ${TARGET_RATIO}x bare fastify's (${name} generator) -> ${f(m, 0)} / ${f(b, 0)} = ${f(m / b)}x, ${m / b >= TARGET_RATIO ? "met" : "NOT met"}`);
    }
    // Requests per second of one saturated core are 1e6 / (µs per request): the ratio of CPU costs is the
    // throughput ratio a server-bound run would show. It is no cure for a busy host (CPU time per request
    // rises under contention too, and falls as more requests share each wake-up), only another view.
    const cost = (label: string) => get(label, "raw").serverUsPerReq;
    const costRatio = cost(targets[1]!.label) / cost(targets[0]!.label);
    console.log(`server CPU per request (raw tcp runs): ${f(cost(targets[0]!.label), 1)} µs vs ${f(cost(targets[1]!.label), 1)} µs -> one core's ceiling ${f(1e6 / cost(targets[0]!.label), 0)} vs ${f(1e6 / cost(targets[1]!.label), 0)} req/s = ${f(costRatio)}x, ${costRatio >= TARGET_RATIO ? "met" : "NOT met"}`);
    console.log(`\nsrv cpu: this process (both servers) during the run, share of one core; µs/req: its CPU time per answer.`);
    console.log(`gen cpu: the load generator's share of one core.`);
    console.log(`gen lag: how late the generator sent against its schedule (counted in the latencies above).`);
    console.log(`others: cores used by everything else on the host meanwhile (of ${cpus().length}); above ~0.2 the figures are disturbed.`);
    console.log(`A throughput ratio means something only while the server, not the generator, is the bottleneck:`);
    console.log(`look for srv cpu near 100% (Node serves on one core) rather than gen cpu near 100%.`);
  } finally {
    await mds.close();
    await bare.close();
  }
}

if (process.argv[2] === "load") {
  const result = await generateLoad(JSON.parse(process.argv[3] ?? "{}") as LoadSpec);
  process.send?.(result, () => process.exit(0));
} else {
  await main(process.argv.slice(2));
}
