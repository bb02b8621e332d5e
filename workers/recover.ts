// Boot-time recovery: the log says what was meant, the host says what exists; make them agree, then
// queue again the work that was left unfinished. Effects (ZFS, files, the engine).
//
// Runs after the log has been replayed into the engine and before any worker starts, so nothing else is
// touching the store while it looks.
import { readFile, readdir, rm } from "node:fs/promises";
import type { Engine, StreamEntry } from "../machines/engine.js";
import { SYSTEM_ACTOR } from "../machines/events.js";
import type { ImageContext } from "../machines/image.machine.js";
import type { ImagesProjection } from "../machines/projections/images.js";
import type { Storage } from "./host/storage.js";
import { discardStaging } from "./images/import.js";
import { imageDataset, imageDir, imageIdOf, imagesDataset, podsDataset, SEAL, stagingUuidOf, type StoreLayout } from "./images/layout.js";

export interface RecoverDeps {
  engine: Engine;
  storage: Storage;
  layout: StoreLayout;
  images: () => ImagesProjection;
  say: (line: string) => void;
}

export interface RecoveryReport {
  createdDatasets: string[];
  removedStaging: string[];
  removedUnsealed: string[];
  restartedImports: string[];
  requeuedStreams: string[];
  missingImages: string[];
}

/** Effects. Creates the store's datasets, repairing missing children of an existing root (Jetpack issue #14). */
export async function initStore(storage: Storage, layout: StoreLayout): Promise<string[]> {
  const created: string[] = [];
  for (const name of [layout.zfsRoot, imagesDataset(layout), podsDataset(layout)]) {
    if (await storage.exists(name)) continue;
    // Containers only: every image and pod dataset gets its own explicit mountpoint under the root dir.
    await storage.create(name, { parents: true, mountpoint: "none" });
    created.push(name);
  }
  return created;
}

/** Effects. Reconciles the host with the log and re-queues unfinished work; returns what it did. */
export async function recover(deps: RecoverDeps): Promise<RecoveryReport> {
  const { engine, storage, layout } = deps;
  const report: RecoveryReport = {
    createdDatasets: await initStore(storage, layout),
    removedStaging: [],
    removedUnsealed: [],
    restartedImports: [],
    requeuedStreams: [],
    missingImages: [],
  };
  const imageStreams = engine.streamsOf("image");
  const unfinished = new Set(imageStreams.filter((s) => isImporting(s)).map((s) => key(s)));

  // 1. What an interrupted import left: staging datasets and dirs, and finalized-but-unsealed datasets.
  const datasets = await storage.list(imagesDataset(layout), { type: "all", recursive: true });
  const sealed = new Set(datasets.filter((d) => d.type === "snapshot" && d.name.endsWith(`@${SEAL}`)).map((d) => d.name.slice(0, -SEAL.length - 1)));
  for (const d of datasets.filter((x) => x.type === "filesystem")) {
    const uuid = stagingUuidOf(layout, d.name);
    if (uuid !== undefined) {
      await discardStaging(deps, uuid);
      report.removedStaging.push(d.name);
      continue;
    }
    const id = imageIdOf(layout, d.name);
    if (id !== undefined && !sealed.has(d.name)) {
      await storage.destroy(d.name, { recursive: true });
      await rm(imageDir(layout, id), { recursive: true, force: true });
      report.removedUnsealed.push(d.name);
    }
  }
  // Partial downloads are kept for fetches that will go on (they resume with Range); the rest go.
  for (const dir of await listDir(`${layout.root}/downloads`)) {
    if (!unfinished.has(dir)) await rm(`${layout.root}/downloads/${dir}`, { recursive: true, force: true });
  }
  for (const dir of await listDir(`${layout.root}/tmp`)) {
    if (dir.startsWith("import-")) {
      await rm(`${layout.root}/tmp/${dir}`, { recursive: true, force: true });
      report.removedStaging.push(`${layout.root}/tmp/${dir}`);
    }
  }

  // 2. A sealed image the log does not know: an import that sealed and died before its event was written.
  //    Its import restarts below, so its dataset goes; a sealed image no unfinished import claims is left
  //    alone and reported (never destroy what the log cannot explain). Images the log says are ready but
  //    whose dataset is gone are recorded as missing.
  const known = deps.images();
  for (const d of datasets.filter((x) => x.type === "filesystem")) {
    const id = imageIdOf(layout, d.name);
    if (id === undefined || !sealed.has(d.name) || known.has(id)) continue;
    const uuid = await readInfoUuid(imageDir(layout, id));
    if (uuid !== undefined && unfinished.has(uuid)) {
      await storage.destroy(d.name, { recursive: true });
      await rm(imageDir(layout, id), { recursive: true, force: true });
      sealed.delete(d.name);
      report.removedUnsealed.push(d.name);
    } else {
      deps.say(`warning: ${d.name} is a sealed image the log does not know; left in place`);
    }
  }
  for (const [id, view] of known) {
    if (!sealed.has(imageDataset(layout, id))) {
      await engine.dispatch({ stream: `image/${view.uuid}`, type: "image.found-missing", actor: SYSTEM_ACTOR, data: { reason: `dataset ${imageDataset(layout, id)} is gone from the host` } });
      report.missingImages.push(id);
    } else {
      // The seal and readonly are two steps, so a crash can fall between them. Set it only where it is
      // missing: on zfs-fuse setting it remounts the dataset, which every boot should not do to every image.
      const props = await storage.get(imageDataset(layout, id), ["readonly"]);
      if (props?.readonly !== "on") await storage.set(imageDataset(layout, id), { readonly: "on" });
    }
  }
  for (const dir of await listDir(`${layout.root}/images`)) {
    if (/^sha512-[0-9a-f]{128}$/.test(dir) && !sealed.has(imageDataset(layout, dir))) await rm(imageDir(layout, dir), { recursive: true, force: true });
  }

  // 3. Unfinished work: imports whose worker died restart (or fail, after too many restarts); streams still
  //    waiting for a job get it again (same job id: a no-op if Redis still has it).
  for (const s of imageStreams) {
    const value = s.state.value;
    if (value === "importing") {
      await engine.dispatch({ stream: s.stream, type: "image.import.restarted", actor: SYSTEM_ACTOR, ...opOf(s), data: { reason: "the daemon stopped while the import was running" } });
      report.restartedImports.push(s.stream);
    } else if ((value === "requested" || value === "destroying") && s.jobs.length > 0) {
      report.requeuedStreams.push(s.stream);
    }
  }
  return report;
}

/** Effects. The jobs every stream is still waiting for, for the caller to enqueue once the queues are up. */
export function pendingJobs(engine: Engine): StreamEntry["jobs"] {
  return engine
    .streamsOf("image")
    .filter((s) => s.state.value === "requested" || s.state.value === "destroying")
    .flatMap((s) => s.jobs);
}

function isImporting(s: StreamEntry): boolean {
  return s.state.value === "requested" || s.state.value === "importing";
}

function key(s: StreamEntry): string {
  return (s.state.context as unknown as ImageContext).uuid;
}

function opOf(s: StreamEntry): { op?: string } {
  const op = (s.jobs[0]?.data as { op?: string } | undefined)?.op;
  return op ? { op } : {};
}

async function readInfoUuid(dir: string): Promise<string | undefined> {
  try {
    const info = JSON.parse(await readFile(`${dir}/info.json`, "utf8")) as { uuid?: unknown };
    return typeof info.uuid === "string" ? info.uuid : undefined;
  } catch {
    return undefined;
  }
}

async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch {
    return [];
  }
}
