// The one shell script that builds a pod's file system view inside its mount namespace (before the
// pivot, so that host paths are still reachable): the pod root, each app's rootfs with /proc, /sys and
// /dev (appc §5.5), volumes, read-only roots, the hostname and loopback. Pure: text in, text out; the
// effects module (sandbox.ts) runs it through nsenter.
import { posix } from "node:path";
import { shellCommand } from "./shell-quote.js";

export interface ScriptMount {
  source: string;
  /** Absolute path inside the app's rootfs. */
  target: string;
  readOnly: boolean;
  recursive: boolean;
}

export interface ScriptApp {
  /** Host path of the app's rootfs (already populated, under the pod root). */
  rootfs: string;
  readOnlyRootFS: boolean;
  mounts: readonly ScriptMount[];
}

export interface SandboxScriptInput {
  /** The pod root that becomes `/` after the pivot. */
  root: string;
  hostname: string;
  /** Host path of the jetpack-stage2 binary, copied to `<root>/.jetpack/stage2`. */
  stage2: string;
  apps: readonly ScriptApp[];
  /** What /dev/console is bound to: a pod has no console of its own, so /dev/null unless told. */
  consoleSource?: string;
}

/** The device nodes §5.5 requires, bound from the host's /dev (a pod may not mknod). */
export const BOUND_DEVICES = ["null", "zero", "full", "random", "urandom", "tty"] as const;
/** The links every Linux /dev has, which programs (bash's <(...), `cat /dev/stdin`) rely on. */
export const DEV_LINKS: ReadonlyArray<readonly [string, string]> = [
  ["ptmx", "pts/ptmx"],
  ["fd", "/proc/self/fd"],
  ["stdin", "/proc/self/fd/0"],
  ["stdout", "/proc/self/fd/1"],
  ["stderr", "/proc/self/fd/2"],
];

/** Pure. The in-rootfs directories the script mounts on, which the effects module creates first. */
export function scriptMountPoints(): string[] {
  return ["/proc", "/sys", "/dev"];
}

function devLines(rootfs: string, consoleSource: string): string[] {
  const dev = posix.join(rootfs, "dev");
  const at = (name: string) => posix.join(dev, name);
  const lines = [shellCommand(["mount", "-t", "tmpfs", "-o", "nosuid,noexec,mode=0755,size=65536k", "tmpfs", dev])];
  for (const name of BOUND_DEVICES) lines.push(`${shellCommand(["touch", at(name)])} && ${shellCommand(["mount", "--bind", `/dev/${name}`, at(name)])}`);
  lines.push(`${shellCommand(["touch", at("console")])} && ${shellCommand(["mount", "--bind", consoleSource, at("console")])}`);
  lines.push(`${shellCommand(["mkdir", "-m", "0755", at("pts")])} && ${shellCommand(["mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=0620,nosuid,noexec", "devpts", at("pts")])}`);
  lines.push(`${shellCommand(["mkdir", "-m", "1777", at("shm")])} && ${shellCommand(["mount", "-t", "tmpfs", "-o", "nosuid,nodev,mode=1777", "shm", at("shm")])}`);
  for (const [name, to] of DEV_LINKS) lines.push(shellCommand(["ln", "-s", to, at(name)]));
  return lines;
}

function appLines(app: ScriptApp, index: number, consoleSource: string): string[] {
  const { rootfs } = app;
  const lines = [
    `# app ${index}: ${rootfs.replace(/\n/g, " ")}`,
    // A bind onto itself makes the rootfs a mount point of its own, which a read-only remount needs.
    shellCommand(["mount", "--rbind", rootfs, rootfs]),
    // Device nodes an image carries (or an app makes) open nothing: only the pod's /dev, mounted over
    // the rootfs below, holds devices.
    shellCommand(["mount", "-o", "remount,bind,nodev", rootfs]),
    shellCommand(["mount", "-t", "proc", "-o", "nosuid,nodev,noexec", "proc", posix.join(rootfs, "proc")]),
    shellCommand(["mount", "-t", "sysfs", "-o", "ro,nosuid,nodev,noexec", "sysfs", posix.join(rootfs, "sys")]),
    ...devLines(rootfs, consoleSource),
  ];
  for (const m of app.mounts) {
    const target = posix.join(rootfs, m.target);
    lines.push(shellCommand(["mount", m.recursive ? "--rbind" : "--bind", m.source, target]));
    lines.push(shellCommand(["mount", "-o", m.readOnly ? "remount,bind,nodev,ro" : "remount,bind,nodev", target]));
  }
  if (app.readOnlyRootFS) lines.push(shellCommand(["mount", "-o", "remount,bind,nodev,ro", rootfs]));
  return lines;
}

/**
 * Pure. The script, for `sh -c` inside the pod's namespaces (nsenter --all, before the pivot). It stops
 * at the first failing command (`set -e`). Mount targets inside the rootfs must already exist: they
 * are created by the effects module, which refuses symbolic links on the way.
 */
export function renderSandboxScript(input: SandboxScriptInput): string {
  const consoleSource = input.consoleSource ?? "/dev/null";
  const { root } = input;
  const jetpackDir = posix.join(root, ".jetpack");
  const stage2 = posix.join(jetpackDir, "stage2");
  const lines = [
    "set -eu",
    // Recursive, so that the apps' rootfs (ZFS clones mounted under the root) come along.
    shellCommand(["mount", "--rbind", root, root]),
    shellCommand(["mkdir", "-p", "-m", "0755", jetpackDir]),
    shellCommand(["cp", input.stage2, stage2]),
    shellCommand(["chown", "0:0", stage2]),
    shellCommand(["chmod", "0755", stage2]),
    ...input.apps.flatMap((app, i) => appLines(app, i, consoleSource)),
    shellCommand(["hostname", input.hostname]),
    shellCommand(["ip", "link", "set", "lo", "up"]),
  ];
  return `${lines.join("\n")}\n`;
}

