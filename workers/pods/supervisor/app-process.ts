// Starting one process (an app or an event handler) in a pod through stage2, with its output appended
// to the app's log file and a status pipe that tells whether stage2 reached execve. Effects.
import type { Readable } from "node:stream";
import type { RunApp } from "../../../machines/pod/run-spec.js";
import type { AppIds } from "../../host/linux/app-user.js";
import { appCommand, appEnvironment, inCgroups } from "../../host/linux/commands.js";
import { resolved } from "../../host/linux/sandbox.js";
import { startProcess } from "../../host/exec.js";

export interface Exit {
  code: number | null;
  signal: string | null;
}

export interface AppProcessHandle {
  pid: number | undefined;
  /** Resolves once stage2 is about to exec the program ("ok"), or with the reason it could not. */
  started: Promise<{ ok: true } | { ok: false; reason: string }>;
  exited: Promise<Exit>;
}

const STATUS_FD = 3;

function firstLine(stream: Readable): Promise<string | null> {
  return new Promise((resolve) => {
    let text = "";
    const done = (line: string | null) => {
      stream.removeAllListeners("data");
      stream.destroy();
      resolve(line);
    };
    stream.on("data", (b: Buffer) => {
      text += b.toString("utf8");
      const nl = text.indexOf("\n");
      if (nl >= 0) done(text.slice(0, nl));
    });
    stream.on("end", () => done(text === "" ? null : text));
    stream.on("error", () => done(null));
  });
}

/** Effects. Starts `argv` in `app` of the pod whose init is `initPid`, as `ids`, logging to `logFd`. */
export function startInApp(input: { initPid: number; app: RunApp; ids: AppIds; argv: readonly string[]; logFd: number; cgroupProcs: readonly string[] }): AppProcessHandle {
  const command = resolved(
    inCgroups(
      input.cgroupProcs,
      resolved(
        appCommand({
          initPid: input.initPid,
          index: input.app.index,
          workingDirectory: input.app.workingDirectory,
          uid: input.ids.uid,
          gid: input.ids.gid,
          groups: input.ids.groups,
          argv: input.argv,
          statusFd: STATUS_FD,
        }),
      ),
    ),
  );
  const child = startProcess(command.cmd, command.args, {
    env: appEnvironment(input.app.environment),
    stdio: ["ignore", input.logFd, input.logFd, "pipe"],
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: 127, signal: null }));
  });
  const statusPipe = child.stdio[STATUS_FD] as Readable;
  const started = firstLine(statusPipe).then(async (line): Promise<{ ok: true } | { ok: false; reason: string }> => {
    if (line === "ok") return { ok: true };
    if (line?.startsWith("error: ")) return { ok: false, reason: line.slice("error: ".length) };
    const exit = await exited;
    return { ok: false, reason: `it exited before it started (${exit.signal !== null ? `signal ${exit.signal}` : `exit ${exit.code}`})` };
  });
  return { pid: child.pid, started, exited };
}
