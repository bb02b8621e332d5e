// Turns what the log knows about a pod into the backend-neutral run spec: the reified manifest, its
// images' manifests (from the images projection), the leased address and the metadata URL. Effects: reads
// the pod's secrets file (the metadata token lives there, not in the log).
import { readFile } from "node:fs/promises";
import { parseImageManifest, parsePodManifest, type ImageManifest, type PodManifest } from "../../machines/appc/index.js";
import { fail } from "../../machines/errors.js";
import { planPod } from "../../machines/pod/plan.js";
import type { PodRunSpec } from "../../machines/pod/run-spec.js";
import type { ImageView } from "../../machines/projections/images.js";
import type { StoreLayout } from "../images/layout.js";
import { podDir, podSecretsPath } from "./layout.js";

export interface PodSecrets {
  /** At least 128 random bits: the metadata service knows a pod by it (AC_METADATA_URL carries it). */
  token: string;
  /** The pod's HMAC-SHA512 key for the metadata service's sign and verify. */
  hmacKey: string;
}

/** Effects. Reads the pod's secrets, written at prepare (root-only). */
export async function readPodSecrets(layout: StoreLayout, uuid: string): Promise<PodSecrets> {
  const text = await readFile(podSecretsPath(layout, uuid), "utf8").catch(() => {
    throw fail("not_found", "JP_ERR_POD_SECRETS_MISSING", `pod ${uuid} has no metadata secrets (${podSecretsPath(layout, uuid)})`, {
      hint: "destroy the pod and create it again",
    });
  });
  return JSON.parse(text) as PodSecrets;
}

/** Pure. The pod's AC_METADATA_URL: the service on the pod network's gateway, the pod's token as the path. */
export function metadataUrl(base: string, token: string): string {
  return `${base.replace(/\/+$/, "")}/${token}`;
}

export interface RunSpecInput {
  layout: StoreLayout;
  uuid: string;
  manifest: unknown;
  ip: string | null;
  images: Iterable<ImageView>;
  metadataBase: string;
  token: string;
  cgroups: boolean;
}

/** Pure. The run spec of a pod; fails not_found when one of its images has left the store. */
export function runSpecOf(input: RunSpecInput): { pod: PodManifest; spec: PodRunSpec } {
  const pod = parsePodManifest(input.manifest);
  const byId = new Map<string, ImageManifest>();
  const views = [...input.images];
  for (const app of pod.apps) {
    const id = app.image.id;
    const view = id === undefined ? undefined : views.find((v) => v.id === id);
    if (id !== undefined && view !== undefined) byId.set(id, parseImageManifest(view.manifest));
  }
  const spec = planPod(pod, {
    uuid: input.uuid,
    images: byId,
    paths: { podDir: podDir(input.layout, input.uuid) },
    ip: input.ip,
    metadataUrl: metadataUrl(input.metadataBase, input.token),
    hostIsolators: { cgroups: input.cgroups },
  });
  return { pod, spec };
}
