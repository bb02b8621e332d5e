// Reification (appc spec §4): the pod template a user gives (a manifest from `-f`, apps named on the
// command line, or both) becomes the manifest the pod runs from: each app's image pinned by ID, name and
// labels; each mount point of each app fulfilled by a mount; each mounted volume declared. Pure: the
// store is handed in as a list of image views, and nothing here looks at the host.
import { z } from "zod";
import {
  acNameError,
  AnnotationsSchema,
  isKnownIsolator,
  parseImageManifest,
  PodManifestSchema,
  VolumeSchema,
  type Annotation,
  type App,
  type ImageManifest,
  type Label,
  type MountPoint,
  type PodManifest,
  type RuntimeApp,
  type Volume,
} from "../appc/index.js";
import { fail, JetpackError } from "../errors.js";
import { labelsMatch, matchDependency, resolveImageRef } from "../image-ref.js";
import type { ImageView } from "../projections/images.js";
import { parseOrFail } from "../validate.js";
import { hostnameError, mountPointTarget, normalizeTarget } from "./plan.js";

/** The appc version Jetpack writes: a template's own (the spec's example says 0.3.0) is not kept. */
export const REIFIED_AC_VERSION = "0.8.11";

/** `-m VOLUME[:PATH]`: PATH is an absolute path in the app, or the name of one of its image's mount points. */
export interface PodTemplateMount {
  volume: string;
  /** Absent or "": the image's mount point named like the volume (Jetpack's `-m VOL`). */
  path?: string;
}

/** One `IMAGE [--app-name N] [-a K=V] [-m VOL:/path]` group of `jetpack pod create`. */
export interface PodTemplateApp {
  /** IMAGE: a full image ID, a unique prefix of one, or `name[:version][,label=value...]`. */
  image: string;
  /** Default: the image name's last path segment made an AC Name, then `-2`, `-3` while taken. */
  name?: string;
  annotations?: Annotation[];
  mounts?: PodTemplateMount[];
}

/** What `jetpack pod create` gathers: an optional base manifest (`-f`), then apps, volumes, annotations. */
export interface PodTemplate {
  /** From `-f`, parsed with parsePodManifest; its apps come first. */
  manifest?: PodManifest;
  apps: PodTemplateApp[];
  /** `-v` volumes, added to the base manifest's. */
  volumes?: Volume[];
  /** `-a` pod annotations; one named like an annotation of the base manifest replaces it. */
  annotations?: Annotation[];
}

export interface ReifyContext {
  images: Iterable<ImageView>;
}

export const PodTemplateSchema = z.object({
  manifest: PodManifestSchema.optional(),
  apps: z.array(
    z.object({
      image: z.string().min(1, "image must not be empty"),
      name: z.string().optional(),
      annotations: AnnotationsSchema.optional(),
      mounts: z.array(z.object({ volume: z.string(), path: z.string().optional() })).optional(),
    }),
  ),
  volumes: z.array(VolumeSchema).optional(),
  annotations: AnnotationsSchema.optional(),
});

/** Pure. Checks a decoded JSON value (an API request body) as a pod template; invalid JP_ERR_POD_TEMPLATE names the field. */
export function parsePodTemplate(json: unknown): PodTemplate {
  return parseOrFail(PodTemplateSchema, json, "JP_ERR_POD_TEMPLATE", "pod template");
}

/** Pure. The app name an image gets by default: the last segment of its name, made an AC Name. */
export function defaultAppName(imageName: string): string {
  const base = imageName.slice(imageName.lastIndexOf("/") + 1).toLowerCase();
  const name = base.replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-|-$/g, "");
  return name === "" ? "app" : name;
}

/** One app on its way to the manifest: its image found, its name perhaps not yet chosen. */
interface PendingApp {
  /** How messages call it before it has a name: `app "web"` or `app 2 (example.com/web)`. */
  label: string;
  name: string | undefined;
  view: ImageView;
  image: ImageManifest;
  override: App | undefined;
  readOnlyRootFS: boolean;
  annotations: Annotation[];
  mounts: PodTemplateMount[];
}

function withContext(err: unknown, label: string): never {
  if (err instanceof JetpackError) throw fail(err.kind, err.code, `${label}: ${err.message}`, { hint: err.hint, details: err.details, cause: err });
  throw err;
}

function pending(view: ImageView, label: string, rest: Omit<PendingApp, "label" | "view" | "image">): PendingApp {
  return { label, view, image: parseImageManifest(view.manifest), ...rest };
}

/** A `-f` app: pinned by its image ID, or found by name and labels (a label not asked for matches any). */
function fromManifestApp(app: RuntimeApp, store: ImageView[]): PendingApp {
  const label = `app "${app.name}"`;
  const { id, name, labels } = app.image;
  let view: ImageView | undefined;
  if (id !== undefined) {
    view = store.find((v) => v.id === id);
    if (view === undefined) throw fail("not_found", "JP_ERR_IMAGE_NOT_FOUND", `${label}: image ${id} is not in the store`, { hint: "fetch or import the image first" });
    if ((name !== undefined && name !== view.name) || !labelsMatch(labels, view.labels)) {
      throw fail("invalid", "JP_ERR_POD_APP_IMAGE", `${label}: image ${id} is ${describeImage(view.name, view.labels)}, not ${describeImage(name ?? view.name, labels)}`, {
        hint: "give the image's ID alone, or its name and labels alone",
      });
    }
  } else if (name !== undefined) {
    const found = matchDependency(store, { imageName: name, labels });
    if (found.length === 0) throw fail("not_found", "JP_ERR_IMAGE_NOT_FOUND", `${label}: no image ${describeImage(name, labels)} in the store`, { hint: "fetch or import the image first" });
    if (found.length > 1) {
      throw fail("conflict", "JP_ERR_IMAGE_AMBIGUOUS", `${label}: ${describeImage(name, labels)} matches ${found.length} images: ${found.map((v) => v.id.slice(0, 19)).join(", ")}`, {
        hint: "pin the image by its id, or add labels (version, os, arch) to its entry",
        details: { candidates: found.map((v) => v.id) },
      });
    }
    view = found[0];
  }
  if (view === undefined) throw fail("invalid", "JP_ERR_POD_APP_IMAGE", `${label}: image names neither an id nor a name`, { hint: 'give "image": {"id": ...} or {"name": ..., "labels": [...]}' });
  const mounts = app.mounts.map((m, i) => {
    if (m.appVolume !== undefined) {
      throw fail("invalid", "JP_ERR_POD_APP_VOLUME", `${label}: mounts[${i}] carries its own appVolume, which jetpack does not support`, { hint: `declare volume "${m.volume}" in the pod's volumes instead` });
    }
    return { volume: m.volume, path: m.path };
  });
  return pending(view, label, { name: app.name, override: app.app, readOnlyRootFS: app.readOnlyRootFS, annotations: app.annotations, mounts });
}

function fromTemplateApp(app: PodTemplateApp, position: number, store: ImageView[]): PendingApp {
  const label = app.name === undefined ? `app ${position + 1} (${app.image})` : `app "${app.name}"`;
  let view: ImageView;
  try {
    view = resolveImageRef(store, app.image);
  } catch (err) {
    withContext(err, label);
  }
  return pending(view, label, { name: app.name, override: undefined, readOnlyRootFS: false, annotations: app.annotations ?? [], mounts: app.mounts ?? [] });
}

function describeImage(name: string, labels: readonly Label[]): string {
  return [name, ...labels.map((l) => `${l.name}=${l.value}`)].join(",");
}

/** Given names must be valid and unique; the others are chosen around them, `-2`, `-3`, ... on collision. */
function assignNames(apps: readonly PendingApp[]): string[] {
  const given = new Set<string>();
  for (const app of apps) {
    if (app.name === undefined) continue;
    const error = acNameError(app.name);
    if (error !== undefined) throw fail("invalid", "JP_ERR_POD_APP_NAME", `${app.label}: invalid app name: ${error}`, { hint: "an app name is lower-case letters, digits and inner hyphens" });
    if (given.has(app.name)) throw fail("invalid", "JP_ERR_POD_APP_NAME_DUPLICATE", `two apps are named "${app.name}"`, { hint: "give each app its own --app-name" });
    given.add(app.name);
  }
  const taken = new Set(given);
  return apps.map((app) => {
    if (app.name !== undefined) return app.name;
    const base = defaultAppName(app.view.name);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    taken.add(name);
    return name;
  });
}

function checkVolumes(volumes: readonly Volume[]): Map<string, Volume> {
  const byName = new Map<string, Volume>();
  for (const volume of volumes) {
    const what = `volume "${volume.name}"`;
    const nameError = acNameError(volume.name);
    if (nameError !== undefined) throw fail("invalid", "JP_ERR_POD_VOLUME_NAME", `${what}: invalid name: ${nameError}`, { hint: "a volume name is lower-case letters, digits and inner hyphens" });
    if (byName.has(volume.name)) throw fail("invalid", "JP_ERR_POD_VOLUME_DUPLICATE", `two volumes are named "${volume.name}"`, { hint: "declare each volume once" });
    if (volume.kind === "host") {
      if (!volume.source.startsWith("/") || volume.source.split("/").includes("..")) {
        throw fail("invalid", "JP_ERR_POD_VOLUME_SOURCE", `${what}: host source ${volume.source} must be an absolute path without ".."`, { hint: "give the host directory's absolute path" });
      }
    } else {
      if (!/^0?[0-7]{3,4}$/.test(volume.mode)) throw fail("invalid", "JP_ERR_POD_VOLUME_MODE", `${what}: mode "${volume.mode}" is not an octal file mode`, { hint: 'write it as "0755"' });
      for (const [field, id] of [["uid", volume.uid], ["gid", volume.gid]] as const) {
        if (!Number.isInteger(id) || id < 0 || id > 0xfffffffe) throw fail("invalid", "JP_ERR_POD_VOLUME_OWNER", `${what}: ${field} ${id} is not a user or group number`, { hint: "give a number from 0 to 4294967294" });
      }
    }
    byName.set(volume.name, volume);
  }
  return byName;
}

/** The mounts of one app: each resolved to an absolute target, then one per mount point left without. */
function reifyMounts(app: PendingApp, name: string): Array<{ volume: string; path: string }> {
  const what = `app "${name}"`;
  const mountPoints = (app.override ?? app.image.app)?.mountPoints ?? [];
  const targetOf = (mp: MountPoint): string => {
    const target = mountPointTarget(mp);
    if (target === undefined) throw fail("invalid", "JP_ERR_POD_MOUNT_POINT", `${what}: mount point "${mp.name}" of image ${app.view.name} has no path`, { hint: "give the mount an absolute path instead" });
    return target;
  };
  const mounts = app.mounts.map((m, i) => {
    const path = m.path === undefined || m.path === "" ? m.volume : m.path;
    if (path.startsWith("/")) {
      const target = normalizeTarget(path);
      if (target === "/") throw fail("invalid", "JP_ERR_POD_MOUNT_PATH", `${what}: mounts[${i}] (volume "${m.volume}") would cover the whole rootfs`, { hint: "mount the volume on a directory below /" });
      return { volume: m.volume, path: target };
    }
    const mountPoint = mountPoints.find((mp) => mp.name === path);
    if (mountPoint === undefined) {
      const known = mountPoints.length === 0 ? "it has none" : `it has ${mountPoints.map((mp) => mp.name).join(", ")}`;
      throw fail("invalid", "JP_ERR_POD_MOUNT_PATH", `${what}: mounts[${i}] (volume "${m.volume}") goes to "${path}", which is neither an absolute path nor a mount point of image ${app.view.name} (${known})`, {
        hint: "give an absolute path, or the name of one of the image's mount points",
      });
    }
    return { volume: m.volume, path: targetOf(mountPoint) };
  });
  for (const mp of mountPoints) {
    const target = targetOf(mp);
    if (!mounts.some((m) => m.path === target)) mounts.push({ volume: mp.name, path: target });
  }
  mounts.forEach((a, i) => {
    for (const b of mounts.slice(i + 1)) {
      const [outer, inner] = a.path.length <= b.path.length ? [a, b] : [b, a];
      if (inner.path === outer.path || inner.path.startsWith(`${outer.path}/`)) {
        throw fail("invalid", "JP_ERR_POD_MOUNT_OVERLAP", `${what}: mount targets ${outer.path} (volume "${outer.volume}") and ${inner.path} (volume "${inner.volume}") overlap`, {
          hint: "mount each volume on its own path, not on or inside another mount",
        });
      }
    }
  });
  return mounts;
}

/** Pod annotations from `-a` replace those of the base manifest with the same name, in place. */
function mergeAnnotations(base: readonly Annotation[], extra: readonly Annotation[]): Annotation[] {
  const merged = base.map((a) => extra.find((e) => e.name === a.name) ?? a);
  return [...merged, ...extra.filter((e) => !base.some((a) => a.name === e.name))];
}

/**
 * Pure. Reifies a pod template against the images in the store: throws not_found JP_ERR_IMAGE_NOT_FOUND
 * for an image the store lacks, conflict JP_ERR_IMAGE_AMBIGUOUS when a name matches several, and invalid
 * JP_ERR_POD_* naming the app and field at fault for names, mounts and volumes that cannot work.
 */
export function reifyPod(input: PodManifest | PodTemplate, ctx: ReifyContext): PodManifest {
  const template: PodTemplate = "acKind" in input ? { manifest: input, apps: [] } : input;
  const base = template.manifest;
  const store = [...ctx.images].filter((v) => v.state === "ready");
  const baseApps = base?.apps ?? [];
  const pendingApps = [
    ...baseApps.map((app) => fromManifestApp(app, store)),
    ...template.apps.map((app, i) => fromTemplateApp(app, baseApps.length + i, store)),
  ];
  const names = assignNames(pendingApps);
  const volumes = checkVolumes([...(base?.volumes ?? []), ...(template.volumes ?? [])]);
  const apps = pendingApps.map((app, i) => {
    const name = names[i]!;
    const mounts = reifyMounts(app, name);
    for (const m of mounts) if (!volumes.has(m.volume)) volumes.set(m.volume, { name: m.volume, kind: "empty", mode: "0755", uid: 0, gid: 0 });
    return {
      name,
      image: { name: app.view.name, id: app.view.id, labels: app.view.labels },
      ...(app.override === undefined ? {} : { app: app.override }),
      readOnlyRootFS: app.readOnlyRootFS,
      mounts,
      annotations: app.annotations,
    };
  });
  const annotations = mergeAnnotations(base?.annotations ?? [], template.annotations ?? []);
  const hostname = annotations.find((a) => a.name === "hostname")?.value;
  const hostError = hostname === undefined ? undefined : hostnameError(hostname);
  if (hostError !== undefined) throw fail("invalid", "JP_ERR_POD_HOSTNAME", `pod annotation hostname "${hostname}": ${hostError}`, { hint: "give -a hostname=NAME a valid host name" });
  const isolators = base?.isolators ?? [];
  const unknown = isolators.find((i) => !isKnownIsolator(i.name));
  if (unknown !== undefined) throw fail("invalid", "JP_ERR_POD_ISOLATOR_UNKNOWN", `pod isolator "${unknown.name}" is not one jetpack knows`, { hint: "remove it from the pod manifest; see appc spec §5.6 for the known isolators" });
  const manifest = {
    ...base,
    acVersion: REIFIED_AC_VERSION,
    acKind: "PodManifest",
    apps,
    volumes: [...volumes.values()],
    isolators,
    annotations,
    ports: base?.ports ?? [],
  };
  try {
    return parseOrFail(PodManifestSchema, manifest, "JP_ERR_POD_INVALID", "reified pod manifest");
  } catch (err) {
    if (!(err instanceof JetpackError)) throw err;
    throw fail(err.kind, err.code, err.message, { hint: "fix the fields named, in the -f manifest or the -a and -v options", details: err.details });
  }
}
