// The archive-level rules of an ACI, checked entry by entry as the tar streams past (spec §1.1):
// the layout (`manifest` + `rootfs` only), no duplicate names, no entry under a non-directory entry,
// hard links only to files this archive already extracted. Pure (no I/O; hashing is computation).
//
// Memory stays bounded per entry whatever the names: a name longer than a short key is remembered
// by a 128-bit digest, not by its text.
import { createHash } from "node:crypto";
import { ACI_ERR, duplicateEntry, layoutError, quote, unsafePath } from "./aci-errors.js";
import { fail } from "../../../machines/errors.js";
import { parentOf } from "./path-rules.js";
import type { TarEntryType } from "./tar-header.js";

/** What a rootfs path is in this archive. */
const enum Kind {
  File = 1,
  Directory = 2,
  /** A directory nobody declared, implied by entries below it. */
  Implied = 3,
  Symlink = 4,
  Special = 5,
}

const KIND_WORD: Record<Kind, string> = {
  [Kind.File]: "a file",
  [Kind.Directory]: "a directory",
  [Kind.Implied]: "a directory implied by earlier entries",
  [Kind.Symlink]: "a symlink",
  [Kind.Special]: "a device or FIFO",
};

const SHORT_KEY = 40;

/** Pure. The map key of a rootfs path: itself when short, else "\0" + a digest (NUL cannot occur in names). */
function keyOf(rel: string): string {
  if (rel.length <= SHORT_KEY) return rel;
  return "\0" + createHash("sha256").update(rel).digest().toString("latin1", 0, 16);
}

export class ArchiveLedger {
  private readonly kinds = new Map<string, Kind>();
  private manifestSeen = false;
  private rootfsDeclared = false;
  private rootfsImplied = false;

  /** The `manifest` entry: a regular file, once. */
  admitManifest(entry: string, type: TarEntryType): void {
    checkManifestType(entry, type);
    if (this.manifestSeen) throw duplicateEntry(entry, "the archive has two manifests");
    this.manifestSeen = true;
  }

  /** The `rootfs` entry itself: a directory, once. */
  admitRootfs(entry: string, type: TarEntryType): void {
    if (type === "symlink" || type === "link") throw unsafePath(entry, "rootfs is a link; it must be a directory");
    if (type !== "directory") throw layoutError(`the rootfs entry ${quote(entry)} is a ${type}; it must be a directory`);
    if (this.rootfsDeclared) throw duplicateEntry(entry, "the archive declares rootfs twice");
    this.rootfsDeclared = true;
  }

  /** An entry under rootfs/ (`rel` is its cleaned path inside the rootfs). */
  admitChild(entry: string, rel: string, type: Exclude<TarEntryType, "link">): void {
    this.admitParents(entry, rel);
    const kind = kindOf(type);
    const key = keyOf(rel);
    const prior = this.kinds.get(key);
    if (prior === undefined || (prior === Kind.Implied && kind === Kind.Directory)) {
      this.kinds.set(key, kind);
      return;
    }
    if (prior === Kind.Implied) throw duplicateEntry(entry, `it is ${KIND_WORD[kind]}, but earlier entries were extracted below it as a directory`);
    throw duplicateEntry(entry, `the name was already extracted as ${KIND_WORD[prior]}`);
  }

  /** A hard link entry at `rel` pointing at `targetRel`: the target must be a non-directory this archive extracted. */
  admitHardlink(entry: string, rel: string, targetRel: string, linkname: string): void {
    const target = this.kinds.get(keyOf(targetRel));
    if (target === undefined) throw unsafePath(entry, `the hard link target ${quote(linkname)} has not been extracted from this archive (links must follow their target)`);
    if (target === Kind.Symlink) throw unsafePath(entry, `the hard link target ${quote(linkname)} is a symlink`);
    if (target === Kind.Directory || target === Kind.Implied) throw unsafePath(entry, `the hard link target ${quote(linkname)} is a directory`);
    this.admitParents(entry, rel);
    const key = keyOf(rel);
    const prior = this.kinds.get(key);
    if (prior !== undefined) throw duplicateEntry(entry, `the name was already extracted as ${KIND_WORD[prior]}`);
    this.kinds.set(key, target);
  }

  /** At the end of the archive: both halves of the layout must be there. */
  finish(): void {
    if (!this.manifestSeen) {
      throw fail("invalid", ACI_ERR.NO_MANIFEST, "the archive has no manifest entry", { hint: "an ACI holds a `manifest` file beside `rootfs/`; build it with actool build" });
    }
    if (!this.rootfsDeclared && !this.rootfsImplied) throw layoutError("the archive has no rootfs directory");
  }

  /** Every ancestor of `rel` inside the rootfs must be (or become, implicitly) a directory of this archive. */
  private admitParents(entry: string, rel: string): void {
    this.rootfsImplied = true;
    for (let p = parentOf(rel); p !== ""; p = parentOf(p)) {
      const key = keyOf(p);
      const kind = this.kinds.get(key);
      if (kind === undefined) {
        this.kinds.set(key, Kind.Implied);
        continue;
      }
      // A known directory's own ancestors were checked when it was admitted.
      if (kind === Kind.Directory || kind === Kind.Implied) return;
      throw unsafePath(entry, `its parent rootfs/${p} is ${KIND_WORD[kind]} in this archive; writing through it is refused`);
    }
  }
}

/** Pure. The manifest must be a regular file; a link is refused as unsafe (a reader could follow it). */
export function checkManifestType(entry: string, type: TarEntryType): void {
  if (type === "symlink" || type === "link") throw unsafePath(entry, `the manifest is a ${type === "link" ? "hard link" : "symlink"}; it must be a regular file`);
  if (type !== "file") throw layoutError(`the manifest entry ${quote(entry)} is a ${type}; it must be a regular file`);
}

function kindOf(type: Exclude<TarEntryType, "link">): Kind {
  switch (type) {
    case "file":
      return Kind.File;
    case "directory":
      return Kind.Directory;
    case "symlink":
      return Kind.Symlink;
    default:
      return Kind.Special;
  }
}
