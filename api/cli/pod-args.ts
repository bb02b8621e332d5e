// `jetpack pod create` and `jetpack run` arguments into a pod template. Pure.
//
// Order matters, as in Jetpack: `-a` before the first IMAGE annotates the pod, after an IMAGE it
// annotates that app; `--app-name` and `-m` belong to the IMAGE before them.
import { fail } from "../../machines/errors.js";
import type { ParsedArgs } from "./args.js";

export const POD_CREATE_FLAGS = {
  boolean: ["dry-run"],
  value: ["file", "name", "volume", "annotation", "app-name", "mount"],
  alias: { f: "file", v: "volume", a: "annotation", m: "mount" },
} as const;

export const POD_CREATE_USAGE =
  "[-f pod.json|-] [--name NAME] [-v VOLUME[,kind=host,source=PATH,readOnly=true]] [-a KEY=VALUE] IMAGE [--app-name NAME] [-m VOLUME[:PATH]] [-a KEY=VALUE] [IMAGE ...] [--dry-run]";

interface TemplateApp {
  image: string;
  name?: string;
  annotations: Array<{ name: string; value: string }>;
  mounts: Array<{ volume: string; path?: string }>;
}

export interface PodCreateArgs {
  /** `-f FILE` or `-f -`: read by the command (it has the file system and stdin). */
  file: string | undefined;
  name: string | undefined;
  dryRun: boolean;
  template: {
    apps: TemplateApp[];
    volumes: Array<Record<string, unknown>>;
    annotations: Array<{ name: string; value: string }>;
  };
}

function keyValue(text: string, flag: string): { name: string; value: string } {
  const eq = text.indexOf("=");
  if (eq <= 0) throw fail("invalid", "JP_ERR_CLI_FLAG", `${flag} takes KEY=VALUE, got ${text}`);
  return { name: text.slice(0, eq), value: text.slice(eq + 1) };
}

const BOOLEAN_VOLUME_FIELDS = new Set(["readOnly", "recursive"]);
const NUMBER_VOLUME_FIELDS = new Set(["uid", "gid"]);
const VOLUME_FIELDS = new Set(["kind", "source", "readOnly", "recursive", "mode", "uid", "gid"]);

/** Pure. `-v NAME[,key=value...]` as a pod manifest volume (kind empty unless said). */
export function parseVolumeFlag(text: string): Record<string, unknown> {
  const [name, ...pairs] = text.split(",");
  if (!name) throw fail("invalid", "JP_ERR_CLI_FLAG", `-v needs a volume name first, got ${text}`, { hint: "e.g. -v data or -v logs,kind=host,source=/srv/logs" });
  const volume: Record<string, unknown> = { name, kind: "empty" };
  for (const pair of pairs) {
    const { name: key, value } = keyValue(pair, "-v");
    if (!VOLUME_FIELDS.has(key)) throw fail("invalid", "JP_ERR_CLI_FLAG", `-v ${name}: unknown field ${key}`, { hint: `volume fields: ${[...VOLUME_FIELDS].join(", ")}` });
    if (BOOLEAN_VOLUME_FIELDS.has(key)) {
      if (value !== "true" && value !== "false") throw fail("invalid", "JP_ERR_CLI_FLAG", `-v ${name}: ${key} is true or false, got ${value}`);
      volume[key] = value === "true";
    } else if (NUMBER_VOLUME_FIELDS.has(key)) {
      if (!/^\d+$/.test(value)) throw fail("invalid", "JP_ERR_CLI_FLAG", `-v ${name}: ${key} is a number, got ${value}`);
      volume[key] = Number(value);
    } else volume[key] = value;
  }
  return volume;
}

/** Pure. `-m VOLUME[:PATH]`. */
export function parseMountFlag(text: string): { volume: string; path?: string } {
  const colon = text.indexOf(":");
  if (colon === -1) return { volume: text };
  return { volume: text.slice(0, colon), path: text.slice(colon + 1) };
}

/** Pure. Reads `pod create` arguments in order into a template; throws invalid naming a misplaced flag. */
export function podCreateArgs(args: ParsedArgs): PodCreateArgs {
  const out: PodCreateArgs = { file: undefined, name: undefined, dryRun: args.booleans.has("dry-run"), template: { apps: [], volumes: [], annotations: [] } };
  for (const item of args.sequence) {
    const app = out.template.apps.at(-1);
    if ("positional" in item) {
      out.template.apps.push({ image: item.positional, annotations: [], mounts: [] });
      continue;
    }
    const { flag, value } = item;
    if (flag === "file") out.file = value;
    else if (flag === "name") out.name = value;
    else if (flag === "volume") out.template.volumes.push(parseVolumeFlag(value));
    else if (flag === "annotation") (app ? app.annotations : out.template.annotations).push(keyValue(value, "-a"));
    else if (flag === "app-name" || flag === "mount") {
      if (!app) throw fail("invalid", "JP_ERR_CLI_ARGS", `--${flag} ${value} comes before any IMAGE`, { hint: `put it after the image it is for: IMAGE --${flag} ${value}` });
      if (flag === "app-name") app.name = value;
      else app.mounts.push(parseMountFlag(value));
    }
  }
  if (out.template.apps.length === 0 && out.file === undefined) {
    throw fail("invalid", "JP_ERR_CLI_ARGS", "a pod needs at least one IMAGE, or a manifest with -f", { hint: `usage: jetpack pod create ${POD_CREATE_USAGE}` });
  }
  return out;
}
