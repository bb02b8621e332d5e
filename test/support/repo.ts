// Paths inside the repository, whether tests run from the sources (tsx) or from dist/.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) || dir.endsWith("/dist")) {
    const up = dirname(dir);
    if (up === dir) throw new Error("repository root not found");
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRoot();

/** The absolute path of `rel` in the repository. */
export function repoPath(rel: string): string {
  return join(REPO_ROOT, rel);
}
