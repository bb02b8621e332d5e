// A pod's jail.conf, as Jetpack wrote it (reference/jetpack.md §3), and the jail backend's settings. Pure.
//
// One block named `<namePrefix><uuid>`, one `name = "value";` line per parameter, sorted, so the file is
// the same bytes for the same pod. Values are double-quoted with jail.conf(5)'s escapes, `$` included:
// jail(8) expands `$name` inside double quotes, which Go's %#v quoting (Jetpack's) did not guard against.
import { isIP } from "node:net";
import { z } from "zod";
import { fail } from "../../../machines/errors.js";
import type { PodRunSpec } from "../../../machines/pod/run-spec.js";
import { parseOrFail } from "../../../machines/validate.js";
import { checkNamePrefix, jailName } from "./commands.js";
import { fstabPath } from "./render-fstab.js";

export const JAIL_CONF_ANNOTATION_PREFIX = "jetpack/jail.conf/";

/** Jetpack's `ace.jailConf.*` defaults; the settings' `jailConf` merges over them. */
export const DEFAULT_JAIL_CONF: Readonly<Record<string, string>> = { securelevel: "2" };

/** The jail backend's settings (Jetpack's `jail.*`, `ace.jailConf.*` and `path.libexec` config keys). */
export const JailBackendConfigSchema = z.strictObject({
  /** Jail name = prefix + pod UUID. */
  namePrefix: z.string().default("jetpack/"),
  /** The host interface that carries the pods' addresses (jail(8) adds each as an alias). */
  interface: z
    .string()
    .regex(/^[A-Za-z0-9_.]+$/, "must be an interface name such as lo1")
    .default("lo1"),
  /** Where stage2 is installed. */
  libexecDir: z.string().startsWith("/", "must be an absolute path").default("/usr/local/libexec/jetpack"),
  /** Extra jail(8) parameters for every pod, over DEFAULT_JAIL_CONF; an empty value unsets one. */
  jailConf: z.record(z.string(), z.string()).default({}),
});
export type JailBackendConfig = z.output<typeof JailBackendConfigSchema>;

const PARAM_NAME = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/;

function checkParamName(param: string, source: string): void {
  if (!PARAM_NAME.test(param)) {
    throw fail("invalid", "JP_ERR_JAIL_PARAM_NAME", `${source} names jail parameter ${JSON.stringify(param)}, which is not a jail.conf parameter name`, {
      hint: "Parameter names are lowercase letters, digits and \"_\", in dot-separated parts, as jail(8) lists them (allow.chflags, securelevel).",
    });
  }
}

function checkParamValue(value: string, source: string): void {
  if (value.includes("\0")) throw fail("invalid", "JP_ERR_JAIL_PARAM_VALUE", `${source} has a NUL byte in its value, which jail.conf cannot hold`);
}

/** Pure. Reads the jail backend settings (defaults filled in), or throws `invalid` naming the field at fault. */
export function parseJailBackendConfig(value: unknown): JailBackendConfig {
  const config = parseOrFail(JailBackendConfigSchema, value, "JP_ERR_JAIL_CONFIG", "jail backend settings");
  checkNamePrefix(config.namePrefix);
  for (const [param, v] of Object.entries(config.jailConf)) {
    checkParamName(param, `setting jailConf.${param}`);
    checkParamValue(v, `setting jailConf.${param}`);
  }
  return config;
}

/**
 * Parameters a pod annotation may not set, though the operator's settings may: they say where the jail's
 * files, mounts and addresses come from (`path=/` would make the host's root the jail's), or run commands
 * on the host as root (`exec.prestart`). The original let annotations set anything.
 */
const RESERVED_FOR_PODS: ReadonlySet<string> = new Set(["name", "jid", "path", "persist", "host.hostuuid", "mount", "command", "depend", "interface", "ip4.addr", "ip6.addr", "ip_hostname", "vnet", "vnet.interface"]);
const RESERVED_PREFIXES_FOR_PODS = ["mount.", "exec."];

/** The name jail(8) sees once a `no` prefix on the last part is dropped (`allow.nomount` is `allow.mount`). */
function baseParam(param: string): string {
  const dot = param.lastIndexOf(".");
  const last = param.slice(dot + 1);
  return last.startsWith("no") ? param.slice(0, dot + 1) + last.slice(2) : param;
}

function isReservedForPods(param: string): boolean {
  const base = baseParam(param);
  return RESERVED_FOR_PODS.has(base) || RESERVED_PREFIXES_FOR_PODS.some((prefix) => base.startsWith(prefix));
}

/** Pure. The `jetpack/jail.conf/<param>` pod annotations as jail parameters (`-` becomes `_`, as in Jetpack). */
export function annotationJailParams(annotations: PodRunSpec["annotations"]): Array<{ annotation: string; param: string; value: string }> {
  const out: Array<{ annotation: string; param: string; value: string }> = [];
  for (const { name, value } of annotations) {
    if (!name.startsWith(JAIL_CONF_ANNOTATION_PREFIX)) continue;
    const param = name.slice(JAIL_CONF_ANNOTATION_PREFIX.length).replaceAll("-", "_");
    const source = `pod annotation ${JSON.stringify(name)}`;
    checkParamName(param, source);
    checkParamValue(value, source);
    if (isReservedForPods(param)) {
      throw fail("invalid", "JP_ERR_JAIL_PARAM_RESERVED", `${source} sets jail parameter ${JSON.stringify(param)}, which Jetpack manages itself`, {
        hint: "Pods may set jail permissions and limits (allow.*, securelevel, enforce_statfs, ...); paths, mounts, addresses and exec.* belong to the host's settings.",
      });
    }
    out.push({ annotation: name, param, value });
  }
  return out;
}

/** Sets `param`, replacing any spelling jail(8) takes for the same one (`persist` / `nopersist`); "" unsets. */
function setParam(params: Map<string, string>, param: string, value: string): void {
  const base = baseParam(param);
  for (const key of [...params.keys()]) if (baseParam(key) === base) params.delete(key);
  if (value !== "") params.set(param, value);
}

/**
 * Pure. The pod's jail parameters, each layer over the one before, as Jetpack layered them: the backend's
 * own (exec.clean, host.hostuuid, path, persist, mount.fstab); the settings' jailConf over its defaults;
 * the pod's hostname and address; then its `jetpack/jail.conf/*` annotations. An empty value unsets.
 */
export function jailConfParams(spec: PodRunSpec, config: JailBackendConfig): Map<string, string> {
  const params = new Map<string, string>();
  setParam(params, "exec.clean", "true");
  setParam(params, "host.hostuuid", spec.uuid);
  setParam(params, "path", spec.paths.root);
  setParam(params, "persist", "true");
  setParam(params, "mount.fstab", fstabPath(spec));
  for (const [param, value] of Object.entries({ ...DEFAULT_JAIL_CONF, ...config.jailConf })) {
    checkParamName(param, `setting jailConf.${param}`);
    setParam(params, param, value);
  }
  setParam(params, "host.hostname", spec.hostname);
  if (spec.ip !== null) {
    const family = isIP(spec.ip);
    if (family === 0) throw fail("invalid", "JP_ERR_JAIL_ADDRESS", `pod address ${JSON.stringify(spec.ip)} is not an IP address`);
    setParam(params, "interface", config.interface);
    setParam(params, family === 4 ? "ip4.addr" : "ip6.addr", spec.ip);
  }
  for (const { param, value } of annotationJailParams(spec.annotations)) setParam(params, param, value);
  return params;
}

/** Pure. A jail.conf double-quoted string: `\\`, `\"`, `\$`, C escapes for control characters. */
export function quoteJailConfString(value: string): string {
  if (value.includes("\0")) throw fail("invalid", "JP_ERR_JAIL_PARAM_VALUE", `jail.conf value ${JSON.stringify(value)} holds a NUL byte, which jail.conf cannot hold`);
  const escaped = value.replace(/[\x01-\x1f\x7f"$\\]/g, (c) => {
    switch (c) {
      case "\n":
        return "\\n";
      case "\t":
        return "\\t";
      case "\r":
        return "\\r";
      case '"':
      case "$":
      case "\\":
        return `\\${c}`;
      default:
        // Always three digits, so a digit that follows is not read as part of the escape.
        return `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`;
    }
  });
  return `"${escaped}"`;
}

/** Pure. The pod's jail.conf: one block, parameters sorted by name. */
export function renderJailConf(spec: PodRunSpec, config: JailBackendConfig): string {
  const params = jailConfParams(spec, config);
  const lines = [...params.keys()].sort().map((key) => `  ${key} = ${quoteJailConfString(params.get(key) ?? "")};\n`);
  return `${quoteJailConfString(jailName(config.namePrefix, spec.uuid))} {\n${lines.join("")}}\n`;
}
