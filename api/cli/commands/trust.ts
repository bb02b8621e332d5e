// jetpack trust add | list | remove: the keys images are verified with.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fail } from "../../../machines/errors.js";
import type { TrustedKeyView } from "../../deps.js";
import { expectPositionals, lastValue, type ParsedArgs } from "../args.js";
import { segment } from "../client.js";
import type { CliContext, Command } from "../context.js";
import { formatTable, jsonText } from "../format.js";

// `--root` is taken: it names the daemon's root directory for every command.
const addUsage = "jetpack trust add KEYFILE|URL (--prefix NAME | --root-key) [--fingerprint FP] [--json]";

export async function trustAdd(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const [source] = expectPositionals(args, ["KEYFILE"], addUsage) as [string];
  const prefix = lastValue(args, "prefix");
  const root = args.booleans.has("root-key");
  if ((prefix === undefined) === !root) {
    throw fail("invalid", "JP_ERR_CLI_FLAG", "say which images the key may sign: --prefix NAME, or --root-key for every image", { hint: addUsage });
  }
  const fingerprint = lastValue(args, "fingerprint");
  const key = /^https?:\/\//.test(source)
    ? { url: source }
    : {
        key: await readFile(resolve(ctx.cwd, source), "utf8").catch(() => {
          throw fail("not_found", "JP_ERR_CLI_FILE", `${source}: no such file`);
        }),
      };
  const body = { ...key, ...(root ? { root: true } : { prefix }), ...(fingerprint ? { fingerprint } : {}) };
  const answer = await ctx.client.request<{ key: TrustedKeyView }>("POST", "/v1/trust", { json: body });
  ctx.stdout.write(ctx.json ? jsonText(answer) : `trusted ${answer.key.fingerprint} (${answer.key.userIds.join(", ")}) for ${answer.key.prefix ?? "every image (root key)"}\n`);
}

export async function trustList(args: ParsedArgs, ctx: CliContext): Promise<void> {
  expectPositionals(args, [], "jetpack trust list [--json]");
  const answer = await ctx.client.request<{ keys: TrustedKeyView[] }>("GET", "/v1/trust");
  if (ctx.json) return void ctx.stdout.write(jsonText(answer));
  ctx.stdout.write(formatTable(["PREFIX", "FINGERPRINT", "IDENTITY"], answer.keys.map((k) => [k.prefix ?? "(root)", k.fingerprint, k.userIds.join(", ")])));
}

export async function trustRemove(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const [fingerprint] = expectPositionals(args, ["FINGERPRINT"], "jetpack trust remove FINGERPRINT") as [string];
  const answer = await ctx.client.request<{ removed: number }>("DELETE", `/v1/trust/${segment(fingerprint.replace(/\s+/g, "").toLowerCase())}`);
  ctx.stdout.write(ctx.json ? jsonText(answer) : `removed ${fingerprint} (${answer.removed} ${answer.removed === 1 ? "entry" : "entries"})\n`);
}

export const trustAddCommand: Command = {
  words: ["trust", "add"],
  usage: addUsage,
  summary: "trust a key (a file, or an https URL the daemon fetches) to sign images under a name prefix",
  details: [
    "A prefix matches whole path segments: example.com covers example.com/app, not example.community.",
    "  --prefix NAME     the image names this key may sign",
    "  --root-key        the key may sign every image",
    "  --fingerprint FP  refuse the key unless it has this fingerprint",
  ].join("\n"),
  flags: { boolean: ["root-key"], value: ["prefix", "fingerprint"] },
  run: trustAdd,
};

export const trustListCommand: Command = {
  words: ["trust", "list"],
  usage: "jetpack trust list [--json]",
  summary: "list the trusted keys with the prefixes they may sign",
  details: "",
  flags: {},
  run: trustList,
};

export const trustRemoveCommand: Command = {
  words: ["trust", "remove"],
  usage: "jetpack trust remove FINGERPRINT",
  summary: "stop trusting a key, under every prefix",
  details: "",
  flags: {},
  run: trustRemove,
};
