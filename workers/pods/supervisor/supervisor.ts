// One pod's supervisor: creates the sandbox, runs pre-start handlers then the apps, records every
// change in status.json, stops the pod on request, runs post-stop handlers and tears the sandbox down.
// Effects. The HTTP side is server.ts; the process entry is main.ts.
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync } from "node:fs";
import { fail, JetpackError, toErrorData } from "../../../machines/errors.js";
import type { RunApp } from "../../../machines/pod/run-spec.js";
import { resolveAppIds, type AppIds } from "../../host/linux/app-user.js";
import { destroySandbox, prepareSandbox, startSandbox, type Sandbox } from "../../host/linux/sandbox.js";
import { startInApp, type Exit } from "./app-process.js";
import { appLogPath, supervisorPaths, type LaunchFile } from "./launch.js";
import { allExited, initialStatus, isFinal, withApp, type PodStatus } from "./status.js";

/** How long a post-stop handler may run before the sandbox is torn down anyway (they are best effort). */
const POST_STOP_TIMEOUT_MS = 30_000;
/** How long killed apps get to be reaped after SIGKILL before teardown goes ahead. */
const KILL_WAIT_MS = 10_000;

const ROOT: AppIds = { uid: 0, gid: 0, groups: [] };

function delay(ms: number): Promise<"timeout"> {
  return new Promise((resolve) => setTimeout(() => resolve("timeout"), ms).unref());
}

function describeExit(exit: Exit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `exit ${exit.code}`;
}

export class Supervisor {
  private status: PodStatus;
  private readonly listeners = new Set<(s: PodStatus) => void>();
  private sandbox: Sandbox | null = null;
  private readonly ids = new Map<string, AppIds>();
  private readonly logs = new Map<string, number>();
  private readonly exits: Array<Promise<Exit>> = [];
  private starting: Promise<void> = Promise.resolve();
  private finishing: Promise<PodStatus> | null = null;

  /** Resolves once the pod is over (exited or failed) and its sandbox is gone. */
  readonly done: Promise<PodStatus>;
  private resolveDone: (s: PodStatus) => void = () => {};

  constructor(private readonly launch: LaunchFile, private readonly log: (line: string) => void) {
    this.status = initialStatus(launch.spec.uuid, process.pid, launch.spec.apps.map((a) => a.name));
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  current(): PodStatus {
    return this.status;
  }

  /** Calls `fn` with every new status; returns the function that stops it. */
  subscribe(fn: (s: PodStatus) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(next: PodStatus): void {
    this.status = next;
    const file = supervisorPaths(this.launch.spec.paths.dir).status;
    writeFileSync(`${file}.tmp`, `${JSON.stringify(next, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
    for (const fn of this.listeners) fn(next);
  }

  /** Starts the pod; failures become the "failed" state (with the error), never an exception. */
  start(): Promise<void> {
    this.set(this.status);
    this.starting = this.startApps().catch((e) => this.failStart(e));
    return this.starting;
  }

  private logFd(app: RunApp): number {
    let fd = this.logs.get(app.name);
    if (fd === undefined) {
      mkdirSync(supervisorPaths(this.launch.spec.paths.dir).logs, { recursive: true });
      fd = openSync(appLogPath(this.launch.spec.paths.dir, app.name), "a", 0o640);
      this.logs.set(app.name, fd);
    }
    return fd;
  }

  private async startApps(): Promise<void> {
    const { spec } = this.launch;
    for (const warning of prepareSandbox(spec)) this.log(`warning: ${warning}`);
    for (const app of spec.apps) this.ids.set(app.name, resolveAppIds(app));
    for (const app of spec.apps) this.logFd(app);
    this.sandbox = await startSandbox(spec, { netns: this.launch.netns, stage2: this.launch.stage2 });
    this.set({ ...this.status, initPid: this.sandbox.initPid });
    this.log(`sandbox ready: init pid ${this.sandbox.initPid}`);
    for (const app of spec.apps) {
      for (const handler of app.eventHandlers.filter((h) => h.name === "pre-start")) {
        const exit = await this.runHandler(app, handler.exec);
        if (exit.ok) continue;
        this.set(withApp(this.status, app.name, { reason: `pre-start handler failed: ${exit.reason}` }));
        throw fail("invalid", "JP_ERR_POD_APP_HANDLER_FAILED", `app "${app.name}": its pre-start handler ${JSON.stringify(handler.exec.join(" "))} failed: ${exit.reason}`, {
          hint: `see the app's log, ${appLogPath(spec.paths.dir, app.name)}`,
        });
      }
    }
    for (const app of spec.apps) {
      const proc = startInApp({ initPid: this.sandbox.initPid, app, ids: this.ids.get(app.name)!, argv: app.exec, logFd: this.logFd(app), cgroupProcs: this.launch.cgroupProcs[app.name] ?? [] });
      this.exits.push(proc.exited.then((exit) => this.appExited(app.name, exit)));
      const started = await proc.started;
      if (!started.ok) {
        const exit = await proc.exited;
        this.set(withApp(this.status, app.name, { reason: started.reason, state: "exited", exitCode: exit.code, signal: exit.signal, exitedAt: new Date().toISOString() }));
        throw fail("invalid", "JP_ERR_POD_APP_START_FAILED", `app "${app.name}" failed to start: ${started.reason}`, { hint: `fix the app in the pod manifest; its log is ${appLogPath(spec.paths.dir, app.name)}` });
      }
      this.set(withApp(this.status, app.name, { state: "running", startedAt: new Date().toISOString() }));
      this.log(`app ${app.name} running (pid ${proc.pid})`);
    }
    this.set({ ...this.status, state: "running" });
    if (allExited(this.status)) void this.finish(null);
  }

  private async runHandler(app: RunApp, argv: string[]): Promise<{ ok: true } | { ok: false; reason: string }> {
    const proc = startInApp({ initPid: this.sandbox!.initPid, app, ids: ROOT, argv, logFd: this.logFd(app), cgroupProcs: this.launch.cgroupProcs[app.name] ?? [] });
    const started = await proc.started;
    const exit = await proc.exited;
    if (!started.ok) return started;
    return exit.code === 0 ? { ok: true } : { ok: false, reason: describeExit(exit) };
  }

  private appExited(name: string, exit: Exit): Exit {
    const app = this.status.apps.find((a) => a.name === name);
    if (app !== undefined && app.state !== "exited") {
      this.set(withApp(this.status, name, { state: "exited", exitCode: exit.code, signal: exit.signal, exitedAt: new Date().toISOString() }));
      this.log(`app ${name} exited (${describeExit(exit)})`);
    }
    if (this.status.state === "running" && allExited(this.status)) void this.finish(null);
    return exit;
  }

  private async failStart(e: unknown): Promise<void> {
    const error = e instanceof JetpackError ? e.toData() : toErrorData(e);
    this.log(`start failed: ${error.message}`);
    await this.teardown();
    const apps = this.status.apps.map((a) => (a.state === "running" ? { ...a, state: "exited" as const, reason: a.reason ?? "stopped: the pod failed to start" } : a));
    this.set({ ...this.status, apps, state: "failed", error });
    this.resolveDone(this.status);
  }

  /** Stops the pod: SIGTERM to every process, SIGKILL after `timeoutMs`, post-stop handlers, teardown. */
  async stop(timeoutMs: number): Promise<PodStatus> {
    await this.starting;
    if (isFinal(this.status)) return this.finishing ?? this.status;
    return this.finish(timeoutMs);
  }

  private finish(stopTimeoutMs: number | null): Promise<PodStatus> {
    this.finishing ??= this.runFinish(stopTimeoutMs);
    return this.finishing;
  }

  private async runFinish(stopTimeoutMs: number | null): Promise<PodStatus> {
    const initPid = this.sandbox?.initPid;
    if (stopTimeoutMs !== null && initPid !== undefined) {
      this.set({ ...this.status, state: "stopping" });
      this.signalInit(initPid, "SIGTERM");
      const all = Promise.all(this.exits);
      if ((await Promise.race([all, delay(stopTimeoutMs)])) === "timeout") {
        this.log(`apps still running after ${stopTimeoutMs} ms: SIGKILL`);
        for (const a of this.status.apps) if (a.state === "running") this.set(withApp(this.status, a.name, { reason: `killed: still running ${stopTimeoutMs} ms after SIGTERM` }));
        this.signalInit(initPid, "SIGUSR2");
        await Promise.race([all, delay(KILL_WAIT_MS)]);
      }
    }
    if (this.sandbox !== null) {
      for (const app of this.launch.spec.apps) {
        for (const handler of app.eventHandlers.filter((h) => h.name === "post-stop")) {
          const result = await Promise.race([this.runHandler(app, handler.exec), delay(POST_STOP_TIMEOUT_MS)]);
          if (result === "timeout" || !result.ok) this.log(`app ${app.name}: post-stop handler failed: ${result === "timeout" ? "timed out" : result.reason}`);
        }
      }
    }
    await this.teardown();
    this.set({ ...this.status, state: "exited" });
    this.resolveDone(this.status);
    return this.status;
  }

  private signalInit(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(pid, signal);
    } catch {
      // init is already gone; the apps with it
    }
  }

  private async teardown(): Promise<void> {
    if (this.sandbox !== null) await destroySandbox(this.sandbox);
    await Promise.race([Promise.all(this.exits), delay(KILL_WAIT_MS)]);
    for (const fd of this.logs.values()) closeSync(fd);
    this.logs.clear();
  }
}
