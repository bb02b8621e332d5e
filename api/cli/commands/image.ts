// jetpack image import | list | show | destroy (export has its own file: it streams bytes, not JSON).
import { resolve } from "node:path";
import { fail } from "../../../machines/errors.js";
import type { ImageView } from "../../../machines/projections/images.js";
import { expectPositionals, lastValue, listValues, type ParsedArgs } from "../args.js";
import { segment } from "../client.js";
import type { CliContext, Command } from "../context.js";
import { displayImageId, formatFields, formatTable, humanBytes, imageNameWithLabels, jsonText, localTime } from "../format.js";
import { waitShowingProgress, type OperationAnswer } from "../wait.js";

/** An image as GET /v1/images lists it. */
export type ImageSummary = Pick<ImageView, "id" | "name" | "labels" | "state" | "aciBytes" | "tarBytes" | "importedAt" | "importedBy" | "dependencies">;

const INSECURE_OPTIONS = ["image", "http", "tls"];

/** Pure. The values of --insecure-options (repeated or comma-separated), checked. */
export function insecureOptions(args: ParsedArgs): string[] {
  const given = listValues(args, "insecure-options");
  const bad = given.find((o) => !INSECURE_OPTIONS.includes(o));
  if (bad !== undefined) {
    throw fail("invalid", "JP_ERR_CLI_FLAG", `unknown insecure option ${bad}`, { hint: `--insecure-options takes ${INSECURE_OPTIONS.join(", ")}` });
  }
  return [...new Set(given)];
}

/** Prints what a command that queued an operation says: its id with --no-wait, else waits for the end. */
async function finishOperation(args: ParsedArgs, ctx: CliContext, op: OperationAnswer): Promise<OperationAnswer | undefined> {
  if (args.booleans.has("no-wait")) {
    ctx.stdout.write(ctx.json ? jsonText(op) : `${op.id}\n`);
    return undefined;
  }
  const done = await waitShowingProgress(ctx, op.id);
  if (ctx.json) ctx.stdout.write(jsonText(done));
  return done;
}

const importUsage = "jetpack image import FILE|- [--sig FILE.aci.asc] [--insecure-options=image] [--no-wait] [--json]";

export async function imageImport(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const [source] = expectPositionals(args, ["FILE"], importUsage) as [string];
  const insecure = insecureOptions(args);
  let op: OperationAnswer;
  if (source === "-") {
    if (ctx.stdin.isTTY) {
      throw fail("invalid", "JP_ERR_CLI_STDIN", "refusing to read an ACI from a terminal", { hint: "redirect or pipe one in: jetpack image import - < app.aci" });
    }
    const query = insecure.length > 0 ? { insecureOptions: insecure.join(",") } : {};
    op = await ctx.client.request<OperationAnswer>("POST", "/v1/images/upload", { query, upload: ctx.stdin });
  } else {
    const sig = lastValue(args, "sig");
    const signature = sig !== undefined ? { signature: { path: resolve(ctx.cwd, sig) } } : {};
    op = await ctx.client.request<OperationAnswer>("POST", "/v1/images", { json: { source: { path: resolve(ctx.cwd, source) }, ...signature, insecureOptions: insecure } });
  }
  const done = await finishOperation(args, ctx, op);
  if (done && !ctx.json) printImage(ctx, done);
}

/** Prints the image an operation made (or found already there). */
function printImage(ctx: CliContext, done: OperationAnswer): void {
  const id = done.result?.id;
  if (done.result?.existing === true) ctx.stderr.write(`jetpack: the image was already in the store\n`);
  ctx.stdout.write(`${typeof id === "string" ? id : done.id}\n`);
}

const fetchUsage = "jetpack image fetch NAME[:VERSION][,label=value...] [--insecure-options=http,tls,image] [--trust-keys-from-https] [--fingerprint FP] [--no-wait] [--json]";

export async function imageFetch(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const [image] = expectPositionals(args, ["IMAGE"], fetchUsage) as [string];
  const fingerprint = lastValue(args, "fingerprint");
  const body = { image, insecureOptions: insecureOptions(args), trustKeysFromHttps: args.booleans.has("trust-keys-from-https"), ...(fingerprint ? { fingerprint } : {}) };
  for (;;) {
    const op = await ctx.client.request<OperationAnswer>("POST", "/v1/images/fetch", { json: body });
    try {
      const done = await finishOperation(args, ctx, op);
      if (done && !ctx.json) printImage(ctx, done);
      return;
    } catch (err) {
      // An unknown publisher key: on a terminal, show it and let the user decide, then fetch again.
      if (!(await askToTrust(ctx, err))) throw err;
    }
  }
}

interface OfferedKey {
  fingerprint: string;
  userIds: string[];
  url: string;
}

/** Shows each key the publisher offers and asks; true when the user trusted at least one. */
async function askToTrust(ctx: CliContext, err: unknown): Promise<boolean> {
  const e = err as { code?: string; details?: { prefix?: string; keys?: OfferedKey[] } };
  if (e.code !== "JP_ERR_TRUST_UNKNOWN_KEY" || !ctx.stdin.isTTY || ctx.json || !e.details?.keys || !e.details.prefix) return false;
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: ctx.stdin, output: ctx.stderr as NodeJS.WritableStream });
  let trusted = false;
  try {
    for (const key of e.details.keys) {
      ctx.stderr.write(`The publisher of ${e.details.prefix} offers this signing key (${key.url}):\n  fingerprint ${key.fingerprint}\n${key.userIds.map((u) => `  ${u}\n`).join("")}`);
      const answer = (await rl.question(`Trust it for images under ${e.details.prefix}? [y/N] `)).trim().toLowerCase();
      if (answer !== "y" && answer !== "yes") continue;
      await ctx.client.request("POST", "/v1/trust", { json: { url: key.url, prefix: e.details.prefix, fingerprint: key.fingerprint } });
      trusted = true;
    }
  } finally {
    rl.close();
  }
  return trusted;
}

export const fetchCommand: Command = {
  words: ["image", "fetch"],
  usage: fetchUsage,
  summary: "find an image by name (appc discovery), download it, verify its signature and import it",
  details: [
    "Missing dependencies are fetched too. A download cut short (or a daemon restart) resumes where it stopped.",
    "The os and arch labels default to this host's; version defaults to latest.",
    "  --insecure-options=http   allow plain http for discovery and downloads",
    "  --insecure-options=tls    do not check certificates",
    "  --insecure-options=image  do not verify the signature (recorded in the audit trail)",
    "  --trust-keys-from-https   trust the publisher's keys found by discovery over https, without asking",
    "  --fingerprint FP          trust a discovered key only if it has this fingerprint",
  ].join("\n"),
  flags: { boolean: ["no-wait", "trust-keys-from-https"], value: ["insecure-options", "fingerprint"] },
  run: imageFetch,
};

export async function imageList(args: ParsedArgs, ctx: CliContext): Promise<void> {
  expectPositionals(args, [], listCommand.usage);
  const answer = await ctx.client.request<{ images: ImageSummary[] }>("GET", "/v1/images");
  if (ctx.json) return void ctx.stdout.write(jsonText(answer));
  const long = args.booleans.has("long");
  if (args.booleans.has("quiet")) {
    ctx.stdout.write(answer.images.map((i) => `${displayImageId(i.id, long)}\n`).join(""));
    return;
  }
  ctx.stdout.write(formatTable(["ID", "NAME", "SIZE", "IMPORTED"], answer.images.map((i) => imageRow(i, long))));
}

/** Pure. One row of `jetpack image list`. */
export function imageRow(i: ImageSummary, long: boolean): string[] {
  const name = imageNameWithLabels(i.name, i.labels) + (i.state === "ready" ? "" : ` (${i.state})`);
  return [displayImageId(i.id, long), name, humanBytes(i.tarBytes), localTime(i.importedAt)];
}

export async function imageShow(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const [ref] = expectPositionals(args, ["IMAGE"], showCommand.usage) as [string];
  const image = await ctx.client.request<ImageSummary & { manifest: unknown }>("GET", `/v1/images/${segment(ref)}`);
  ctx.stdout.write(ctx.json ? jsonText(image) : formatFields(imageFields(image)));
}

/** Pure. The lines of `jetpack image show`. */
export function imageFields(image: ImageSummary & { manifest: unknown }): Array<[string, string]> {
  const fields: Array<[string, string]> = [
    ["ID", image.id],
    ["Name", imageNameWithLabels(image.name, image.labels)],
    ["State", image.state],
    ["Size", `${humanBytes(image.tarBytes)} (ACI ${humanBytes(image.aciBytes)})`],
    ["Imported", `${localTime(image.importedAt)} by ${image.importedBy}`],
  ];
  for (const dep of image.dependencies) fields.push(["Depends on", dep]);
  const app = (image.manifest as { app?: { exec?: unknown; user?: unknown; group?: unknown } } | null)?.app;
  if (app && Array.isArray(app.exec)) fields.push(["Exec", `${app.exec.join(" ")} (as ${String(app.user)}:${String(app.group)})`]);
  return fields;
}

/**
 * Pure. The reference a destroy sends for image `id`: `sha512-` and 64 hex digits (256 bits, as unique as
 * the whole), because the API's router refuses path parameters over 100 characters and a whole ID has 135.
 */
export function destroyRef(id: string): string {
  return id.slice(0, "sha512-".length + 64);
}

export async function imageDestroy(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const [ref] = expectPositionals(args, ["IMAGE"], destroyCommand.usage) as [string];
  // Resolve first, then destroy by ID: an image imported meanwhile cannot make a short prefix mean another.
  const image = await ctx.client.request<ImageSummary>("GET", `/v1/images/${segment(ref)}`);
  const op = await ctx.client.request<OperationAnswer>("DELETE", `/v1/images/${segment(destroyRef(image.id))}`);
  const done = await finishOperation(args, ctx, op);
  if (done && !ctx.json) ctx.stdout.write(`${image.id}\n`);
}

const waitFlags = { boolean: ["no-wait"] };

export const importCommand: Command = {
  words: ["image", "import"],
  usage: importUsage,
  summary: "import an ACI from a file (or stdin) into the store",
  details: [
    "FILE is read by the daemon on this host; with - the ACI is read from stdin and uploaded.",
    "Waits for the import (a progress line on a terminal) and prints the image ID.",
    "  --sig FILE.aci.asc        the detached signature to verify it with (keys: jetpack trust add)",
    "  --insecure-options=image  import although the signature is not verified (recorded in the audit trail)",
    "  --no-wait                 print the operation ID and return at once (see jetpack op wait)",
    "  --json                    print the final operation as JSON",
  ].join("\n"),
  flags: { ...waitFlags, value: ["insecure-options", "sig"] },
  run: imageImport,
};

export const listCommand: Command = {
  words: ["image", "list"],
  usage: "jetpack image list [-q] [-l] [--json]",
  summary: "list the images in the store",
  details: [
    "  -q, --quiet  IDs only",
    "  -l, --long   full image IDs (default: sha512- and 12 hex digits, which every command accepts)",
    "  --json       the API's answer as JSON",
  ].join("\n"),
  flags: { boolean: ["quiet", "long"], alias: { q: "quiet", l: "long" } },
  run: imageList,
};

export const showCommand: Command = {
  words: ["image", "show"],
  usage: "jetpack image show IMAGE [--json]",
  summary: "show one image: ID, name, size, who imported it, what it runs",
  details: "IMAGE is an image ID, a prefix of one (6 hex digits or more), or name[:version][,label=value...].",
  flags: {},
  run: imageShow,
};

export const destroyCommand: Command = {
  words: ["image", "destroy"],
  usage: "jetpack image destroy IMAGE [--no-wait] [--json]",
  summary: "remove an image from the store",
  details: [
    "Refused while other images depend on it. Waits for the removal and prints the image ID.",
    "  --no-wait  print the operation ID and return at once",
    "  --json     print the final operation as JSON",
  ].join("\n"),
  flags: waitFlags,
  run: imageDestroy,
};
