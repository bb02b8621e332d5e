// The usage texts: the list of commands, a group's commands, one command's usage. Pure.
import type { Command } from "./context.js";
import { formatTable } from "./format.js";

export const GLOBAL_FLAGS_TEXT = [
  "Global flags (anywhere on the line):",
  "  --root DIR     the jetpack root; the daemon's socket is DIR/jetpack.sock",
  "                 (default: $JETPACK_ROOT, else /var/lib/jetpack)",
  "  --json         print the API's JSON instead of text; errors go to stderr as JSON",
  "  -h, --help     show the usage of a command",
  "  --version      print the version of jetpack",
].join("\n");

function commandList(commands: readonly Command[], extra: Array<[string, string]> = []): string {
  const rows = [...commands.map((c) => [c.words.join(" "), c.summary]), ...extra].map(([w, s]) => [`  ${w}`, s!]);
  return formatTable(["", ""], rows).split("\n").slice(1).join("\n");
}

/** Pure. `jetpack help`: every command in one line each, and the global flags. */
export function mainHelp(commands: readonly Command[]): string {
  return [
    "usage: jetpack [--root DIR] [--json] COMMAND [ARGS...]",
    "",
    "Commands:",
    commandList(commands, [["help [COMMAND]", "show the usage of a command"]]).trimEnd(),
    "",
    GLOBAL_FLAGS_TEXT,
    "",
  ].join("\n");
}

/** Pure. `jetpack help image`: the commands of one group. */
export function groupHelp(group: string, commands: readonly Command[]): string {
  const mine = commands.filter((c) => c.words[0] === group);
  return [`usage: jetpack ${group} COMMAND [ARGS...]`, "", "Commands:", commandList(mine).trimEnd(), "", `See \`jetpack help ${group} COMMAND\` for each.`, ""].join("\n");
}

/** Pure. `jetpack help image import`: its usage line, what it does, its flags. */
export function commandHelp(cmd: Command): string {
  return [`usage: ${cmd.usage}`, "", `${cmd.summary[0]!.toUpperCase()}${cmd.summary.slice(1)}.`, ...(cmd.details ? ["", cmd.details] : []), "", GLOBAL_FLAGS_TEXT, ""].join("\n");
}
