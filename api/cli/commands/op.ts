// jetpack op list | show | wait: the requests the daemon has queued, and how they went.
import { expectPositionals, type ParsedArgs } from "../args.js";
import { segment } from "../client.js";
import type { CliContext, Command } from "../context.js";
import { formatFields, formatTable, jsonText, localTime, shortStream } from "../format.js";
import { progressText } from "../progress.js";
import { waitShowingProgress, type OperationAnswer } from "../wait.js";

/** Pure. What an operation came to, in a few words: its result, its error, or how far it got. */
export function operationNote(op: OperationAnswer): string {
  if (op.state === "failed" && op.error) return `${op.error.message} (${op.error.code})`;
  if (op.state === "succeeded" && typeof op.result?.id === "string") return `${op.result.id.slice(0, 19)}${op.result.existing === true ? " (already there)" : ""}`;
  if (op.progress) return progressText(op.progress);
  return "";
}

/** Pure. One row of `jetpack op list`. */
export function operationRow(op: OperationAnswer): string[] {
  return [op.id, op.kind, op.state, op.actor, localTime(op.createdAt), operationNote(op)];
}

/** Pure. The lines of `jetpack op show`. */
export function operationFields(op: OperationAnswer): Array<[string, string]> {
  const fields: Array<[string, string]> = [
    ["ID", op.id],
    ["Kind", op.kind],
    ["Stream", op.stream],
    ["State", op.state],
    ["Actor", op.actor],
    ["Created", localTime(op.createdAt)],
    ["Updated", localTime(op.updatedAt)],
  ];
  if (op.progress) fields.push(["Progress", progressText(op.progress)]);
  for (const [k, v] of Object.entries(op.result ?? {})) fields.push([`Result ${k}`, String(v)]);
  if (op.error) {
    fields.push(["Error", `${op.error.message} (${op.error.code}, ${op.error.kind})`]);
    if (op.error.hint) fields.push(["Hint", op.error.hint]);
  }
  return fields;
}

export async function opList(args: ParsedArgs, ctx: CliContext): Promise<void> {
  expectPositionals(args, [], opListCommand.usage);
  const answer = await ctx.client.request<{ operations: OperationAnswer[] }>("GET", "/v1/operations");
  if (ctx.json) return void ctx.stdout.write(jsonText(answer));
  ctx.stdout.write(formatTable(["ID", "KIND", "STATE", "ACTOR", "CREATED", "NOTE"], answer.operations.map(operationRow)));
}

export async function opShow(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const [id] = expectPositionals(args, ["ID"], opShowCommand.usage) as [string];
  const op = await ctx.client.request<OperationAnswer>("GET", `/v1/operations/${segment(id)}`);
  ctx.stdout.write(ctx.json ? jsonText(op) : formatFields(operationFields(op)));
}

export async function opWait(args: ParsedArgs, ctx: CliContext): Promise<void> {
  const [id] = expectPositionals(args, ["ID"], opWaitCommand.usage) as [string];
  const done = await waitShowingProgress(ctx, id);
  if (ctx.json) return void ctx.stdout.write(jsonText(done));
  const resultId = done.result?.id;
  ctx.stdout.write(typeof resultId === "string" ? `${resultId}\n` : `${done.id} ${done.state} (${shortStream(done.stream)})\n`);
}

export const opListCommand: Command = {
  words: ["op", "list"],
  usage: "jetpack op list [--json]",
  summary: "list recent operations (imports, destroys) and their state",
  flags: {},
  run: opList,
};

export const opShowCommand: Command = {
  words: ["op", "show"],
  usage: "jetpack op show ID [--json]",
  summary: "show one operation: state, progress, result or error",
  flags: {},
  run: opShow,
};

export const opWaitCommand: Command = {
  words: ["op", "wait"],
  usage: "jetpack op wait ID [--json]",
  summary: "wait for an operation to end; exit with its error's code if it fails",
  details: "Prints the image ID an import made, or the operation's final state.",
  flags: {},
  run: opWait,
};
