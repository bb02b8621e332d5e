// The images projection: what the store holds, folded from the log. Pure.
import type { EventData } from "../events.js";
import type { LogRecord } from "../log/index.js";

export interface ImageView {
  id: string;
  /** Key of the image's stream (`image/<uuid>`). */
  uuid: string;
  name: string;
  labels: Array<{ name: string; value: string }>;
  manifest: unknown;
  dependencies: string[];
  compression: string;
  aciBytes: number;
  tarBytes: number;
  importedAt: string;
  importedBy: string;
  state: "ready" | "destroying";
}

export type ImagesProjection = Map<string, ImageView>;

/** Pure. An empty projection. */
export function emptyImages(): ImagesProjection {
  return new Map();
}

/** Pure (mutates only the projection it is given). Applies one record. */
export function foldImages(images: ImagesProjection, rec: LogRecord): ImagesProjection {
  if (!rec.stream.startsWith("image/")) return images;
  const uuid = rec.stream.slice("image/".length);
  if (rec.type === "image.imported") {
    const d = rec.data as EventData<"image.imported">;
    images.set(d.id, {
      id: d.id,
      uuid,
      name: d.name,
      labels: d.labels,
      manifest: d.manifest,
      dependencies: d.dependencies,
      compression: d.compression,
      aciBytes: d.aciBytes,
      tarBytes: d.tarBytes,
      importedAt: rec.time,
      importedBy: rec.actor,
      state: "ready",
    });
    return images;
  }
  const view = [...images.values()].find((v) => v.uuid === uuid);
  if (!view) return images;
  if (rec.type === "image.destroyed" || rec.type === "image.found-missing") images.delete(view.id);
  else if (rec.type === "image.destroy.requested") view.state = "destroying";
  else if (rec.type === "image.destroy.failed") view.state = "ready";
  return images;
}

/** Pure. The images that list `id` among their dependencies. */
export function dependentsOf(images: ImagesProjection, id: string): ImageView[] {
  return [...images.values()].filter((v) => v.dependencies.includes(id));
}
