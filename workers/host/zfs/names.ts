// Checking dataset, snapshot and property names before they reach `zfs`. Pure.
//
// Stricter than ZFS on purpose: ZFS accepts spaces in names (zfs-fuse happily creates `tank/a b`), and a
// name that starts with `-` would be read as an option. Jetpack's names are UUIDs and fixed words, so a
// narrow alphabet costs nothing and keeps argv and the tab-separated output unambiguous.
import { fail } from "../../../machines/errors.js";

const COMPONENT = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;
const POOL = /^[A-Za-z][A-Za-z0-9_.:-]*$/;
const PROPERTY = /^[a-z0-9][a-z0-9_.:-]*$/;
/** ZFS's own limit on a full dataset name (ZFS_MAX_DATASET_NAME_LEN is 256 with the NUL). */
const MAX_NAME = 255;

function bad(what: string, name: string, why: string): never {
  throw fail("invalid", "JP_ERR_ZFS_NAME", `invalid ${what} name ${JSON.stringify(name)}: ${why}`, {
    hint: "dataset names are slash-separated parts of letters, digits and _ . : - (the pool part starts with a letter)",
  });
}

function checkComponents(what: string, name: string, path: string): void {
  const parts = path.split("/");
  parts.forEach((part, i) => {
    if (part === "") bad(what, name, "empty path component");
    if (part === "." || part === "..") bad(what, name, `"${part}" is not allowed as a component`);
    const re = i === 0 ? POOL : COMPONENT;
    if (!re.test(part)) bad(what, name, `component "${part}" has characters ZFS or Jetpack do not accept`);
  });
}

/** Pure. Throws `invalid` unless `name` is a filesystem or volume name (`pool/a/b`, no `@`). */
export function assertDatasetName(name: string): void {
  if (name.length === 0 || name.length > MAX_NAME) bad("dataset", name, `length must be 1..${MAX_NAME}`);
  if (name.includes("@")) bad("dataset", name, "a snapshot name is not allowed here");
  checkComponents("dataset", name, name);
}

/** Pure. Throws `invalid` unless `name` is a snapshot name (`pool/a@snap`). */
export function assertSnapshotName(name: string): void {
  if (name.length === 0 || name.length > MAX_NAME) bad("snapshot", name, `length must be 1..${MAX_NAME}`);
  const at = name.indexOf("@");
  if (at < 0) bad("snapshot", name, "a snapshot name has the form dataset@snap");
  const snap = name.slice(at + 1);
  if (!COMPONENT.test(snap)) bad("snapshot", name, `snapshot part "${snap}" has characters ZFS or Jetpack do not accept`);
  checkComponents("snapshot", name, name.slice(0, at));
}

/** Pure. Throws `invalid` unless `name` is a dataset or a snapshot name. */
export function assertAnyName(name: string): void {
  if (name.includes("@")) assertSnapshotName(name);
  else assertDatasetName(name);
}

/** Pure. Throws `invalid` unless `name` can be a property name (native like `readonly`, or user `jetpack:name`). */
export function assertPropertyName(name: string): void {
  if (name.length === 0 || name.length > 255 || !PROPERTY.test(name)) {
    throw fail("invalid", "JP_ERR_ZFS_PROPERTY", `invalid property name ${JSON.stringify(name)}`, {
      hint: "property names are lower-case letters, digits and _ . : - (user properties contain a colon, e.g. jetpack:name)",
    });
  }
}

/** Pure. Throws `invalid` for values that would corrupt `zfs get -H` output (one line per property). */
export function assertPropertyValue(name: string, value: string): void {
  if (/[\n\r\0]/.test(value)) {
    throw fail("invalid", "JP_ERR_ZFS_PROPERTY", `invalid value for property ${name}: it contains a line break or NUL`);
  }
}

/** Pure. `tank/a/b` -> `tank/a`; undefined for a pool. The dataset part of a snapshot for `x@s`. */
export function parentOf(name: string): string | undefined {
  const at = name.indexOf("@");
  if (at >= 0) return name.slice(0, at);
  const slash = name.lastIndexOf("/");
  return slash < 0 ? undefined : name.slice(0, slash);
}

/** Pure. `name` moved from under `from` to under `to` (for remounting after a rename); unchanged otherwise. */
export function renamedName(name: string, from: string, to: string): string {
  if (name === from) return to;
  if (name.startsWith(`${from}/`) || name.startsWith(`${from}@`)) return to + name.slice(from.length);
  return name;
}
