// What the metadata service answers for one pod, rendered once into the exact bytes sent (appc spec §6).
// Pure, apart from the cache at the bottom, which only remembers renderings.
//
// A strict client compares what it fetches against the served pod manifest: `/pod/annotations` must
// equal the manifest's `annotations` under Go's reflect.DeepEqual (null and [] differ), `/image/id` the
// manifest's `apps[].image.id` byte for byte, and each app's annotations the merge it computes itself
// from the served image manifest. So every answer is derived from the one served manifest, here.
import type { ImagesProjection } from "../../machines/projections/images.js";
import type { PodView } from "../../machines/projections/pods.js";

export type Annotations = Array<{ name: string; value: string }>;

export interface AppDocuments {
  /** The image id exactly as the served pod manifest spells it. */
  imageId: string;
  /** The image manifest (JSON text), or undefined when the image has left the store. */
  imageManifest: string | undefined;
  /** The merged app annotations (JSON text), or undefined when the image manifest is unknown. */
  annotations: string | undefined;
}

export interface PodDocuments {
  uuid: string;
  /** The reified pod manifest as served (JSON text), always with an `annotations` array. */
  manifest: string;
  /** The served manifest's `annotations` (JSON text): the identical value. */
  annotations: string;
  apps: Map<string, AppDocuments>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function annotationsOf(value: unknown): Annotations {
  if (!Array.isArray(value)) return [];
  return value.filter((a): a is { name: string; value: string } => isRecord(a) && typeof a.name === "string").map((a) => ({ name: a.name, value: typeof a.value === "string" ? a.value : "" }));
}

/**
 * Pure. An app's annotations as the spec merges them: the image's in their order; a pod-app annotation
 * replaces the image's entry of the same name where it stands, otherwise it is appended in pod order.
 */
export function mergeAppAnnotations(image: Annotations, podApp: Annotations): Annotations {
  const merged = image.map((a) => ({ name: a.name, value: a.value }));
  for (const a of podApp) {
    const at = merged.findIndex((m) => m.name === a.name);
    if (at >= 0) merged[at] = { name: a.name, value: a.value };
    else merged.push({ name: a.name, value: a.value });
  }
  return merged;
}

/**
 * Pure. Renders everything served about `pod`. A manifest without `annotations` (or with null) is served
 * with `[]`, and `/pod/annotations` answers that same `[]`, so the two always agree.
 */
export function renderPodDocuments(pod: PodView, images: ImagesProjection): PodDocuments {
  const source = isRecord(pod.manifest) ? pod.manifest : {};
  const served: Record<string, unknown> = { ...source, annotations: Array.isArray(source.annotations) ? source.annotations : [] };
  const apps = new Map<string, AppDocuments>();
  for (const app of Array.isArray(source.apps) ? source.apps : []) {
    if (!isRecord(app) || typeof app.name !== "string") continue;
    const image = isRecord(app.image) ? app.image : {};
    const imageId = typeof image.id === "string" ? image.id : "";
    const view = images.get(imageId);
    const imageManifest = view === undefined ? undefined : view.manifest;
    const imageAnnotations = isRecord(imageManifest) ? annotationsOf(imageManifest.annotations) : [];
    apps.set(app.name, {
      imageId,
      imageManifest: view === undefined ? undefined : JSON.stringify(imageManifest),
      annotations: view === undefined ? undefined : JSON.stringify(mergeAppAnnotations(imageAnnotations, annotationsOf(app.annotations))),
    });
  }
  return { uuid: pod.uuid, manifest: JSON.stringify(served), annotations: JSON.stringify(served.annotations), apps };
}

/**
 * Remembers each pod's rendering while its manifest stays the same object (a pod's manifest is fixed at
 * create), so a request costs map lookups, not JSON work. A rendering that misses an image is not kept:
 * the next request tries the store again.
 */
export class PodDocumentCache {
  private readonly byUuid = new Map<string, { manifest: unknown; docs: PodDocuments }>();

  of(pod: PodView, images: ImagesProjection): PodDocuments {
    const hit = this.byUuid.get(pod.uuid);
    if (hit !== undefined && hit.manifest === pod.manifest) return hit.docs;
    const docs = renderPodDocuments(pod, images);
    if ([...docs.apps.values()].every((a) => a.imageManifest !== undefined)) this.byUuid.set(pod.uuid, { manifest: pod.manifest, docs });
    return docs;
  }

  forget(uuid: string): void {
    this.byUuid.delete(uuid);
  }
}
