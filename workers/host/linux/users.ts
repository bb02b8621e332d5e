// appc §1.4 user and group resolution, the pure part: parsing an image's /etc/passwd and /etc/group and
// choosing the id. Reading the files safely out of a rootfs is rootfs-files.ts's job.
import { fail } from "../../../machines/errors.js";

export interface IdEntry {
  name: string;
  id: number;
}

function parseTable(text: string, idField: number): IdEntry[] {
  const out: IdEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const fields = line.split(":");
    const name = fields[0];
    const id = fields[idField];
    if (name === undefined || name === "" || id === undefined || !/^\d+$/.test(id)) continue;
    out.push({ name, id: Number(id) });
  }
  return out;
}

/** Pure. The name → uid entries of an /etc/passwd text; malformed lines are skipped, as libc does. */
export function parsePasswd(text: string): IdEntry[] {
  return parseTable(text, 2);
}

/** Pure. The name → gid entries of an /etc/group text; malformed lines are skipped. */
export function parseGroup(text: string): IdEntry[] {
  return parseTable(text, 2);
}

/** How a manifest's user or group string is to be resolved (§1.4 order: name, then number, then path). */
export type IdRequest = { kind: "path"; path: string } | { kind: "name"; name: string; number: number | null };

/** Pure. Classifies a user or group string: an absolute path, or a name that may also read as a number. */
export function classifyId(value: string): IdRequest {
  if (value.startsWith("/")) return { kind: "path", path: value };
  return { kind: "name", name: value, number: /^\d+$/.test(value) && Number(value) <= 0xfffffffe ? Number(value) : null };
}

export interface ResolveIdInput {
  app: string;
  what: "user" | "group";
  value: string;
  /** The entries of the rootfs's /etc/passwd or /etc/group (empty when the file is missing). */
  table: readonly IdEntry[];
  /** The owner uid or gid of a path in the rootfs, or undefined when the path does not exist there. */
  ownerOf: (path: string) => number | undefined;
}

/**
 * Pure (given a pure `ownerOf`). The numeric id for an app's user or group, in §1.4's order: the name in
 * the image's table, else the string as a number, else the owner of the path. Throws invalid
 * JP_ERR_POD_APP_USER naming the app and the value when nothing matches.
 */
export function resolveId(input: ResolveIdInput): number {
  const { app, what, value } = input;
  const request = classifyId(value);
  if (request.kind === "path") {
    const owner = input.ownerOf(request.path);
    if (owner !== undefined) return owner;
    throw fail("invalid", "JP_ERR_POD_APP_USER", `app "${app}": its ${what} is the owner of ${value}, which does not exist in the app's root filesystem`, {
      hint: `add ${value} to the image, or set the app's ${what} to a name or number`,
    });
  }
  const entry = input.table.find((e) => e.name === request.name);
  if (entry !== undefined) return entry.id;
  if (request.number !== null) return request.number;
  const file = what === "user" ? "/etc/passwd" : "/etc/group";
  throw fail("invalid", "JP_ERR_POD_APP_USER", `app "${app}": ${what} "${value}" is not in the app's ${file}`, {
    hint: `add ${what} "${value}" to the image's ${file}, or use a numeric id`,
  });
}
