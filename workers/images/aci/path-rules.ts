// What an entry name in an ACI may be, and where it lands. Pure.
//
// Names are cleaned the way the reference validator does (empty and `.` components dropped), but
// stricter: a `..` component, an absolute name or a NUL byte is refused outright rather than
// resolved, and only `manifest`, `rootfs` and names under `rootfs/` are allowed (the Go check is a
// plain string prefix, so `rootfsX` slipped through; here it does not).
import { quote, unsafePath } from "./aci-errors.js";
import { NAME_MAX, PATH_MAX } from "./limits.js";

export type NameClass =
  /** `./`, the archive's own root: ignored when it is a directory, as the reference validator does. */
  | { kind: "archive-root" }
  | { kind: "manifest" }
  | { kind: "rootfs" }
  /** `rel` is the path inside the rootfs, without a leading `/`, never empty. */
  | { kind: "rootfs-child"; rel: string }
  | { kind: "outside" };

/**
 * Pure. The cleaned form of an archive name (`./rootfs//usr/` → `rootfs/usr`; the archive root `./`
 * → ``); throws JP_ERR_ACI_UNSAFE_PATH for a NUL byte, an absolute name, a `..` component, or a name
 * longer than the kernel takes.
 */
export function cleanEntryName(raw: string): string {
  if (raw.includes("\0")) throw unsafePath(raw, "the name contains a NUL byte");
  if (raw.startsWith("/")) throw unsafePath(raw, "absolute names are refused; names must be relative to the archive root");
  const parts: string[] = [];
  for (const part of raw.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") throw unsafePath(raw, "the name has a `..` component");
    if (Buffer.byteLength(part) > NAME_MAX) throw unsafePath(raw, `a component is longer than ${NAME_MAX} bytes`);
    parts.push(part);
  }
  const clean = parts.join("/");
  // `rootfs/` becomes the target directory, so the name must leave room for the target's own path.
  if (Buffer.byteLength(clean) >= PATH_MAX - 1) throw unsafePath(raw, `the name is longer than ${PATH_MAX - 2} bytes`);
  return clean;
}

/** Pure. Where a cleaned name belongs in the ACI layout. */
export function classifyName(clean: string): NameClass {
  if (clean === "") return { kind: "archive-root" };
  if (clean === "manifest") return { kind: "manifest" };
  if (clean === "rootfs") return { kind: "rootfs" };
  if (clean.startsWith("rootfs/")) return { kind: "rootfs-child", rel: clean.slice("rootfs/".length) };
  return { kind: "outside" };
}

/**
 * Pure. The rootfs-relative path a hard link entry points at; throws JP_ERR_ACI_UNSAFE_PATH when the
 * target climbs, is absolute, or is not inside `rootfs/` (the manifest, or the rootfs itself).
 */
export function hardlinkTargetRel(entry: string, linkname: string): string {
  if (linkname === "") throw unsafePath(entry, "the hard link has an empty target");
  let clean: string;
  try {
    clean = cleanEntryName(linkname);
  } catch {
    throw unsafePath(entry, `the hard link target ${quote(linkname)} is absolute, climbs out with \`..\`, or is not a valid name`);
  }
  const cls = classifyName(clean);
  if (cls.kind !== "rootfs-child") throw unsafePath(entry, `the hard link target ${quote(linkname)} is not inside rootfs/`);
  return cls.rel;
}

/**
 * Pure. Checks a symlink's target text. Any text is allowed (absolute or climbing targets are normal in
 * images: the extractor never follows links), except what the kernel cannot store.
 */
export function checkSymlinkTarget(entry: string, target: string): void {
  if (target === "") throw unsafePath(entry, "the symlink has an empty target");
  if (target.includes("\0")) throw unsafePath(entry, "the symlink target contains a NUL byte");
  if (Buffer.byteLength(target) >= PATH_MAX) throw unsafePath(entry, `the symlink target is longer than ${PATH_MAX - 1} bytes`);
}

/** Pure. The parent of a rootfs-relative path (`a/b/c` → `a/b`; `a` → ``). */
export function parentOf(rel: string): string {
  const i = rel.lastIndexOf("/");
  return i < 0 ? "" : rel.slice(0, i);
}

/** Pure. How many components deep a rootfs-relative path is (`` → 0, `a/b` → 2). */
export function depthOf(rel: string): number {
  if (rel === "") return 0;
  let n = 1;
  for (let i = rel.indexOf("/"); i >= 0; i = rel.indexOf("/", i + 1)) n++;
  return n;
}
