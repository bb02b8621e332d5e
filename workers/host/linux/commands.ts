// The command lines of a Linux pod: creating its namespaces, entering them, and running a process in an
// app through jetpack-stage2. Pure: argument building only; sandbox.ts and the supervisor run them.

export interface Command {
  cmd: string;
  args: string[];
}

/** Where the sandbox script copies stage2, as seen from the pod root after the pivot. */
export const POD_STAGE2 = "/.jetpack/stage2";

/**
 * Pure. The command that creates the pod's pid, mount, uts and ipc namespaces with stage2 `init` as
 * PID 1: in the given network namespace, or in a new empty one when `netns` is null.
 */
export function initCommand(netns: string | null, stage2: string): Command {
  const unshare = ["--pid", "--fork", "--mount", "--uts", "--ipc", ...(netns === null ? ["--net"] : []), "--propagation", "private", "--", stage2, "init"];
  if (netns === null) return { cmd: "unshare", args: unshare };
  return { cmd: "nsenter", args: [`--net=${netns}`, "--", "unshare", ...unshare] };
}

/** Pure. Runs `argv` in every namespace of the pod (but the host's root: host paths stay reachable). */
export function enterCommand(initPid: number, argv: readonly string[]): Command {
  return { cmd: "nsenter", args: ["--target", String(initPid), "--all", "--", ...argv] };
}

/** Pure. Makes the pod root the root of its mount namespace (stage2 pivot, run inside the namespace). */
export function pivotCommand(initPid: number, stage2: string, root: string): Command {
  return enterCommand(initPid, [stage2, "pivot", root]);
}

export interface AppProcess {
  initPid: number;
  /** The app's index: its rootfs is `/<index>` under the pod root. */
  index: number;
  workingDirectory: string;
  uid: number;
  gid: number;
  groups: readonly number[];
  argv: readonly string[];
  /** A descriptor on which stage2 reports "ok" or "error: ..." just before exec (the supervisor's). */
  statusFd?: number;
}

/** Pure. Runs a process in an app of the pod: its namespaces, its rootfs, its user and working directory. */
export function appCommand(p: AppProcess): Command {
  return {
    cmd: "nsenter",
    args: [
      "--target", String(p.initPid), "--all", "--root", "--wd=/", "--",
      POD_STAGE2, "exec",
      "--root", `/${p.index}`,
      "--cwd", p.workingDirectory,
      "--uid", String(p.uid),
      "--gid", String(p.gid),
      ...(p.groups.length > 0 ? ["--groups", p.groups.join(",")] : []),
      ...(p.statusFd !== undefined ? ["--status-fd", String(p.statusFd)] : []),
      "--", ...p.argv,
    ],
  };
}

/**
 * Pure. Wraps a command so that its process id goes into each `cgroup.procs` file before it execs:
 * the process, and so the app, is in its cgroups from its first instruction.
 */
export function inCgroups(procsFiles: readonly string[], command: Command): Command {
  if (procsFiles.length === 0) return command;
  const script = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1"; shift; n=$((n - 1)); done; exec "$@"';
  return { cmd: "sh", args: ["-c", script, "jetpack-cgroups", String(procsFiles.length), ...procsFiles, command.cmd, ...command.args] };
}

/** Pure. The environment of an app's processes: exactly the plan's, nothing inherited from the host. */
export function appEnvironment(environment: ReadonlyArray<{ name: string; value: string }>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { name, value } of environment) env[name] = value;
  return env;
}
