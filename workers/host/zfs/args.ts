// argv for every zfs call the backend makes (after the command itself). Pure.
//
// Names are checked here, so nothing that could be read as an option or split a line of output ever
// reaches zfs. Reads use `-H` (tabs, no header); `zfs get` always takes `-p`, `zfs list` only on native
// OpenZFS (zfs-fuse rejects `-p` there; the columns we list are not numbers, so nothing is lost).
import { fail } from "../../../machines/errors.js";
import type { CreateOptions, ListOptions } from "../storage.js";
import { assertAnyName, assertDatasetName, assertPropertyName, assertPropertyValue, assertSnapshotName } from "./names.js";

export type ZfsFlavor = "openzfs" | "zfs-fuse";

/** The columns `parseDatasetList` expects, in order. */
export const LIST_COLUMNS = "name,type,mountpoint,mounted,origin";

function propertyOptions(opts: CreateOptions): string[] {
  const props: Record<string, string> = { ...opts.properties };
  if (opts.mountpoint !== undefined) props.mountpoint = opts.mountpoint;
  const out: string[] = [];
  for (const [key, value] of Object.entries(props)) {
    assertPropertyName(key);
    assertPropertyValue(key, value);
    out.push("-o", `${key}=${value}`);
  }
  return out;
}

/** Pure. `zfs create [-p] [-o k=v]... name`. */
export function createArgs(name: string, opts: CreateOptions = {}): string[] {
  assertDatasetName(name);
  return ["create", ...(opts.parents ? ["-p"] : []), ...propertyOptions(opts), name];
}

/** Pure. `zfs snapshot dataset@snap`. */
export function snapshotArgs(snapshot: string): string[] {
  assertSnapshotName(snapshot);
  return ["snapshot", snapshot];
}

/** Pure. `zfs clone [-p] [-o k=v]... snapshot target`. */
export function cloneArgs(snapshot: string, target: string, opts: CreateOptions = {}): string[] {
  assertSnapshotName(snapshot);
  assertDatasetName(target);
  return ["clone", ...(opts.parents ? ["-p"] : []), ...propertyOptions(opts), snapshot, target];
}

/** Pure. `zfs destroy [-r] [-f] name`; `-f` force-unmounts (a lazy unmount on zfs-fuse). */
export function destroyArgs(name: string, opts: { recursive?: boolean; force?: boolean } = {}): string[] {
  assertAnyName(name);
  return ["destroy", ...(opts.recursive ? ["-r"] : []), ...(opts.force ? ["-f"] : []), name];
}

function readFlags(flavor: ZfsFlavor): string[] {
  return flavor === "openzfs" ? ["-H", "-p"] : ["-H"];
}

const LIST_TYPES: Record<NonNullable<ListOptions["type"]>, string> = {
  filesystem: "filesystem",
  snapshot: "snapshot",
  all: "filesystem,snapshot,volume",
};

/** Pure. `zfs list -H [-p] -o name,type,mountpoint,mounted,origin -t T (-r | -d 1) parent`. */
export function listArgs(parent: string, opts: ListOptions, flavor: ZfsFlavor): string[] {
  assertDatasetName(parent);
  const depth = opts.recursive ? ["-r"] : ["-d", "1"];
  return ["list", ...readFlags(flavor), "-o", LIST_COLUMNS, "-t", LIST_TYPES[opts.type ?? "filesystem"], ...depth, parent];
}

/** Pure. `zfs list -H [-p] -o name,mounted -t filesystem -r name`: a subtree's mount states, parents first. */
export function mountStatesArgs(name: string, flavor: ZfsFlavor): string[] {
  assertDatasetName(name);
  return ["list", ...readFlags(flavor), "-o", "name,mounted", "-t", "filesystem", "-r", name];
}

/** Pure. `zfs list -H -o name name`: succeeds exactly when the dataset or snapshot exists. */
export function existsArgs(name: string): string[] {
  assertAnyName(name);
  return ["list", "-H", "-o", "name", name];
}

/** Pure. `zfs get -H -p -o property,value p1,p2 name`. */
export function getArgs(name: string, props: readonly string[]): string[] {
  assertAnyName(name);
  if (props.length === 0) throw fail("invalid", "JP_ERR_ZFS_PROPERTY", `no properties asked for on ${name}`);
  props.forEach(assertPropertyName);
  return ["get", "-H", "-p", "-o", "property,value", props.join(","), name];
}

/** Pure. One `zfs set k=v name` per property: zfs-fuse and older zfs take a single pair per call. */
export function setArgsList(name: string, props: Record<string, string>): string[][] {
  assertAnyName(name);
  return Object.entries(props).map(([key, value]) => {
    assertPropertyName(key);
    assertPropertyValue(key, value);
    return ["set", `${key}=${value}`, name];
  });
}

/** Pure. `zfs rename from to` (both datasets, or both snapshots of the same dataset). */
export function renameArgs(from: string, to: string): string[] {
  assertAnyName(from);
  assertAnyName(to);
  return ["rename", from, to];
}

/** Pure. `zfs mount [-o ro] name`. */
export function mountArgs(name: string, opts: { readonly?: boolean } = {}): string[] {
  assertDatasetName(name);
  return ["mount", ...(opts.readonly ? ["-o", "ro"] : []), name];
}

/** Pure. `zfs unmount [-f] name`. */
export function unmountArgs(name: string, opts: { force?: boolean } = {}): string[] {
  assertDatasetName(name);
  return ["unmount", ...(opts.force ? ["-f"] : []), name];
}

/** Pure. `zfs send snapshot` (a full stream to stdout). */
export function sendArgs(snapshot: string): string[] {
  assertSnapshotName(snapshot);
  return ["send", snapshot];
}

/** Pure. `zfs receive name` (the stream on stdin). */
export function receiveArgs(name: string): string[] {
  assertDatasetName(name);
  return ["receive", name];
}

/** Pure. The flavor probe: native OpenZFS accepts `list -p`, zfs-fuse says "invalid option 'p'". */
export function flavorProbeArgs(): string[] {
  return ["list", "-H", "-p", "-o", "name", "-d", "0"];
}
