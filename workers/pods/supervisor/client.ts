// What the daemon's workers (and the CLI) use to run pods through their supervisors: launch, status,
// watch, stop, kill, and the command line of `jetpack pod exec`. Effects.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fail, JetpackError } from "../../../machines/errors.js";
import type { PodRunSpec } from "../../../machines/pod/run-spec.js";
import { resolveAppIds } from "../../host/linux/app-user.js";
import { appCommand, appEnvironment } from "../../host/linux/commands.js";
import { hostTool, isPodInit } from "../../host/linux/sandbox.js";
import { startProcess } from "../../host/exec.js";
import { supervisorPaths, type LaunchFile } from "./launch.js";
import { isFinal, type PodStatus } from "./status.js";

export type { PodStatus, AppStatus, PodState, AppState } from "./status.js";

const LAUNCH_TIMEOUT_MS = 120_000;

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  // From the sources or from dist/ (which has no package.json of its own): the first package.json up.
  while (!existsSync(join(dir, "package.json")) || dir.endsWith("/dist")) {
    const up = dirname(dir);
    if (up === dir) throw fail("internal", "JP_ERR_POD_STAGE2_MISSING", "cannot find the jetpack installation directory");
    dir = up;
  }
  return dir;
}

/** Effects. Where jetpack-stage2 is built (ops/build-stage2.sh): `<install>/dist/stage2/jetpack-stage2`. */
export function defaultStage2(): string {
  return join(repoRoot(), "dist", "stage2", "jetpack-stage2");
}

/** How to start main.ts/main.js next to this file: compiled, or through tsx when running from source. */
function supervisorCommand(): string[] {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith(".ts")) return ["--import", import.meta.resolve("tsx"), join(dirname(self), "main.ts")];
  return [join(dirname(self), "main.js")];
}

function alive(pid: number | null | undefined): boolean {
  if (pid === null || pid === undefined || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readRecorded(podDir: string): PodStatus | null {
  try {
    return { ...(JSON.parse(readFileSync(supervisorPaths(podDir).status, "utf8")) as PodStatus), supervisor: "gone" };
  } catch {
    return null;
  }
}

function call(podDir: string, method: string, path: string, timeoutMs: number): Promise<PodStatus> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: supervisorPaths(podDir).socket, method, path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (b: Buffer) => chunks.push(b));
      res.on("end", () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as PodStatus;
          if (res.statusCode === 200) resolve(body);
          else reject(new JetpackError(body as never));
        } catch (e) {
          reject(e);
        }
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** Effects. The pod's status: live from its supervisor, else as recorded in status.json (`supervisor: "gone"`); null when never launched. */
export async function podStatus(podDir: string): Promise<PodStatus | null> {
  try {
    return await call(podDir, "GET", "/status", 5_000);
  } catch {
    return readRecorded(podDir);
  }
}

/**
 * Effects. Calls `onStatus` with the current status, then with each change, until the pod is over or
 * `close()` is called. A pod without a live supervisor gets one call with its recorded status.
 */
export function watchPod(podDir: string, onStatus: (s: PodStatus) => void): { close(): void } {
  let closed = false;
  const req = request({ socketPath: supervisorPaths(podDir).socket, method: "GET", path: "/watch" }, (res) => {
    let buffer = "";
    res.on("data", (b: Buffer) => {
      buffer += b.toString("utf8");
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.trim() === "" || closed) continue;
        let status: PodStatus;
        try {
          status = JSON.parse(line) as PodStatus;
        } catch {
          continue; // a torn line from a supervisor killed mid-write: the next one or status.json will tell
        }
        onStatus(status);
      }
    });
    res.on("error", () => {});
  });
  req.on("error", () => {
    const recorded = readRecorded(podDir);
    if (recorded !== null && !closed) onStatus(recorded);
  });
  req.end();
  return {
    close() {
      closed = true;
      req.destroy();
    },
  };
}

function startError(status: PodStatus | null, podDir: string): JetpackError {
  if (status?.error) return new JetpackError(status.error);
  let tail = "";
  try {
    tail = readFileSync(supervisorPaths(podDir).log, "utf8").trim().split("\n").slice(-3).join(" / ");
  } catch {
    // no log: nothing to add
  }
  return fail("internal", "JP_ERR_POD_SUPERVISOR", `the pod supervisor exited before the pod started${tail ? `: ${tail}` : ""}`, { hint: `see ${supervisorPaths(podDir).log}` });
}

/**
 * Effects. Starts the pod's supervisor (detached: it outlives the caller) and resolves once every app
 * runs. Rejects with the supervisor's error (e.g. invalid JP_ERR_POD_APP_START_FAILED naming the app and
 * the reason, JP_ERR_POD_VOLUME_SOURCE naming the volume) with nothing left running; conflict
 * JP_ERR_POD_ALREADY_RUNNING when a supervisor of this pod is alive.
 */
export async function launchPod(input: { spec: PodRunSpec; netns: string | null; cgroupProcs?: Record<string, string[]>; stage2?: string }): Promise<PodStatus> {
  const podDir = input.spec.paths.dir;
  const paths = supervisorPaths(podDir);
  const previous = await podStatus(podDir);
  if (previous?.supervisor === "live") {
    throw fail("conflict", "JP_ERR_POD_ALREADY_RUNNING", `pod ${input.spec.uuid} already has a supervisor (pid ${previous.supervisorPid})`, { hint: "stop the pod first" });
  }
  const stage2 = input.stage2 ?? defaultStage2();
  if (!existsSync(stage2)) throw fail("unavailable", "JP_ERR_POD_STAGE2_MISSING", `${stage2} does not exist`, { hint: "build it with ops/build-stage2.sh" });
  mkdirSync(paths.logs, { recursive: true });
  const launch: LaunchFile = { spec: input.spec, netns: input.netns, stage2, cgroupProcs: input.cgroupProcs ?? {} };
  writeFileSync(paths.launch, `${JSON.stringify(launch, null, 2)}\n`, { mode: 0o600 });
  rmSync(paths.status, { force: true });
  const logFd = openSync(paths.log, "a", 0o600);
  let exited = false;
  try {
    const child = startProcess(process.execPath, [...supervisorCommand(), paths.launch], { detached: true, stdio: ["ignore", logFd, logFd], cwd: "/" });
    child.once("exit", () => (exited = true));
    child.once("error", () => (exited = true));
    child.unref();
  } finally {
    closeSync(logFd);
  }
  const deadline = Date.now() + LAUNCH_TIMEOUT_MS;
  for (;;) {
    const status = readRecorded(podDir);
    if (status?.state === "running" || status?.state === "exited") return { ...status, supervisor: status.state === "running" ? "live" : "gone" };
    if (status?.state === "failed") {
      await waitGone(status.supervisorPid, 15_000);
      throw startError(status, podDir);
    }
    if (exited) throw startError(readRecorded(podDir), podDir);
    if (Date.now() > deadline) {
      await killPod(podDir);
      throw fail("unavailable", "JP_ERR_POD_START_TIMEOUT", `pod ${input.spec.uuid} did not start within ${LAUNCH_TIMEOUT_MS} ms`, { hint: `see ${paths.log}` });
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function waitGone(pid: number | null, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}

/**
 * Effects. Stops the pod (SIGTERM to every process, SIGKILL after `timeoutMs`, post-stop handlers,
 * teardown) and resolves with its final status. Idempotent: a stopped pod answers with its recorded
 * status. not_found JP_ERR_POD_NOT_LAUNCHED when the pod never ran.
 */
export async function stopPod(podDir: string, opts: { timeoutMs: number }): Promise<PodStatus> {
  try {
    const final = await call(podDir, "POST", `/stop?timeoutMs=${opts.timeoutMs}`, opts.timeoutMs + 60_000);
    await waitGone(final.supervisorPid, 5_000);
    return { ...final, supervisor: "gone" };
  } catch (e) {
    if (e instanceof JetpackError) throw e;
  }
  const recorded = readRecorded(podDir);
  if (recorded === null) throw fail("not_found", "JP_ERR_POD_NOT_LAUNCHED", `${podDir} holds no pod status: the pod never ran`, { hint: "start the pod first" });
  if (!isFinal(recorded)) await killPod(podDir);
  return recorded;
}

/** Effects. Kills the pod's supervisor and init when alive (pids from status.json) and removes its socket; idempotent. */
export async function killPod(podDir: string): Promise<void> {
  const paths = supervisorPaths(podDir);
  const recorded = readRecorded(podDir);
  const supervisorPid = recorded?.supervisorPid ?? null;
  if (alive(supervisorPid) && readCmdline(supervisorPid!).includes(paths.launch)) process.kill(supervisorPid!, "SIGKILL");
  const initPid = recorded?.initPid ?? null;
  if (alive(initPid) && isPodInit(initPid!)) process.kill(initPid!, "SIGKILL");
  await waitGone(supervisorPid, 5_000);
  await waitGone(initPid, 5_000);
  rmSync(paths.socket, { force: true });
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/**
 * Effects (reads status.json and the app's rootfs). The command line that runs `argv` in app `appName`
 * of a running pod with the app's user, groups, environment and working directory, for the CLI to spawn
 * with inherited stdio; nsenter passes the exit code through. conflict JP_ERR_POD_NOT_RUNNING when the
 * pod has no live init; not_found JP_ERR_POD_APP_NOT_FOUND for an unknown app.
 */
export function execArgv(podDir: string, spec: PodRunSpec, appName: string, argv: string[]): { cmd: string; args: string[]; env: Record<string, string> } {
  const app = spec.apps.find((a) => a.name === appName);
  if (app === undefined) throw fail("not_found", "JP_ERR_POD_APP_NOT_FOUND", `pod ${spec.uuid} has no app "${appName}"`, { hint: `its apps: ${spec.apps.map((a) => a.name).join(", ")}` });
  const recorded = readRecorded(podDir);
  const initPid = recorded?.initPid ?? null;
  if (recorded === null || isFinal(recorded) || initPid === null || !alive(initPid) || !isPodInit(initPid)) {
    throw fail("conflict", "JP_ERR_POD_NOT_RUNNING", `pod ${spec.uuid} is not running`, { hint: "start the pod first" });
  }
  const ids = resolveAppIds(app);
  const command = appCommand({ initPid, index: app.index, workingDirectory: app.workingDirectory, uid: ids.uid, gid: ids.gid, groups: ids.groups, argv: argv.length > 0 ? argv : app.exec });
  return { cmd: hostTool(command.cmd), args: command.args, env: appEnvironment(app.environment) };
}
