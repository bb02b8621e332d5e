// The command lines the FreeBSD pod host runs, and the mount points it prepares, built from the jail
// backend's pure core (workers/host/jail/). Pure: nothing here runs or touches anything.
//
// The jail core names the real programs (/usr/sbin/jail, <libexec>/stage2); the host may point them
// elsewhere (a test's stubs, a custom install), so each argv gets its program swapped here, once.
import { posix } from "node:path";
import type { PodRunSpec, RunApp } from "../../machines/pod/run-spec.js";
import { appExecArgv, jailName, jailStatusArgv, podJailCommands, type JailBackendConfig, type ResolvedIds } from "../host/jail/index.js";

/** The programs the FreeBSD pod host runs; `stage2` is the full path of Jetpack's stage2 helper. */
export interface FreebsdCommandPaths {
  jail: string;
  jls: string;
  ping: string;
  stage2: string;
}

/** Pure. The real programs: FreeBSD's own, and stage2 from the backend's libexecDir. */
export function defaultCommandPaths(config: JailBackendConfig): FreebsdCommandPaths {
  return { jail: "/usr/sbin/jail", jls: "/usr/sbin/jls", ping: "/sbin/ping", stage2: posix.join(config.libexecDir, "stage2") };
}

function withProgram(argv: readonly string[], program: string): string[] {
  return [program, ...argv.slice(1)];
}

/** The argv of one pod's jail: create, remove, and the jls that lists jails. */
export interface FreebsdPodCommands {
  name: string;
  create: string[];
  remove: string[];
  status: string[];
}

/** Pure. The jail(8) and jls(8) argv of one pod, with the configured programs. */
export function podCommands(spec: PodRunSpec, config: JailBackendConfig, paths: FreebsdCommandPaths): FreebsdPodCommands {
  const c = podJailCommands(spec, config);
  return { name: jailName(config.namePrefix, spec.uuid), create: withProgram(c.create, paths.jail), remove: withProgram(c.remove, paths.jail), status: withProgram(c.status, paths.jls) };
}

/**
 * Pure. `jail -f <podDir>/jail.conf -r <name>` from the pod directory alone (kill and stop get no spec):
 * the pod directory is named after the pod's UUID, and jail.conf sits in it (jailConfPath).
 */
export function removeArgvForDir(podDir: string, config: JailBackendConfig, paths: FreebsdCommandPaths): { name: string; argv: string[] } {
  const name = jailName(config.namePrefix, posix.basename(podDir));
  return { name, argv: [paths.jail, "-f", posix.join(podDir, "jail.conf"), "-r", name] };
}

/** Pure. `jls -d jid dying name`, with the configured program. */
export function jlsArgv(paths: FreebsdCommandPaths): string[] {
  return withProgram(jailStatusArgv(), paths.jls);
}

/**
 * Pure. FreeBSD ping(8): one probe, `-t 1` to give up after a second (on FreeBSD `-t` is the timeout,
 * not the TTL as on Linux), exit 0 only when an answer came.
 */
export function pingArgv(ip: string, paths: Pick<FreebsdCommandPaths, "ping">): string[] {
  return [paths.ping, "-c", "1", "-t", "1", ip];
}

/** Handlers run as root in the app's rootfs, as Jetpack ran them (reference/jetpack.md §3). */
export const HANDLER_IDS: ResolvedIds = { uid: 0, gid: 0, gids: [] };

/** Pure. The stage2 argv that runs `argv` (default: the app's exec) in app `app` of jail `jid`. */
export function stage2ArgvFor(config: JailBackendConfig, paths: FreebsdCommandPaths, jid: number, app: RunApp, ids: ResolvedIds, argv?: readonly string[]): string[] {
  return withProgram(appExecArgv(config, jid, app, ids, argv ?? app.exec), paths.stage2);
}

/** Pure. The stage2 argv of each of the app's handlers called `name`, in the manifest's order. */
export function handlerArgvs(config: JailBackendConfig, paths: FreebsdCommandPaths, jid: number, app: RunApp, name: "pre-start" | "post-stop"): string[][] {
  return app.eventHandlers.filter((h) => h.name === name).map((h) => stage2ArgvFor(config, paths, jid, app, HANDLER_IDS, h.exec));
}

/** A mount point jail(8) needs to exist before it mounts the fstab: `target` inside `rootfs`. */
export interface MountTarget {
  rootfs: string;
  target: string;
  /** For messages: the app (or "pod" for the pod's own /vol) and the volume or file system. */
  app: string;
  volume: string;
  /** Host volumes only: the host path (checked before anything is mounted; a file makes a file target). */
  hostSource: string | null;
}

/**
 * Pure. Every mount point of the pod's fstab (render-fstab.ts), in its order: each host volume's
 * `<root>/vol/<name>`, each app's /dev (and /proc, /sys for Linux images), each app's volume mounts.
 * Empty volumes need none: their datasets are mounted where the planner put them.
 */
export function mountTargets(spec: PodRunSpec): MountTarget[] {
  const out: MountTarget[] = [];
  for (const v of spec.volumes) {
    if (v.kind === "host") out.push({ rootfs: spec.paths.root, target: posix.join("/vol", v.name), app: "pod", volume: v.name, hostSource: v.source });
  }
  for (const app of spec.apps) {
    out.push({ rootfs: app.rootfs, target: "/dev", app: app.name, volume: "devfs", hostSource: null });
    if (app.os === "linux") {
      out.push({ rootfs: app.rootfs, target: "/proc", app: app.name, volume: "linprocfs", hostSource: null });
      out.push({ rootfs: app.rootfs, target: "/sys", app: app.name, volume: "linsysfs", hostSource: null });
    }
    for (const m of app.mounts) out.push({ rootfs: app.rootfs, target: m.target, app: app.name, volume: m.volume, hostSource: m.kind === "host" ? m.source : null });
  }
  return out;
}

/**
 * Pure. Whether `jail -r` failed only because the jail does not exist (already removed, or never
 * created): jail(8) then says `jail: "<name>" not found` (or `... not found` without quotes).
 */
export function isJailNotFound(stderr: string): boolean {
  return /not found/.test(stderr);
}
