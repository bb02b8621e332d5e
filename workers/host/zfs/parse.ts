// Reading `zfs list -H` and `zfs get -H -p` output. Pure.
//
// `-H` separates columns with one tab and prints `-` for "no value". Only the last column of a row may
// contain a tab (a user property's value can), so rows are split at the first tabs only.
import { fail } from "../../../machines/errors.js";
import type { DatasetInfo, DatasetType } from "../storage.js";

function lines(stdout: string): string[] {
  return stdout.split("\n").filter((l) => l.length > 0);
}

/** Splits a row into exactly `n` columns; the last one keeps any further tabs. */
function columns(line: string, n: number): string[] | undefined {
  const out: string[] = [];
  let rest = line;
  for (let i = 0; i < n - 1; i++) {
    const tab = rest.indexOf("\t");
    if (tab < 0) return undefined;
    out.push(rest.slice(0, tab));
    rest = rest.slice(tab + 1);
  }
  out.push(rest);
  return out;
}

function unparsable(what: string, line: string): never {
  throw fail("internal", "JP_ERR_ZFS_OUTPUT", `unexpected line in ${what} output: ${JSON.stringify(line)}`);
}

/** Pure. `-` (zfs's "no value") as "". */
export function dashAsEmpty(value: string): string {
  return value === "-" ? "" : value;
}

/** Pure. A mountpoint column as a path, or null for `none`, `legacy` and `-` (snapshots). */
export function mountpointValue(raw: string): string | null {
  return raw === "none" || raw === "legacy" || raw === "-" || raw === "" ? null : raw;
}

/**
 * Pure. `zfs get -H -p -o property,value` output as a record with exactly the properties asked for;
 * unset ones (`-`, or a row missing altogether) are "".
 */
export function parseProperties(stdout: string, asked: readonly string[]): Record<string, string> {
  const seen = new Map<string, string>();
  for (const line of lines(stdout)) {
    const cols = columns(line, 2) ?? unparsable("zfs get", line);
    seen.set(cols[0]!, dashAsEmpty(cols[1]!));
  }
  const out: Record<string, string> = {};
  for (const p of asked) out[p] = seen.get(p) ?? "";
  return out;
}

const TYPES: ReadonlySet<string> = new Set<DatasetType>(["filesystem", "snapshot", "volume"]);

/**
 * Pure. `zfs list -H -o name,type,mountpoint,mounted,origin` output as DatasetInfo, without `exclude`
 * (the parent that was listed) and without kinds the interface does not know (bookmarks).
 */
export function parseDatasetList(stdout: string, exclude?: string): DatasetInfo[] {
  const out: DatasetInfo[] = [];
  for (const line of lines(stdout)) {
    const cols = columns(line, 5) ?? unparsable("zfs list", line);
    const [name, type, mountpoint, mounted, origin] = cols as [string, string, string, string, string];
    if (name === exclude || !TYPES.has(type)) continue;
    out.push({
      name,
      type: type as DatasetType,
      mountpoint: mountpointValue(mountpoint),
      mounted: mounted === "yes",
      origin: origin === "-" || origin === "" ? null : origin,
    });
  }
  return out;
}

/** Pure. `zfs list -H -o name,mounted` output as the names that are mounted, in output order (parents first). */
export function parseMountedNames(stdout: string): string[] {
  const out: string[] = [];
  for (const line of lines(stdout)) {
    const cols = columns(line, 2) ?? unparsable("zfs list", line);
    if (cols[1] === "yes") out.push(cols[0]!);
  }
  return out;
}
