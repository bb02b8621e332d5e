// Importing an ACI into the ZFS store. Effects (ZFS, files).
//
// Order of work, chosen so that a crash at any line leaves only things recovery knows to remove:
//   1. read the manifest alone (pass 1) and check it, and that every dependency is in the store;
//   2. build a staging dataset (`images/tmp-<uuid>`): a clone of the first dependency's @seal, the other
//      dependencies laid over it in the spec's order, then this image's rootfs, read in one pass that also
//      copies the original ACI aside and hashes the tar into the image ID; then the pathWhitelist;
//   3. move the files to `<root>/images/<id>/`, rename the dataset to `images/<id>`, mount it there;
//   4. snapshot `@seal` (the commit point), set readonly=on.
// On any error the staging dataset and directory are removed before the error goes up.
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat, writeFile } from "node:fs/promises";
import { Transform, type TransformCallback } from "node:stream";
import { parseImageManifestBytes, type ImageManifest } from "../../machines/appc/index.js";
import { fail } from "../../machines/errors.js";
import type { ImageImported } from "../../machines/events.js";
import { matchDependency } from "../../machines/image-ref.js";
import type { ImageView } from "../../machines/projections/images.js";
import type { Storage } from "../host/storage.js";
import { applyPathWhitelist, extractAci, overlayTree, readAciManifest } from "./aci/index.js";
import { imageDataset, imageDir, imageRootfs, imageSeal, SEAL, stagingDataset, stagingDir, type StoreLayout } from "./layout.js";

export interface ImportDeps {
  storage: Storage;
  layout: StoreLayout;
  /** The images in the store now (dependencies are looked up here). */
  images: () => Iterable<ImageView>;
}

export interface ImportRequest {
  uuid: string;
  sourcePath: string;
  /** The image must hash to this ID (a dependency pinned by imageID), else nothing is kept. */
  expectedId?: string;
  /** Who signed it, already verified by the caller; null for an image let in unverified. */
  signature?: ImageImported["signature"];
  origin?: string;
  onProgress?: (bytes: number, total: number) => void;
  signal?: AbortSignal;
}

export type ImportOutcome = { kind: "imported"; image: ImageImported } | { kind: "duplicate"; id: string };

/** Effects. Imports the ACI at `sourcePath`; leaves nothing behind when it fails. */
export async function importImage(deps: ImportDeps, req: ImportRequest): Promise<ImportOutcome> {
  const { layout, storage } = deps;
  const size = await sourceSize(req.sourcePath);
  const { manifestBytes: firstManifest } = await readAciManifest(req.sourcePath);
  const manifest = parseImageManifestBytes(firstManifest);
  const layers = resolveDependencies(deps, manifest);

  const staging = stagingDir(layout, req.uuid);
  const dataset = stagingDataset(layout, req.uuid);
  await discardStaging(deps, req.uuid);
  try {
    await mkdir(`${staging}/rootfs`, { recursive: true, mode: 0o700 });
    const [first, ...rest] = layers;
    const mountpoint = `${staging}/rootfs`;
    if (first) await storage.clone(imageSeal(layout, first.id), dataset, { mountpoint });
    else await storage.create(dataset, { mountpoint });
    for (const layer of rest) await overlayTree(imageRootfs(layout, layer.id), mountpoint);

    const aci = await open(`${staging}/aci`, "wx", 0o600);
    let result;
    try {
      const tee = new CopyAside(aci);
      const source = createReadStream(req.sourcePath, { highWaterMark: 1 << 20 }).pipe(tee);
      result = await extractAci({
        source,
        target: mountpoint,
        onProgress: (bytes) => req.onProgress?.(bytes, size),
        ...(req.signal ? { signal: req.signal } : {}),
      });
      await tee.done();
      await copyRest(req.sourcePath, aci, tee.written, size);
      await aci.sync();
    } finally {
      await aci.close();
    }
    if (!result.manifestBytes.equals(firstManifest)) {
      throw fail("invalid", "JP_ERR_ACI_MANIFEST_CHANGED", "the archive's manifest changed between two reads of it", {
        hint: "do not modify the file while it is being imported",
      });
    }
    if (manifest.pathWhitelist && manifest.pathWhitelist.length > 0) await applyPathWhitelist(mountpoint, manifest.pathWhitelist);

    const id = result.imageId;
    if (req.expectedId !== undefined && req.expectedId !== id) {
      throw fail("invalid", "JP_ERR_IMAGE_ID_MISMATCH", `${manifest.name} hashes to ${id.slice(0, 19)}..., but ${req.expectedId.slice(0, 19)}... was asked for`, {
        hint: "the image at that name changed; ask for the new ID, or fetch by name and labels",
      });
    }
    if ([...deps.images()].some((v) => v.id === id)) {
      await discardStaging(deps, req.uuid);
      return { kind: "duplicate", id };
    }
    // Same content by hash, unknown to the log (left by a crash, or by a lost log): ours replaces it.
    await storage.destroy(imageDataset(layout, id), { recursive: true });
    const image: ImageImported = {
      id,
      name: manifest.name,
      labels: manifest.labels ?? [],
      manifest: JSON.parse(result.manifestBytes.toString("utf8")),
      dependencies: layers.map((l) => l.id),
      compression: result.compression,
      aciBytes: size,
      tarBytes: result.uncompressedBytes,
      signature: req.signature ?? null,
      origin: req.origin ?? req.sourcePath,
    };
    await seal(deps, req.uuid, image, result.manifestBytes);
    return { kind: "imported", image };
  } catch (err) {
    await discardStaging(deps, req.uuid).catch(() => {});
    throw err;
  }
}

/** Effects. Removes what an unfinished import `uuid` left: its staging dataset and directory. Idempotent. */
export async function discardStaging(deps: Pick<ImportDeps, "storage" | "layout">, uuid: string): Promise<void> {
  await deps.storage.destroy(stagingDataset(deps.layout, uuid), { recursive: true });
  await rm(stagingDir(deps.layout, uuid), { recursive: true, force: true });
}

async function seal(deps: ImportDeps, uuid: string, image: ImageImported, manifestBytes: Buffer): Promise<void> {
  const { layout, storage } = deps;
  const dir = imageDir(layout, image.id);
  await rm(dir, { recursive: true, force: true });
  await mkdir(`${dir}/rootfs`, { recursive: true, mode: 0o755 });
  await writeFile(`${dir}/manifest`, manifestBytes, { mode: 0o644 });
  await writeFile(`${dir}/info.json`, JSON.stringify({ uuid, ...image, manifest: undefined }, null, 2) + "\n", { mode: 0o644 });
  await rename(`${stagingDir(layout, uuid)}/aci`, `${dir}/aci`);
  const dataset = imageDataset(layout, image.id);
  await storage.rename(stagingDataset(layout, uuid), dataset);
  await storage.set(dataset, { mountpoint: imageRootfs(layout, image.id), "jetpack:name": image.name });
  await storage.snapshot(dataset, SEAL);
  await storage.set(dataset, { readonly: "on" });
  await rm(stagingDir(layout, uuid), { recursive: true, force: true });
}

function resolveDependencies(deps: ImportDeps, manifest: ImageManifest): ImageView[] {
  return (manifest.dependencies ?? []).map((dep) => {
    const found = matchDependency(deps.images(), dep);
    const wanted = [dep.imageName, ...(dep.labels ?? []).map((l) => `${l.name}=${l.value}`)].join(",");
    if (found.length === 0) {
      throw fail("not_found", "JP_ERR_IMAGE_DEPENDENCY_MISSING", `dependency ${wanted}${dep.imageID ? ` (${dep.imageID.slice(0, 19)}...)` : ""} of ${manifest.name} is not in the store`, {
        hint: `import ${dep.imageName} first, then import this image again`,
        details: { dependency: dep },
      });
    }
    // Several versions may match a wildcard dependency: the newest import wins, as a fetch of "latest" would.
    return found.sort((a, b) => b.importedAt.localeCompare(a.importedAt))[0]!;
  });
}

/** The extractor may stop reading at the tar's end: whatever follows still belongs to the original file. */
async function copyRest(path: string, to: import("node:fs/promises").FileHandle, from: number, size: number): Promise<void> {
  if (from >= size) return;
  for await (const chunk of createReadStream(path, { start: from, highWaterMark: 1 << 20 })) await to.write(chunk as Buffer);
}

async function sourceSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw fail("invalid", "JP_ERR_IMAGE_SOURCE", `${path} is not a regular file`);
    return s.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw fail("not_found", "JP_ERR_IMAGE_SOURCE", `${path}: no such file`, { hint: "check the path; the daemon reads it on its own host" });
    }
    throw err;
  }
}

/** Passes the ACI bytes through while writing a copy aside (the original, kept for export). */
class CopyAside extends Transform {
  private writing: Promise<unknown> = Promise.resolve();
  written = 0;
  constructor(private readonly file: import("node:fs/promises").FileHandle) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.written += chunk.length;
    this.writing = this.file.write(chunk).then(
      () => cb(null, chunk),
      (err: Error) => cb(err),
    );
  }
  done(): Promise<unknown> {
    return this.writing;
  }
}
