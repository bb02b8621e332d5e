// The Linux pod sandbox: pid, mount, uts, ipc and net namespaces held by stage2 `init`, the mounts of
// sandbox-script.ts, and the pivot into the pod root. Effects.
import type { ChildProcess } from "node:child_process";
import { accessSync, constants, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { posix } from "node:path";
import { fail } from "../../../machines/errors.js";
import type { PodRunSpec } from "../../../machines/pod/run-spec.js";
import { run, startProcess } from "../exec.js";
import { enterCommand, initCommand, pivotCommand, type Command } from "./commands.js";
import { checkVolumeSource, prepareMountTarget } from "./rootfs-files.js";
import { renderSandboxScript, scriptMountPoints } from "./sandbox-script.js";

export interface Sandbox {
  /** Host pid of stage2 `init`, PID 1 of the pod. Killing it ends every process of the pod. */
  initPid: number;
  /** The unshare (or nsenter) process whose child init is; it exits when init does. */
  holder: ChildProcess;
}

/** Effects. The absolute path of a host tool on the host's PATH, so that an app's PATH cannot change it. */
export function hostTool(name: string): string {
  for (const dir of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
    const candidate = posix.join(dir || ".", name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next directory
    }
  }
  throw fail("unavailable", "JP_ERR_EXEC_MISSING", `${name}: command not found`, { hint: "install util-linux (nsenter, unshare) and iproute2 (ip); ops/setup.sh does" });
}

/** Effects. A Command with its program made absolute (see hostTool). */
export function resolved(command: Command): Command {
  return command.cmd.startsWith("/") ? command : { cmd: hostTool(command.cmd), args: command.args };
}

/**
 * Effects. Everything that can be refused before a process starts: host volume sources (missing, or
 * reached through a symbolic link: invalid JP_ERR_POD_VOLUME_SOURCE naming the volume), then the mount
 * points inside each rootfs, created when missing. Returns warnings to show the user.
 */
export function prepareSandbox(spec: PodRunSpec): string[] {
  const directories = new Map<string, boolean>();
  for (const volume of spec.volumes) directories.set(volume.name, checkVolumeSource(volume.name, volume.source).directory);
  mkdirSync(spec.paths.root, { recursive: true, mode: 0o755 });
  const warnings: string[] = [];
  for (const app of spec.apps) {
    for (const target of scriptMountPoints()) warnings.push(...prepareMountTarget({ rootfs: app.rootfs, target, directory: true, app: app.name, volume: target }));
    for (const m of app.mounts) {
      const directory = directories.get(m.volume) ?? checkVolumeSource(m.volume, m.source).directory;
      warnings.push(...prepareMountTarget({ rootfs: app.rootfs, target: m.target, directory, app: app.name, volume: m.volume }));
    }
  }
  return warnings;
}

function cmdline(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
  } catch {
    return null;
  }
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: the fields after it start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[1]);
  } catch {
    return null;
  }
}

/** Effects. The host pid of `holderPid`'s child once it runs `stage2 init`, waiting up to `timeoutMs`. */
async function findInit(holderPid: number, stage2: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      if (parentOf(pid) !== holderPid) continue;
      const argv = cmdline(pid);
      if (argv?.[0] === stage2 && argv[1] === "init") return pid;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw fail("internal", "JP_ERR_POD_SANDBOX", `the pod's init process did not start within ${timeoutMs} ms`, { hint: "see the supervisor.log in the pod's directory" });
}

/** Effects. True when `initPid` is still a stage2 init (the pid was not reused by something else). */
export function isPodInit(initPid: number): boolean {
  const argv = cmdline(initPid);
  return argv !== null && argv[1] === "init" && (argv[0] ?? "").endsWith("stage2");
}

/**
 * Effects. Creates the sandbox: namespaces (joining `netns`, or a new empty network namespace with
 * loopback up), the mounts, stage2 copied into the pod root, and the pivot. `prepareSandbox` must have
 * run. On failure nothing is left running; the error is internal JP_ERR_POD_SANDBOX with the tool's output.
 */
export async function startSandbox(spec: PodRunSpec, opts: { netns: string | null; stage2: string; log?: number }): Promise<Sandbox> {
  const init = resolved(initCommand(opts.netns, opts.stage2));
  const holder = startProcess(init.cmd, init.args, { stdio: ["ignore", opts.log ?? "ignore", opts.log ?? "ignore"] });
  const exited = new Promise<void>((resolve) => holder.once("exit", () => resolve()));
  let initPid: number | undefined;
  try {
    if (holder.pid === undefined) throw fail("internal", "JP_ERR_POD_SANDBOX", `${init.cmd} did not start`);
    initPid = await Promise.race([
      findInit(holder.pid, opts.stage2, 10_000),
      exited.then(() => {
        throw fail("internal", "JP_ERR_POD_SANDBOX", `${init.cmd} ${init.args.join(" ")} exited at once`, { hint: "see the supervisor.log in the pod's directory" });
      }),
    ]);
    const script = renderSandboxScript({
      root: spec.paths.root,
      hostname: spec.hostname,
      stage2: opts.stage2,
      apps: spec.apps.map((a) => ({ rootfs: a.rootfs, readOnlyRootFS: a.readOnlyRootFS, mounts: a.mounts })),
    });
    const enter = resolved(enterCommand(initPid, ["sh", "-c", script]));
    await run(enter.cmd, enter.args, { classify: () => ({ kind: "internal", code: "JP_ERR_POD_SANDBOX" }) });
    const pivot = resolved(pivotCommand(initPid, opts.stage2, spec.paths.root));
    await run(pivot.cmd, pivot.args, { classify: () => ({ kind: "internal", code: "JP_ERR_POD_SANDBOX" }) });
    return { initPid, holder };
  } catch (e) {
    await destroySandbox({ initPid: initPid ?? -1, holder });
    throw e;
  }
}

/** Effects. Ends the pod: SIGKILL to init kills every process of its pid namespace; waits for the holder. */
export async function destroySandbox(sandbox: Sandbox): Promise<void> {
  if (sandbox.holder.exitCode !== null || sandbox.holder.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => sandbox.holder.once("exit", () => resolve()));
  try {
    if (sandbox.initPid > 0) process.kill(sandbox.initPid, "SIGKILL");
    else sandbox.holder.kill("SIGKILL");
  } catch {
    // already gone: the holder's exit is on its way
  }
  const timer = setTimeout(() => sandbox.holder.kill("SIGKILL"), 5_000);
  await gone;
  clearTimeout(timer);
}
