// An API wired to a real engine and log in a temp directory, with no daemon and no workers: the jobs
// go to whatever `enqueue` the test gives. Shared by the tests that build the API by hand.
import { randomUUID } from "node:crypto";
import { build } from "../../api/app.js";
import type { ApiDeps, PodApi } from "../../api/deps.js";
import { trustApi } from "../../api/daemon/trust-api.js";
import { Engine } from "../../machines/engine.js";
import { EventLog, type JobSpec } from "../../machines/log/index.js";
import { DEFAULT_POD_POOL, parsePool, pickAddress, poolExhausted } from "../../machines/network/pool.js";
import { emptyImages, foldImages } from "../../machines/projections/images.js";
import { emptyOperations, foldOperations } from "../../machines/projections/operations.js";
import { emptyPods, foldPods } from "../../machines/projections/pods.js";
import { ProgressBoard } from "../../machines/progress.js";
import { TrustStore } from "../../workers/images/trust/index.js";

export interface InMemoryApi {
  app: ReturnType<typeof build>;
  engine: Engine;
  log: EventLog;
  deps: ApiDeps;
}

/** A pod API that leases from the default pool and has no host behind it. */
export function podApiWithoutHost(dir: string): PodApi {
  const pool = parsePool(DEFAULT_POD_POOL);
  return {
    pickAddress: (taken) => pickAddress(pool, taken) ?? (() => { throw poolExhausted(pool); })(),
    logPath: (uuid, app) => `${dir}/pods/${uuid}/logs/${app}.log`,
    execCommand: async () => ({ cmd: "/bin/false", args: [], env: {} }),
  };
}

/** Effects (files). Opens a log under `dir` and builds the API over it. */
export async function buildInMemoryApi(dir: string, opts: { enqueue: (jobs: JobSpec[]) => Promise<void>; aciPath?: (id: string) => string; uploadDir?: string; version?: string; podApi?: PodApi }): Promise<InMemoryApi> {
  const log = await EventLog.open(`${dir}/log/events.jsonl`);
  const images = emptyImages();
  const operations = emptyOperations();
  const pods = emptyPods();
  const engine = new Engine({
    log,
    enqueue: opts.enqueue,
    onRecord: (rec) => {
      foldImages(images, rec);
      foldOperations(operations, rec);
      foldPods(pods, rec);
    },
  });
  const deps: ApiDeps = {
    trust: trustApi(new TrustStore(`${dir}/trust`), `${dir}/tmp`, undefined),
    engine,
    images: () => images,
    operations: () => operations,
    pods: () => pods,
    podApi: opts.podApi ?? podApiWithoutHost(dir),
    progress: new ProgressBoard(),
    logPath: log.path,
    aciPath: opts.aciPath ?? ((id) => `${dir}/${id}.aci`),
    uploadDir: opts.uploadDir ?? `${dir}/uploads`,
    newId: randomUUID,
    version: opts.version ?? "test",
  };
  return { app: build(deps), engine, log, deps };
}
