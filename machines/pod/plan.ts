// The planner (DESIGN §4): a reified pod manifest and its images' manifests become the backend-neutral
// PodRunSpec that the Linux and FreeBSD backends render. Everything the spec (§5) decides about how an app
// runs is decided here, once: its command, user, environment, mounts and which isolators are enforced.
// Pure: nothing here looks at the host; user names are resolved by the backend, which has the rootfs.
import { posix } from "node:path";
import {
  checkPodIsolators,
  ISOLATOR_RULES,
  isKnownIsolator,
  labelValue,
  type App,
  type EnvironmentVariable,
  type ImageManifest,
  type Isolator,
  type IsolatorScope,
  type MountPoint,
  type PodManifest,
  type RuntimeApp,
} from "../appc/index.js";
import { fail } from "../errors.js";
import type { PodRunSpec, RunApp, RunEventHandler, RunMount, RunVolume } from "./run-spec.js";

/** appc §5.4: strict clients compare it exactly. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** The value of `container` (§5.4: a free-form name of the executor). */
export const CONTAINER_NAME = "jetpack";

/** The isolators a host can enforce with cgroups; every other known one is only reported. */
const CGROUP_ISOLATORS: ReadonlySet<string> = new Set(["resource/memory", "resource/cpu"]);

export interface PlanContext {
  uuid: string;
  /** The manifests of the pod's images, by image ID. */
  images: ReadonlyMap<string, ImageManifest>;
  paths: { podDir: string };
  ip: string | null;
  /** The pod's metadata service base URL, token included. */
  metadataUrl: string;
  hostIsolators: { cgroups: boolean };
}

export interface IsolatorPlan {
  enforced: Array<{ name: string; value: unknown }>;
  ignored: Array<{ name: string; reason: string }>;
}

/** Pure. `path` as an absolute, normalized path with no trailing slash (relative paths are taken from `/`). */
export function normalizeTarget(path: string): string {
  const normalized = posix.normalize(`/${path}`);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}

/** Pure. Where a mount point goes in its app's rootfs, as an absolute path; undefined when its path is empty. */
export function mountPointTarget(mountPoint: MountPoint): string | undefined {
  return mountPoint.path === "" ? undefined : normalizeTarget(mountPoint.path);
}

const HOSTNAME_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** Pure. Why `name` cannot be a pod's hostname (RFC 1123, at most 64 bytes as Linux allows), or undefined. */
export function hostnameError(name: string): string | undefined {
  if (name.length === 0 || name.length > 64) return "a hostname has 1 to 64 characters";
  if (!name.split(".").every((label) => label.length <= 63 && HOSTNAME_LABEL.test(label))) {
    return "a hostname is dot-separated labels of letters, digits and inner hyphens";
  }
  return undefined;
}

/**
 * Pure. How Jetpack runs an image that has no `app` (or an app with an empty exec): a root shell. The
 * original Jetpack, FreeBSD only, ran `/usr/bin/login -fp root`, which is kept for os=freebsd images;
 * Linux images get `/bin/sh`, since login there wants PAM and a terminal that a pod may not have.
 */
export function defaultApp(os: string | null): App {
  return {
    exec: os === "freebsd" ? ["/usr/bin/login", "-fp", "root"] : ["/bin/sh"],
    eventHandlers: [],
    user: "0",
    group: "0",
    supplementaryGIDs: [],
    environment: [],
    mountPoints: [],
    ports: [],
    isolators: [],
  };
}

/**
 * Pure. An app's environment (appc §5.4) in order: PATH, AC_APP_NAME, AC_METADATA_URL, container, then
 * the app's own. An app's PATH replaces the default in its place: the spec makes the default a default,
 * and images that need other directories say so. AC_APP_NAME, AC_METADATA_URL and container describe the
 * runtime, so an app's own value for them is dropped: the metadata URL carries the pod's token, and a
 * wrong one would leave the app unable to reach its metadata.
 */
export function appEnvironment(appName: string, metadataUrl: string, own: readonly EnvironmentVariable[]): Array<{ name: string; value: string }> {
  const runtime = [
    { name: "PATH", value: own.find((v) => v.name === "PATH")?.value ?? DEFAULT_PATH },
    { name: "AC_APP_NAME", value: appName },
    { name: "AC_METADATA_URL", value: metadataUrl.replace(/\/+$/, "") },
    { name: "container", value: CONTAINER_NAME },
  ];
  return [...runtime, ...own.filter((v) => !runtime.some((r) => r.name === v.name)).map((v) => ({ name: v.name, value: v.value }))];
}

/**
 * Pure. Which isolators are enforced and which are only reported (the spec requires telling the user):
 * resource/memory and resource/cpu are enforced when the host has cgroups; every other known isolator is
 * reported as not enforced; one that does not apply at this level is reported as such. An unknown name
 * is refused with invalid JP_ERR_POD_ISOLATOR_UNKNOWN, since the user asked for something we cannot name.
 */
export function planIsolators(isolators: readonly Isolator[], scope: IsolatorScope, host: { cgroups: boolean }, where: string): IsolatorPlan {
  const plan: IsolatorPlan = { enforced: [], ignored: [] };
  for (const isolator of isolators) {
    const { name } = isolator;
    if (!isKnownIsolator(name)) {
      throw fail("invalid", "JP_ERR_POD_ISOLATOR_UNKNOWN", `${where}: isolator "${name}" is not one jetpack knows`, { hint: "remove it; appc spec §5.6 lists the known isolators" });
    }
    if (!ISOLATOR_RULES[name].scopes.includes(scope)) plan.ignored.push({ name, reason: `${name} applies to ${scope === "pod" ? "apps, not to pods" : "pods, not to apps"}` });
    else if (!CGROUP_ISOLATORS.has(name)) plan.ignored.push({ name, reason: "not enforced by jetpack yet" });
    else if (host.cgroups) plan.enforced.push({ name, value: isolator.value });
    else plan.ignored.push({ name, reason: "this host has no cgroups to enforce it with" });
  }
  return plan;
}

/** Pure. The pod-level isolators' plan; the spec's "only one" and conflict rules throw invalid JP_ERR_MANIFEST_INVALID. */
export function planPodIsolators(isolators: readonly Isolator[], host: { cgroups: boolean }): IsolatorPlan {
  checkPodIsolators(isolators);
  return planIsolators(isolators, "pod", host, "pod");
}

function notReified(where: string, what: string): never {
  throw fail("invalid", "JP_ERR_POD_NOT_REIFIED", `${where}: ${what}`, { hint: "reify the pod manifest (reifyPod) before planning it" });
}

function planVolumes(pod: PodManifest, podDir: string): RunVolume[] {
  return pod.volumes.map((v) =>
    v.kind === "host"
      ? { name: v.name, kind: "host", source: v.source, readOnly: v.readOnly ?? false, mode: null, uid: null, gid: null }
      : { name: v.name, kind: "empty", source: posix.join(podDir, "volumes", v.name), readOnly: v.readOnly ?? false, mode: v.mode, uid: v.uid, gid: v.gid },
  );
}

function planMounts(runtime: RuntimeApp, app: App, pod: PodManifest, volumes: readonly RunVolume[], where: string): RunMount[] {
  return runtime.mounts.map((m, i) => {
    const volume = volumes.find((v) => v.name === m.volume);
    const declared = pod.volumes.find((v) => v.name === m.volume);
    if (m.appVolume !== undefined || volume === undefined || declared === undefined) notReified(where, `mounts[${i}] names volume "${m.volume}", which the pod does not declare`);
    if (!m.path.startsWith("/")) notReified(where, `mounts[${i}] goes to "${m.path}", which is not an absolute path`);
    const target = normalizeTarget(m.path);
    const mountPoint = app.mountPoints.find((mp) => mountPointTarget(mp) === target);
    return {
      source: volume.source,
      target,
      readOnly: (mountPoint?.readOnly ?? false) || volume.readOnly,
      volume: volume.name,
      kind: volume.kind,
      // §4: "recursive" is for host volumes, and SHOULD default to rbind when absent.
      recursive: declared.kind === "host" ? (declared.recursive ?? true) : false,
    };
  });
}

function planApp(runtime: RuntimeApp, index: number, pod: PodManifest, volumes: readonly RunVolume[], ctx: PlanContext, root: string): RunApp {
  const where = `app "${runtime.name}"`;
  const id = runtime.image.id;
  if (id === undefined) notReified(where, "its image is not pinned by id");
  const image = ctx.images.get(id);
  if (image === undefined) throw fail("not_found", "JP_ERR_IMAGE_NOT_FOUND", `${where}: image ${id} is not in the store`, { hint: "fetch or import the image again, or destroy the pod" });
  const os = labelValue(image.labels, "os") ?? null;
  // §4: a pod's `app` replaces the image's entirely.
  const app = runtime.app ?? image.app ?? defaultApp(os);
  const eventHandlers = app.eventHandlers.map((h): RunEventHandler => {
    if (h.exec === undefined || h.exec.length === 0) {
      throw fail("invalid", "JP_ERR_POD_APP_HANDLER", `${where}: its ${h.name} handler has no exec`, { hint: "give the handler a command, or remove it" });
    }
    return { name: h.name as RunEventHandler["name"], exec: h.exec };
  });
  return {
    name: runtime.name,
    index,
    imageId: id,
    imageName: runtime.image.name ?? image.name,
    os,
    rootfs: posix.join(root, String(index)),
    readOnlyRootFS: runtime.readOnlyRootFS,
    exec: app.exec !== undefined && app.exec.length > 0 ? app.exec : (defaultApp(os).exec ?? []),
    user: { user: app.user, group: app.group, supplementaryGids: app.supplementaryGIDs },
    workingDirectory: app.workingDirectory ?? "/",
    environment: appEnvironment(runtime.name, ctx.metadataUrl, app.environment),
    eventHandlers,
    mounts: planMounts(runtime, app, pod, volumes, where),
    isolators: planIsolators(app.isolators, "app", ctx.hostIsolators, where),
  };
}

/**
 * Pure. Plans a reified pod: each app's rootfs at `<podDir>/rootfs/<i>`, empty volumes under
 * `<podDir>/volumes/<name>`, the hostname from the `hostname` annotation or else the UUID. Throws
 * not_found JP_ERR_IMAGE_NOT_FOUND for an image missing from ctx.images, and invalid JP_ERR_POD_* for
 * what a reified manifest cannot hold (an unpinned image, an undeclared volume, an unknown isolator).
 */
export function planPod(pod: PodManifest, ctx: PlanContext): PodRunSpec {
  const root = posix.join(ctx.paths.podDir, "rootfs");
  const volumes = planVolumes(pod, ctx.paths.podDir);
  const hostname = pod.annotations.find((a) => a.name === "hostname")?.value ?? ctx.uuid;
  const hostError = hostnameError(hostname);
  if (hostError !== undefined) throw fail("invalid", "JP_ERR_POD_HOSTNAME", `pod hostname "${hostname}": ${hostError}`, { hint: "set the pod's hostname annotation to a valid host name" });
  return {
    uuid: ctx.uuid,
    hostname,
    paths: { dir: ctx.paths.podDir, root },
    ip: ctx.ip,
    apps: pod.apps.map((app, i) => planApp(app, i, pod, volumes, ctx, root)),
    volumes,
    annotations: pod.annotations,
    isolators: planPodIsolators(pod.isolators, ctx.hostIsolators).enforced,
  };
}
