// The daemon's composition root: the one module that wires workers (host effects) into the API process.
// No route imports workers; they get what they need through ApiDeps.
//
// Start order matters for crash safety: take the root's lock; open the log (cutting a torn tail); replay
// it into the engine and projections; bring up Redis and the queues; reconcile the host with the log
// (recover); enqueue what is still waiting; only then start workers and take requests.
import { randomUUID, createHash } from "node:crypto";
import { chmod, mkdir, rm } from "node:fs/promises";
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { Engine } from "../../machines/engine.js";
import { EventLog, readLog } from "../../machines/log/index.js";
import { emptyImages, foldImages } from "../../machines/projections/images.js";
import { emptyOperations, foldOperations } from "../../machines/projections/operations.js";
import { emptyPods, foldPods } from "../../machines/projections/pods.js";
import { DEFAULT_POD_POOL, parsePool, pickAddress, poolExhausted } from "../../machines/network/pool.js";
import { DEFAULT_BRIDGE, ensureBridge } from "../../workers/host/network/index.js";
import { startMetadataService } from "../mds/listen.js";
import { podJobProcessor } from "../../workers/pods/jobs.js";
import { appLogPath, podDir } from "../../workers/pods/layout.js";
import { linuxPodHost } from "../../workers/pods/linux-host.js";
import { freebsdPodHost } from "../../workers/pods/freebsd-host.js";
import { parseJailBackendConfig } from "../../workers/host/jail/index.js";
import { runSpecOf, readPodSecrets } from "../../workers/pods/plan-context.js";
import { recoverPods } from "../../workers/pods/recover.js";
import { PodWatchers } from "../../workers/pods/watch.js";
import { ProgressBoard } from "../../machines/progress.js";
import { startEmbeddedRedis, type EmbeddedRedis } from "../../workers/host/redis.js";
import { createZfsStorage } from "../../workers/host/zfs/index.js";
import { imageJobProcessor } from "../../workers/images/jobs.js";
import { imageDir } from "../../workers/images/layout.js";
import { openQueues } from "../../workers/queues.js";
import { pendingJobs, recover } from "../../workers/recover.js";
import { build } from "../app.js";
import type { ApiDeps } from "../deps.js";
import { fail } from "../../machines/errors.js";
import { parseListenAddress, startTcpListener } from "./tcp.js";
import { VERSION } from "../version.js";
import { TrustStore } from "../../workers/images/trust/index.js";
import { fetchSettings, loadRootConfig } from "./config.js";
import { trustApi } from "./trust-api.js";
import { takeDaemonLock } from "./lock.js";

export interface DaemonOptions {
  root: string;
  zfs?: string;
  /** An external Redis (redis://... or a unix socket path); without it the daemon runs its own. */
  redis?: string;
  /** Where the API listens; default `<root>/jetpack.sock`. */
  socket?: string;
  say?: (line: string) => void;
  workerConcurrency?: number;
  /** A PEM file of extra certificate authorities to trust when fetching (a private registry). */
  ca?: string;
  /** Discovery and downloads on this port instead of 443 (a test registry on loopback). */
  discoveryPort?: number;
  /** The pod network (IPv4 CIDR); pods get addresses from it, the host its first address. */
  podNetwork?: string;
  /** The host bridge of the pod network. */
  bridge?: string;
  /** The metadata service's port on the pod network's gateway. */
  metadataPort?: number;
  /** Also serve the API on TCP (`HOST:PORT`), every request with a bearer token from `tokenFile`. */
  listen?: string;
  tokenFile?: string;
}

/** Where pods find the metadata service on the gateway (AC_METADATA_URL). */
export const DEFAULT_METADATA_PORT = 2375;

export interface RunningDaemon {
  socket: string;
  stop(): Promise<void>;
}

/** Effects. Starts the daemon; resolves once it takes requests. */
export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const say = opts.say ?? ((line: string) => process.stderr.write(`jetpack daemon: ${line}\n`));
  const root = opts.root;
  await mkdir(root, { recursive: true, mode: 0o700 });
  const lock = await takeDaemonLock(`${root}/daemon.pid`);
  const cleanups: Array<() => Promise<unknown>> = [() => lock.release()];
  const stop = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err) => say(`while stopping: ${(err as Error).message}`));
  };
  try {
    const config = await loadRootConfig(root, opts.zfs);
    const layout = { root, zfsRoot: config.zfsRoot };

    const log = await EventLog.open(`${root}/log/events.jsonl`, {
      onTornTail: (t) => say(`cut a torn last record (${t.bytes} bytes: ${t.reason})`),
    });
    cleanups.push(() => log.close());
    const images = emptyImages();
    const operations = emptyOperations();
    const pods = emptyPods();
    const pool = parsePool(opts.podNetwork ?? DEFAULT_POD_POOL);
    const progress = new ProgressBoard();
    let queues: ReturnType<typeof openQueues> | undefined;
    const engine = new Engine({
      log,
      enqueue: async (jobs) => {
        if (!queues) throw new Error("queues are not open yet");
        await queues.enqueue(jobs);
      },
      onRecord: (rec) => {
        foldImages(images, rec);
        foldOperations(operations, rec);
        foldPods(pods, rec);
      },
      onEnqueueError: (err) => say(`could not enqueue jobs (will retry): ${(err as Error).message}`),
    });
    for await (const rec of readLog(log.path)) engine.load(rec);

    let embedded: EmbeddedRedis | undefined;
    if (!opts.redis) {
      embedded = await startEmbeddedRedis(`${root}/redis`);
      cleanups.push(() => embedded!.stop());
    }
    const redisTarget = opts.redis ?? embedded!.socket;
    const connection = redisTarget.startsWith("redis://") || redisTarget.startsWith("rediss://")
      ? new Redis(redisTarget, { maxRetriesPerRequest: null })
      : new Redis({ path: redisTarget, maxRetriesPerRequest: null });
    cleanups.push(async () => connection.disconnect());
    const prefix = `jetpack-${createHash("sha256").update(root).digest("hex").slice(0, 12)}`;
    queues = openQueues(connection, prefix);
    cleanups.push(() => queues!.close());

    const storage = createZfsStorage();
    const report = await recover({ engine, storage, layout, images: () => images, say });
    for (const [what, list] of Object.entries(report)) if (list.length > 0) say(`recovery: ${what}: ${list.join(", ")}`);
    await queues.enqueue(pendingJobs(engine));
    const retry = setInterval(() => void engine.retryPending(), 2000);
    cleanups.push(async () => clearInterval(retry));

    const trust = new TrustStore(`${root}/trust`, { warn: (w) => say(`trust store: ${w}`) });
    const fetching = await fetchSettings(root, opts.ca);
    cleanups.push(async () => fetching.dispatcher?.close());
    const jobDeps = {
      engine,
      progress,
      storage,
      layout,
      images: () => images.values(),
      trust,
      downloadsDir: `${root}/downloads`,
      ...fetching,
      ...(opts.discoveryPort ? { discoveryPort: opts.discoveryPort } : {}),
    };
    const worker = new Worker("images", imageJobProcessor(jobDeps), {
      connection,
      prefix,
      concurrency: opts.workerConcurrency ?? 2,
      lockDuration: 60_000,
    });
    worker.on("error", (err) => say(`worker: ${err.message}`));
    cleanups.push(() => worker.close(true));

    // A pod is a jail on FreeBSD (Jetpack's own host), namespaces everywhere else.
    const podHost = process.platform === "freebsd" ? freebsdPodHost({ config: parseJailBackendConfig({}) }) : linuxPodHost({ pool, bridge: opts.bridge ?? DEFAULT_BRIDGE });
    const watchers = new PodWatchers({ engine, host: podHost, layout, say });
    cleanups.push(async () => watchers.closeAll());
    const pickPodAddress = (taken: ReadonlySet<string>) => {
      const ip = pickAddress(pool, taken);
      if (ip === undefined) throw poolExhausted(pool);
      return ip;
    };
    const metadataBase = `http://${pool.gateway}:${opts.metadataPort ?? DEFAULT_METADATA_PORT}`;
    // The metadata service lives on the pod network's gateway, which the bridge holds.
    const bridge = opts.bridge ?? DEFAULT_BRIDGE;
    const mds = await startMetadataService(
      { pods: () => pods, images: () => images, secretsOf: (uuid) => readPodSecrets(layout, uuid), say },
      // On FreeBSD the jails' interface (lo1 by default) must hold the gateway address, as Jetpack's did.
      { host: pool.gateway, port: opts.metadataPort ?? DEFAULT_METADATA_PORT, ...(process.platform === "freebsd" ? {} : { beforeListen: () => ensureBridge({ pool, bridge }) }) },
    );
    cleanups.push(() => mds.close());
    const podReport = await recoverPods({ engine, host: podHost, watchers });
    if (podReport.restarted.length > 0) say(`recovery: pods whose step runs again: ${podReport.restarted.join(", ")}`);
    if (podReport.releasedNetworks.length > 0) say(`recovery: released the networks of pods that do not run: ${podReport.releasedNetworks.join(", ")}`);
    // One job per pod at a time comes from the pod machine; several pods start side by side.
    const podWorker = new Worker(
      "pods",
      podJobProcessor({ engine, storage, layout, host: podHost, images: () => images.values(), pods: () => pods, watchers, pickAddress: pickPodAddress, metadataBase }),
      { connection, prefix, concurrency: opts.workerConcurrency ?? 4, lockDuration: 60_000 },
    );
    podWorker.on("error", (err) => say(`pod worker: ${err.message}`));
    cleanups.push(() => podWorker.close(true));

    const deps: ApiDeps = {
      trust: trustApi(trust, `${root}/tmp`, fetching.dispatcher),
      engine,
      images: () => images,
      operations: () => operations,
      pods: () => pods,
      podApi: {
        pickAddress: pickPodAddress,
        logPath: (uuid, app) => appLogPath(layout, uuid, app),
        async execCommand(uuid, app, argv) {
          const pod = pods.pods.get(uuid);
          const secrets = await readPodSecrets(layout, uuid);
          const { spec } = runSpecOf({ layout, uuid, manifest: pod?.manifest, ip: pod?.ip ?? null, images: images.values(), metadataBase, token: secrets.token, cgroups: false });
          return podHost.execCommand(podDir(layout, uuid), spec, app, argv);
        },
      },
      progress,
      logPath: log.path,
      aciPath: (id) => `${imageDir(layout, id)}/aci`,
      uploadDir: `${root}/uploads`,
      newId: randomUUID,
      version: VERSION,
    };
    const app = build(deps);
    const socket = opts.socket ?? `${root}/jetpack.sock`;
    await rm(socket, { force: true });
    await app.listen({ path: socket });
    await chmod(socket, 0o600);
    cleanups.push(() => app.close());
    if (opts.listen) {
      if (!opts.tokenFile) throw fail("invalid", "JP_ERR_DAEMON_LISTEN", "--listen needs --token-file FILE", { hint: "a file of `NAME TOKEN` lines, mode 0600" });
      const tcp = await startTcpListener(deps, { ...parseListenAddress(opts.listen), tokenFile: opts.tokenFile });
      cleanups.push(() => tcp.close());
      say(`listening on ${opts.listen} (bearer tokens for ${tcp.names.join(", ")})`);
    }
    say(`listening on ${socket} (log ${log.path}, ${log.lastSeq} records; zfs ${layout.zfsRoot}; redis ${embedded ? "embedded" : redisTarget}; pods on ${pool.cidr}, metadata at http://${mds.address})`);
    return { socket, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
