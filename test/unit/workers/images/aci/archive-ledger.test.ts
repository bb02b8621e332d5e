import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArchiveLedger } from "../../../../../workers/images/aci/archive-ledger.js";
import { refusal } from "../../../../support/refusal.js";

function ledgerWithManifest(): ArchiveLedger {
  const l = new ArchiveLedger();
  l.admitManifest("manifest", "file");
  return l;
}

describe("ArchiveLedger", () => {
  it("accepts a well-formed archive: manifest, rootfs, entries below it", () => {
    const l = ledgerWithManifest();
    l.admitRootfs("rootfs/", "directory");
    l.admitChild("rootfs/etc", "etc", "directory");
    l.admitChild("rootfs/etc/passwd", "etc/passwd", "file");
    l.admitHardlink("rootfs/etc/passwd2", "etc/passwd2", "etc/passwd", "rootfs/etc/passwd");
    l.finish();
  });

  it("lets children imply rootfs and their directories, and a later directory entry declare them", () => {
    const l = ledgerWithManifest();
    l.admitChild("rootfs/usr/bin/env", "usr/bin/env", "file");
    l.admitChild("rootfs/usr/bin", "usr/bin", "directory");
    l.finish();
  });

  it("refuses the same name twice, after cleaning", () => {
    const l = ledgerWithManifest();
    l.admitChild("rootfs/a", "a", "file");
    const e = refusal(() => l.admitChild("rootfs/./a", "a", "file"));
    assert.equal(e.code, "JP_ERR_ACI_DUPLICATE_ENTRY");
    assert.match(e.message, /rootfs\/\.\/a/);
  });

  it("refuses a directory entry over a symlink of the same archive (symlink to / then a directory)", () => {
    const l = ledgerWithManifest();
    l.admitChild("rootfs/x", "x", "symlink");
    assert.equal(refusal(() => l.admitChild("rootfs/x", "x", "directory")).code, "JP_ERR_ACI_DUPLICATE_ENTRY");
  });

  it("refuses a non-directory over a directory implied by earlier entries", () => {
    const l = ledgerWithManifest();
    l.admitChild("rootfs/d/f", "d/f", "file");
    const e = refusal(() => l.admitChild("rootfs/d", "d", "symlink"));
    assert.equal(e.code, "JP_ERR_ACI_DUPLICATE_ENTRY");
    assert.match(e.message, /extracted below it/);
  });

  it("refuses an entry below a symlink, file or device of the same archive", () => {
    for (const type of ["symlink", "file", "fifo"] as const) {
      const l = ledgerWithManifest();
      l.admitChild("rootfs/p", "p", type);
      const e = refusal(() => l.admitChild("rootfs/p/q/r", "p/q/r", "file"));
      assert.equal(e.code, "JP_ERR_ACI_UNSAFE_PATH", type);
      assert.match(e.message, /parent rootfs\/p is/);
    }
  });

  it("refuses hard links to names not extracted yet, to symlinks and to directories", () => {
    const l = ledgerWithManifest();
    l.admitChild("rootfs/s", "s", "symlink");
    l.admitChild("rootfs/d", "d", "directory");
    for (const [target, why] of [
      ["later", /has not been extracted/],
      ["s", /is a symlink/],
      ["d", /is a directory/],
    ] as const) {
      const e = refusal(() => l.admitHardlink("rootfs/h", "h", target, `rootfs/${target}`));
      assert.equal(e.code, "JP_ERR_ACI_UNSAFE_PATH");
      assert.match(e.message, why);
    }
  });

  it("treats a hard link like its target for later checks", () => {
    const l = ledgerWithManifest();
    l.admitChild("rootfs/f", "f", "file");
    l.admitHardlink("rootfs/g", "g", "f", "rootfs/f");
    l.admitHardlink("rootfs/h", "h", "g", "rootfs/g");
    assert.equal(refusal(() => l.admitChild("rootfs/g/x", "g/x", "file")).code, "JP_ERR_ACI_UNSAFE_PATH");
  });

  it("refuses a manifest that is a link (unsafe), a directory (layout), or given twice", () => {
    assert.equal(refusal(() => new ArchiveLedger().admitManifest("manifest", "symlink")).code, "JP_ERR_ACI_UNSAFE_PATH");
    assert.equal(refusal(() => new ArchiveLedger().admitManifest("manifest", "link")).code, "JP_ERR_ACI_UNSAFE_PATH");
    assert.equal(refusal(() => new ArchiveLedger().admitManifest("manifest/", "directory")).code, "JP_ERR_ACI_LAYOUT");
    assert.equal(refusal(() => ledgerWithManifest().admitManifest("./manifest", "file")).code, "JP_ERR_ACI_DUPLICATE_ENTRY");
  });

  it("refuses a rootfs that is a symlink (unsafe) or a file (layout)", () => {
    assert.equal(refusal(() => new ArchiveLedger().admitRootfs("rootfs", "symlink")).code, "JP_ERR_ACI_UNSAFE_PATH");
    assert.equal(refusal(() => new ArchiveLedger().admitRootfs("rootfs", "file")).code, "JP_ERR_ACI_LAYOUT");
  });

  it("fails at the end without a manifest, or without any rootfs", () => {
    const noManifest = new ArchiveLedger();
    noManifest.admitRootfs("rootfs", "directory");
    assert.equal(refusal(() => noManifest.finish()).code, "JP_ERR_ACI_NO_MANIFEST");
    assert.equal(refusal(() => ledgerWithManifest().finish()).code, "JP_ERR_ACI_LAYOUT");
  });

  it("tells long names apart although it keeps only their digests", () => {
    const l = ledgerWithManifest();
    const base = `${"x".repeat(60)}/`;
    l.admitChild(`rootfs/${base}a`, `${base}a`, "file");
    l.admitChild(`rootfs/${base}b`, `${base}b`, "file");
    assert.equal(refusal(() => l.admitChild(`rootfs/${base}a`, `${base}a`, "file")).code, "JP_ERR_ACI_DUPLICATE_ENTRY");
  });
});
