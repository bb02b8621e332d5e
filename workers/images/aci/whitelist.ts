// pathWhitelist (spec §1.3, §2): after rendering, keep only the listed paths and the directories on
// the way to them. Pure planning (planWhitelist) apart from the walk and removal (applyPathWhitelist).
//
// Matching is per exact path, as in the reference renderer: listing a directory keeps the directory,
// not what is inside it. Entries are cleaned the way Go's filepath.Join("rootfs", entry) cleans them
// (so a trailing `/` is dropped); one that climbs above the rootfs matches nothing. Unlike the Go
// renderer, which lets an image's own whitelist spare that image's directories, every path not kept
// is removed: the spec's text ("remove every path not listed").
import fs from "node:fs/promises";

export interface WhitelistPlan {
  /** The top-most paths to remove (each with everything below it), sorted. */
  remove: string[];
  /** How many of the given paths go, counting those below a removed directory. */
  removedCount: number;
}

/** Pure. `/`-rooted cleaned form of a whitelist entry (`/etc/` → `/etc`); null if it climbs out of the rootfs. */
export function normalizeWhitelistEntry(entry: string): string | null {
  const parts: string[] = [];
  for (const part of entry.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return null;
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/**
 * Pure. Which of `paths` (every path of a tree, `/`-rooted, e.g. `/etc/passwd`, in any order) to
 * remove for `whitelist`: all but the listed ones and their ancestors. An empty whitelist keeps all.
 */
export function planWhitelist(paths: readonly string[], whitelist: readonly string[]): WhitelistPlan {
  if (whitelist.length === 0) return { remove: [], removedCount: 0 };
  const keep = new Set<string>(["/"]);
  for (const entry of whitelist) {
    for (let p = normalizeWhitelistEntry(entry); p !== null && !keep.has(p); p = parentPath(p)) keep.add(p);
  }
  const remove: string[] = [];
  let removedCount = 0;
  for (const p of paths) {
    if (keep.has(p)) continue;
    removedCount++;
    if (keep.has(parentPath(p) ?? "/")) remove.push(p);
  }
  return { remove: remove.sort(), removedCount };
}

function parentPath(p: string): string | null {
  if (p === "/") return null;
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

/**
 * Effects. Removes from the tree at `root` every path that `whitelist` does not keep (see
 * planWhitelist). Symlinks are never followed, neither while walking nor while removing.
 */
export async function applyPathWhitelist(root: string, whitelist: string[]): Promise<{ removed: number }> {
  if (whitelist.length === 0) return { removed: 0 };
  const paths: string[] = [];
  await walk(root, "", paths);
  const plan = planWhitelist(paths, whitelist);
  for (const p of plan.remove) await fs.rm(`${root}${p}`, { recursive: true, force: true });
  return { removed: plan.removedCount };
}

async function walk(root: string, dir: string, out: string[]): Promise<void> {
  const entries = await fs.readdir(`${root}${dir}`, { withFileTypes: true });
  for (const e of entries) {
    const p = `${dir}/${e.name}`;
    out.push(p);
    // A Dirent of a symlink is never a directory: links to directories are not descended into.
    if (e.isDirectory()) await walk(root, p, out);
  }
}
