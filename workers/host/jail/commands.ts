// The argv of every jail(8), jls(8) and stage2 call the jail backend makes, and the parser of jls output. Pure.
//
// Nothing here runs anything: the effectful side hands these arrays to workers/host/exec.ts. Names and
// words are checked here, so nothing that jail(8) would read as a wildcard, a jail hierarchy or a jail ID,
// and nothing that stage2 would read as an environment word, reaches those programs.
import { posix } from "node:path";
import { fail } from "../../../machines/errors.js";
import { isACName } from "../../../machines/appc/names.js";
import type { PodRunSpec, RunApp } from "../../../machines/pod/run-spec.js";
import type { JailBackendConfig } from "./render-conf.js";

export const JAIL_COMMAND = "/usr/sbin/jail";
export const JLS_COMMAND = "/usr/sbin/jls";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// No `.` (jail(8) reads it as parent.child), no `*` (a wildcard in jail.conf), no blanks (jls output is
// split on spaces), nothing that needs quoting.
const NAME_PREFIX = /^[A-Za-z0-9_/:-]*$/;
// The kernel keeps jail names in a MAXHOSTNAMELEN buffer, terminating NUL included.
const MAX_JAIL_NAME = 255;
const MAX_ID = 0xfffffffe;
// The appc spec's rule for environment names; it also keeps stage2 from taking a word for the program.
const ENV_NAME = /^[A-Za-z_][A-Za-z_0-9.-]*$/;

/** Pure. Checks a `namePrefix` setting; throws `invalid` naming what is wrong with it. */
export function checkNamePrefix(prefix: string): void {
  if (!NAME_PREFIX.test(prefix)) {
    throw fail("invalid", "JP_ERR_JAIL_NAME", `jail name prefix ${JSON.stringify(prefix)} may hold only letters, digits, "_", "-", "/" and ":"`, {
      hint: 'Set namePrefix to something like "jetpack/" (no dots: jail(8) reads them as a jail hierarchy).',
    });
  }
  if (prefix.length + 36 > MAX_JAIL_NAME) {
    throw fail("invalid", "JP_ERR_JAIL_NAME", `jail name prefix ${JSON.stringify(prefix)} is too long: with a pod UUID it passes ${MAX_JAIL_NAME} characters`);
  }
}

/** Pure. The jail's name: `<prefix><uuid>` (Jetpack's `jail.namePrefix` + pod UUID). */
export function jailName(prefix: string, uuid: string): string {
  checkNamePrefix(prefix);
  if (!UUID.test(uuid)) throw fail("invalid", "JP_ERR_JAIL_NAME", `pod UUID ${JSON.stringify(uuid)} is not a lowercase UUID`);
  return prefix + uuid;
}

/** Pure. Where the pod's jail.conf lives: beside its manifest, in the pod directory. */
export function jailConfPath(spec: PodRunSpec): string {
  return posix.join(spec.paths.dir, "jail.conf");
}

/** Pure. `jail -f <conf> -c <name>`: creates the pod's jail (and mounts its fstab) from its jail.conf. */
export function jailCreateArgv(confPath: string, name: string): string[] {
  return [JAIL_COMMAND, "-f", confPath, "-c", name];
}

/** Pure. `jail -f <conf> -r <name>`: kills every process in the jail, removes it and unmounts its fstab. */
export function jailRemoveArgv(confPath: string, name: string): string[] {
  return [JAIL_COMMAND, "-f", confPath, "-r", name];
}

/** Pure. `jls -d jid dying name`: every jail, dying ones included, one `JID DYING NAME` line each. */
export function jailStatusArgv(): string[] {
  return [JLS_COMMAND, "-d", "jid", "dying", "name"];
}

export interface PodJailCommands {
  create: string[];
  remove: string[];
  status: string[];
}

/** Pure. The create, remove and status argv of one pod's jail. */
export function podJailCommands(spec: PodRunSpec, config: JailBackendConfig): PodJailCommands {
  const name = jailName(config.namePrefix, spec.uuid);
  const conf = jailConfPath(spec);
  return { create: jailCreateArgv(conf, name), remove: jailRemoveArgv(conf, name), status: jailStatusArgv() };
}

export interface JailState {
  jid: number;
  dying: boolean;
}

const JLS_LINE = /^([0-9]+) ([^ ]+) (.+)$/;

/**
 * Pure. Reads the output of `jls -d jid dying name` into a map from jail name to its JID and whether it is
 * dying. jls prints booleans as `true`/`false`. A name can be held by a dying jail and a new live one at
 * once; the live one wins, since that is the jail a caller can use.
 */
export function parseJls(output: string): Map<string, JailState> {
  const jails = new Map<string, JailState>();
  for (const raw of output.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") continue;
    const m = JLS_LINE.exec(line);
    const dying = m ? parseBool(m[2] ?? "") : undefined;
    if (!m || dying === undefined) {
      throw fail("internal", "JP_ERR_JAIL_JLS_OUTPUT", `unexpected line in the output of jls: ${JSON.stringify(line)}`, {
        hint: "Run `jls -d jid dying name` by hand; Jetpack expects `JID true|false NAME` on each line.",
      });
    }
    const name = m[3] ?? "";
    const state: JailState = { jid: Number(m[1]), dying };
    const seen = jails.get(name);
    if (seen === undefined || (seen.dying && !dying)) jails.set(name, state);
  }
  return jails;
}

function parseBool(word: string): boolean | undefined {
  if (word === "true" || word === "1") return true;
  if (word === "false" || word === "0") return false;
  return undefined;
}

/** Numeric ids, resolved by the caller in the app's rootfs (its /etc/passwd and /etc/group). */
export interface ResolvedIds {
  uid: number;
  gid: number;
  /** Supplementary groups, after the primary one. */
  gids: number[];
}

export interface Stage2Command {
  jid: number;
  appName: string;
  /** Absolute path inside the app's rootfs. */
  workingDirectory: string;
  /** The whole environment: stage2 starts the program with this and nothing else. */
  environment: ReadonlyArray<{ name: string; value: string }>;
  /** The program (an absolute path) and its arguments. */
  argv: readonly string[];
  ids: ResolvedIds;
}

function badExec(message: string, hint?: string): never {
  throw fail("invalid", "JP_ERR_JAIL_EXEC", message, hint === undefined ? {} : { hint });
}

function checkId(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_ID) badExec(`${what} ${n} is not a user or group number (0 to ${MAX_ID})`);
}

function checkNoNul(what: string, s: string): void {
  if (s.includes("\0")) badExec(`${what} holds a NUL byte, which no argument can carry`);
}

/**
 * Pure. `<libexec>/stage2 JID:UID:GID[,GID...]:APP:CWD NAME=value... /prog args...`: Jetpack's helper
 * attaches to the jail, chroots into `/app/<APP>/rootfs`, changes to CWD, drops to the ids and execs the
 * program with exactly the given environment. It takes every word before the first one that starts with
 * `/` as the environment, hence the checks on names and on the program path.
 */
export function stage2Argv(libexecDir: string, cmd: Stage2Command): string[] {
  if (!Number.isInteger(cmd.jid) || cmd.jid <= 0) badExec(`jail ID ${cmd.jid} is not a positive integer`);
  checkId("uid", cmd.ids.uid);
  checkId("gid", cmd.ids.gid);
  for (const g of cmd.ids.gids) checkId("supplementary gid", g);
  if (!isACName(cmd.appName)) badExec(`app name ${JSON.stringify(cmd.appName)} is not an AC Name`);
  const cwd = cmd.workingDirectory;
  checkNoNul(`working directory of app "${cmd.appName}"`, cwd);
  if (!cwd.startsWith("/")) badExec(`working directory ${JSON.stringify(cwd)} of app "${cmd.appName}" is not an absolute path`);
  if (cwd.includes(":")) {
    badExec(`working directory ${JSON.stringify(cwd)} of app "${cmd.appName}" contains ":", which separates the fields of stage2's first argument`, "Use a working directory without \":\" on the jail backend.");
  }
  const env: string[] = [];
  for (const { name, value } of cmd.environment) {
    if (!ENV_NAME.test(name)) badExec(`environment variable name ${JSON.stringify(name)} of app "${cmd.appName}" is not valid (^[A-Za-z_][A-Za-z_0-9.-]*$)`);
    checkNoNul(`environment variable ${name} of app "${cmd.appName}"`, value);
    env.push(`${name}=${value}`);
  }
  const [program, ...args] = cmd.argv;
  if (program === undefined) badExec(`app "${cmd.appName}" has nothing to run`, "Give the app an exec, in its image or in the pod manifest.");
  if (!program.startsWith("/")) {
    badExec(`program ${JSON.stringify(program)} of app "${cmd.appName}" is not an absolute path`, "appc requires exec[0] to be an absolute path inside the app's rootfs.");
  }
  for (const word of cmd.argv) checkNoNul(`an argument of app "${cmd.appName}"`, word);
  const groups = [cmd.ids.gid, ...cmd.ids.gids].join(",");
  const head = `${cmd.jid}:${cmd.ids.uid}:${groups}:${cmd.appName}:${cwd}`;
  return [posix.join(libexecDir, "stage2"), head, ...env, program, ...args];
}

/** Pure. The stage2 argv that runs `argv` (by default the app's own exec) as one of the pod's apps. */
export function appExecArgv(config: JailBackendConfig, jid: number, app: RunApp, ids: ResolvedIds, argv: readonly string[] = app.exec): string[] {
  return stage2Argv(config.libexecDir, {
    jid,
    appName: app.name,
    workingDirectory: app.workingDirectory === "" ? "/" : app.workingDirectory,
    environment: app.environment,
    argv,
    ids,
  });
}
