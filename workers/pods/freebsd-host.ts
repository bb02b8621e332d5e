// PodHost on FreeBSD: a pod is a jail (reference/jetpack.md §3). Effects; every command line comes from
// freebsd-commands.ts (pure, over workers/host/jail/) and runs through workers/host/exec.ts.
//
// launch writes jail.conf and fstab into the pod directory, makes the mount points, creates the jail
// (`jail -f conf -c name`, which mounts the fstab and adds the pod's address to the interface), reads its
// JID from jls, runs the pre-start handlers and starts each app through stage2, detached, its output
// appended to logs/<app>.log. This daemon records the apps' exits in status.json; when the last app
// ends, or on stop, the post-stop handlers run in the jail and `jail -r` removes it.
//
// Network and cgroups are no-ops here: jail(8) adds and removes the pod's address itself (`interface` +
// `ip4.addr` in jail.conf), so there is no network namespace to join, and FreeBSD has no cgroups (planPod
// then lists every resource isolator as not enforced, with its reason).
import { appendFileSync, closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { fail, toErrorData } from "../../machines/errors.js";
import type { PodRunSpec } from "../../machines/pod/run-spec.js";
import { runUnchecked, startProcess } from "../host/exec.js";
import { fstabPath, jailConfPath, parseJls, renderFstab, renderJailConf, type JailBackendConfig, type ResolvedIds } from "../host/jail/index.js";
import { resolveAppIds } from "../host/linux/app-user.js";
import { checkVolumeSource, prepareMountTarget } from "../host/linux/rootfs-files.js";
import {
  defaultCommandPaths,
  handlerArgvs,
  isJailNotFound,
  jlsArgv,
  mountTargets,
  pingArgv,
  podCommands,
  removeArgvForDir,
  stage2ArgvFor,
  type FreebsdCommandPaths,
} from "./freebsd-commands.js";
import { jailSandboxStatus, needsFinish, readJailRecord, withJailApp, writeJailRecord, type JailPodRecord } from "./freebsd-status.js";
import type { PodHost, SandboxStatus } from "./host.js";
import { appLogPath, supervisorPaths } from "./supervisor/launch.js";

export interface FreebsdHostOptions {
  config: JailBackendConfig;
  /** Jetpack's stage2 helper (default: `<config.libexecDir>/stage2`). */
  stage2?: string;
  /** Other programs than FreeBSD's own jail, jls and ping (stubs in tests). */
  commands?: Partial<Omit<FreebsdCommandPaths, "stage2">>;
  /** How often `watch` looks at the pod (default 1000 ms). */
  pollMs?: number;
}

const KILL_WAIT_MS = 5_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number | null, sig: NodeJS.Signals): void {
  if (pid === null) return;
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(pidAlive)) {
    if (Date.now() >= deadline) return false;
    await delay(25);
  }
  return true;
}

/** Effects. The FreeBSD PodHost. */
export function freebsdPodHost(opts: FreebsdHostOptions): PodHost {
  const { config } = opts;
  const paths: FreebsdCommandPaths = { ...defaultCommandPaths(config), ...opts.commands, ...(opts.stage2 ? { stage2: opts.stage2 } : {}) };
  // One finish (post-stop handlers, jail removal) per pod at a time: the last app's exit, stop and watch may all ask.
  const finishing = new Map<string, Promise<SandboxStatus>>();

  /** Read, change and write the record in one synchronous step, so no other callback interleaves. */
  function update(podDir: string, change: (r: JailPodRecord) => JailPodRecord): JailPodRecord | null {
    const record = readJailRecord(podDir);
    if (record === null) return null;
    const next = change(record);
    writeJailRecord(podDir, next);
    return next;
  }

  async function runLogged(argv: string[], log: string): Promise<{ ok: boolean; reason: string }> {
    const r = await runUnchecked(argv[0] ?? "", argv.slice(1));
    appendFileSync(log, r.stdout + r.stderr);
    return { ok: r.code === 0, reason: `exit ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ""}` };
  }

  async function jails(): Promise<ReturnType<typeof parseJls>> {
    const argv = jlsArgv(paths);
    const r = await runUnchecked(argv[0] ?? "", argv.slice(1));
    if (r.code !== 0) throw fail("unavailable", "JP_ERR_JAIL_JLS", `jls failed (exit ${r.code}): ${r.stderr.trim()}`, { hint: "run `jls` by hand to see what is wrong" });
    return parseJls(r.stdout);
  }

  async function jailLive(name: string): Promise<boolean> {
    const j = (await jails()).get(name);
    return j !== undefined && !j.dying;
  }

  /** `jail -r`, a jail that is not there counting as removed. */
  async function removeJail(podDir: string): Promise<void> {
    const { name, argv } = removeArgvForDir(podDir, config, paths);
    const r = await runUnchecked(argv[0] ?? "", argv.slice(1));
    if (r.code !== 0 && !isJailNotFound(r.stderr)) {
      throw fail("internal", "JP_ERR_JAIL_REMOVE", `could not remove jail "${name}": ${r.stderr.trim() || `exit ${r.code}`}`, { hint: `run \`jail -r ${name}\` by hand` });
    }
  }

  async function currentStatus(podDir: string): Promise<SandboxStatus | null> {
    const record = readJailRecord(podDir);
    if (record === null) return null;
    return jailSandboxStatus(record, await jailLive(record.jail), pidAlive);
  }

  /** Stops whatever runs (SIGTERM, then SIGKILL after `stopTimeoutMs`; null: the apps are over), runs post-stop, removes the jail. */
  function finish(podDir: string, stopTimeoutMs: number | null): Promise<SandboxStatus> {
    const running = finishing.get(podDir);
    if (running) return running;
    const done = runFinish(podDir, stopTimeoutMs).finally(() => finishing.delete(podDir));
    finishing.set(podDir, done);
    return done;
  }

  async function runFinish(podDir: string, stopTimeoutMs: number | null): Promise<SandboxStatus> {
    const record = readJailRecord(podDir);
    if (record === null) throw fail("not_found", "JP_ERR_POD_NOT_LAUNCHED", `${podDir} holds no pod status: the pod never ran`, { hint: "start the pod first" });
    if (record.state === "exited" || record.state === "failed") return jailSandboxStatus(record, false, pidAlive);
    const pids = record.apps.filter((a) => a.state === "running" && a.pid !== null && pidAlive(a.pid)).map((a) => a.pid as number);
    if (stopTimeoutMs !== null && pids.length > 0) {
      update(podDir, (r) => ({ ...r, state: "stopping", apps: r.apps.map((a) => (a.state === "running" ? { ...a, reason: a.reason ?? "stopped" } : a)) }));
      for (const pid of pids) signal(pid, "SIGTERM");
      if (!(await waitGone(pids, stopTimeoutMs))) {
        update(podDir, (r) => ({ ...r, apps: r.apps.map((a) => (a.state === "running" ? { ...a, reason: `killed: still running ${stopTimeoutMs} ms after SIGTERM` } : a)) }));
        for (const pid of pids) signal(pid, "SIGKILL");
        await waitGone(pids, KILL_WAIT_MS);
      }
    }
    if (await jailLive(record.jail)) {
      for (const app of record.apps) {
        for (const argv of app.postStop) {
          const r = await runLogged(argv, appLogPath(podDir, app.name));
          if (!r.ok) appendFileSync(appLogPath(podDir, app.name), `jetpack: post-stop handler failed: ${r.reason}\n`);
        }
      }
    }
    await removeJail(podDir);
    const final = update(podDir, (r) => ({ ...r, state: "exited", apps: r.apps.map((a) => (a.state === "exited" ? a : { ...a, state: "exited", reason: a.reason ?? "stopped" })) }));
    return jailSandboxStatus(final ?? record, false, pidAlive);
  }

  function onAppExit(podDir: string, app: string, code: number | null, sig: NodeJS.Signals | null): void {
    const next = update(podDir, (r) => withJailApp(r, app, { state: "exited", exitCode: code, signal: sig }));
    if (next?.state === "running" && next.apps.every((a) => a.state === "exited")) void finish(podDir, null).catch(() => {});
  }

  /** Leaves nothing running: kills the started apps, removes the jail, records why the pod failed. */
  async function abandon(podDir: string, err: unknown): Promise<never> {
    const record = readJailRecord(podDir);
    for (const a of record?.apps ?? []) if (a.state === "running") signal(a.pid, "SIGKILL");
    await waitGone((record?.apps ?? []).flatMap((a) => (a.state === "running" && a.pid !== null ? [a.pid] : [])), KILL_WAIT_MS);
    await removeJail(podDir).catch(() => {});
    update(podDir, (r) => ({ ...r, state: "failed", error: toErrorData(err), apps: r.apps.map((a) => (a.state === "exited" ? a : { ...a, state: "exited", reason: a.reason ?? "the pod failed to start" })) }));
    throw err;
  }

  async function startApp(spec: PodRunSpec, jid: number, index: number, ids: ResolvedIds): Promise<void> {
    const app = spec.apps[index]!;
    const argv = stage2ArgvFor(config, paths, jid, app, ids);
    const fd = openSync(appLogPath(spec.paths.dir, app.name), "a", 0o600);
    try {
      // stage2 hands the program exactly the environment in its argv: nothing of the daemon's leaks in.
      const child = startProcess(argv[0] ?? "", argv.slice(1), { detached: true, stdio: ["ignore", fd, fd], cwd: "/", env: {} });
      await new Promise<void>((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", reject);
      }).catch((e: Error) => {
        throw fail("invalid", "JP_ERR_POD_APP_START_FAILED", `app "${app.name}" of pod ${spec.uuid} did not start: ${e.message}`, { hint: `check that ${paths.stage2} is installed` });
      });
      child.once("exit", (code, sig) => onAppExit(spec.paths.dir, app.name, code, sig));
      child.unref();
      update(spec.paths.dir, (r) => withJailApp(r, app.name, { state: "running", pid: child.pid ?? null }));
    } finally {
      closeSync(fd);
    }
  }

  async function launch(spec: PodRunSpec): Promise<SandboxStatus> {
    const podDir = spec.paths.dir;
    const cmds = podCommands(spec, config, paths);
    const previous = readJailRecord(podDir);
    if (previous !== null && (previous.state === "running" || previous.state === "starting") && (await jailLive(cmds.name))) {
      throw fail("conflict", "JP_ERR_POD_ALREADY_RUNNING", `pod ${spec.uuid} already runs in jail "${cmds.name}"`, { hint: "stop the pod first" });
    }
    // Everything that can be refused is checked before anything runs.
    const ids = spec.apps.map((app) => {
      const r = resolveAppIds(app);
      return { uid: r.uid, gid: r.gid, gids: r.groups };
    });
    mkdirSync(supervisorPaths(podDir).logs, { recursive: true });
    mkdirSync(spec.paths.root, { recursive: true });
    writeFileSync(jailConfPath(spec), renderJailConf(spec, config), { mode: 0o600 });
    writeFileSync(fstabPath(spec), renderFstab(spec), { mode: 0o600 });
    for (const t of mountTargets(spec)) {
      const directory = t.hostSource === null ? true : checkVolumeSource(t.volume, t.hostSource).directory;
      for (const warning of prepareMountTarget({ rootfs: t.rootfs, target: t.target, directory, app: t.app, volume: t.volume })) {
        appendFileSync(t.app === "pod" ? supervisorPaths(podDir).log : appLogPath(podDir, t.app), `jetpack: ${warning}\n`);
      }
    }
    writeJailRecord(podDir, {
      uuid: spec.uuid,
      jail: cmds.name,
      jid: null,
      state: "starting",
      apps: spec.apps.map((a) => ({ name: a.name, state: "waiting", exitCode: null, signal: null, reason: null, pid: null, postStop: [] })),
      error: null,
    });
    try {
      const created = await runUnchecked(cmds.create[0] ?? "", cmds.create.slice(1));
      if (created.code !== 0) {
        const why = created.stderr.trim() || created.stdout.trim() || `exit ${created.code}`;
        throw fail("internal", "JP_ERR_JAIL_CREATE", `could not create jail "${cmds.name}" for pod ${spec.uuid}: ${why}`, {
          hint: `check ${jailConfPath(spec)} and that interface ${config.interface} exists (ifconfig ${config.interface})`,
        });
      }
      const jail = (await jails()).get(cmds.name);
      if (jail === undefined || jail.dying) throw fail("internal", "JP_ERR_JAIL_CREATE", `jail "${cmds.name}" is not listed by jls right after it was created`);
      const jid = jail.jid;
      update(podDir, (r) => ({ ...r, jid, apps: r.apps.map((a, i) => ({ ...a, postStop: handlerArgvs(config, paths, jid, spec.apps[i]!, "post-stop") })) }));
      for (const app of spec.apps) {
        for (const argv of handlerArgvs(config, paths, jid, app, "pre-start")) {
          const r = await runLogged(argv, appLogPath(podDir, app.name));
          if (r.ok) continue;
          update(podDir, (rec) => withJailApp(rec, app.name, { reason: `pre-start handler failed: ${r.reason}` }));
          throw fail("invalid", "JP_ERR_POD_APP_HANDLER_FAILED", `app "${app.name}": its pre-start handler failed: ${r.reason}`, { hint: `see the app's log, ${appLogPath(podDir, app.name)}` });
        }
      }
      for (let i = 0; i < spec.apps.length; i++) await startApp(spec, jid, i, ids[i]!);
    } catch (err) {
      return abandon(podDir, err);
    }
    const started = update(podDir, (r) => ({ ...r, state: r.apps.every((a) => a.state === "exited") ? r.state : "running" }));
    return jailSandboxStatus(started!, true, pidAlive);
  }

  return {
    isolators: async () => ({ cgroups: false }),
    // jail(8) adds the pod's address as an alias on config.interface when it creates the jail, and
    // removes it with the jail: nothing to set up, no namespace to join.
    setupNetwork: async () => ({ netnsPath: "" }),
    teardownNetwork: async () => {},
    async addressAnswers(ip) {
      const argv = pingArgv(ip, paths);
      return (await runUnchecked(argv[0] ?? "", argv.slice(1))).code === 0;
    },
    // FreeBSD has no cgroups; isolators() says so and planPod reports the resource isolators as not enforced.
    createCgroups: async () => ({}),
    removeCgroups: async () => {},
    launch: (spec) => launch(spec),
    status: (podDir) => currentStatus(podDir),
    watch(podDir, onStatus, onGone) {
      let last = "";
      let closed = false;
      const look = async () => {
        const s = await currentStatus(podDir).catch(() => undefined);
        if (closed || s === undefined) return;
        if (s === null || (!s.live && s.state !== "exited" && s.state !== "failed" && !finishing.has(podDir))) {
          closed = true;
          clearInterval(timer);
          onGone();
          return;
        }
        const seen = JSON.stringify(s);
        if (seen !== last) {
          last = seen;
          onStatus(s);
        }
        // The apps ended while no daemon watched them: their post-stop handlers and the jail are still due.
        if (needsFinish(s)) void finish(podDir, null).catch(() => {});
      };
      const timer = setInterval(() => void look(), opts.pollMs ?? 1000);
      timer.unref();
      void look();
      return {
        close() {
          closed = true;
          clearInterval(timer);
        },
      };
    },
    stop: (podDir, timeoutMs) => finish(podDir, timeoutMs),
    async kill(podDir) {
      const record = readJailRecord(podDir);
      for (const a of record?.apps ?? []) if (a.state === "running") signal(a.pid, "SIGKILL");
      await removeJail(podDir);
      if (record !== null && record.state !== "exited" && record.state !== "failed") {
        update(podDir, (r) => ({ ...r, state: "exited", apps: r.apps.map((a) => (a.state === "exited" ? a : { ...a, state: "exited", reason: "killed" })) }));
      }
    },
    execCommand(podDir, spec, appName, argv) {
      const app = spec.apps.find((a) => a.name === appName);
      if (app === undefined) throw fail("not_found", "JP_ERR_POD_APP_NOT_FOUND", `pod ${spec.uuid} has no app "${appName}"`, { hint: `its apps: ${spec.apps.map((a) => a.name).join(", ")}` });
      const record = readJailRecord(podDir);
      if (record === null || record.state !== "running" || record.jid === null) {
        throw fail("conflict", "JP_ERR_POD_NOT_RUNNING", `pod ${spec.uuid} is not running`, { hint: "start the pod first" });
      }
      const r = resolveAppIds(app);
      const full = stage2ArgvFor(config, paths, record.jid, app, { uid: r.uid, gid: r.gid, gids: r.groups }, argv.length > 0 ? argv : app.exec);
      // stage2 gives the program the environment in its argv and nothing else.
      return { cmd: full[0] ?? paths.stage2, args: full.slice(1), env: {} };
    },
  };
}
