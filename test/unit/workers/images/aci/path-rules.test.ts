import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkSymlinkTarget, classifyName, cleanEntryName, depthOf, hardlinkTargetRel, parentOf } from "../../../../../workers/images/aci/path-rules.js";
import { refusal } from "../../../../support/refusal.js";

describe("cleanEntryName", () => {
  it("drops `.` components, repeated and trailing slashes", () => {
    assert.equal(cleanEntryName("./rootfs//usr/./bin/"), "rootfs/usr/bin");
    assert.equal(cleanEntryName("manifest"), "manifest");
    assert.equal(cleanEntryName("./"), "");
  });

  it("refuses a `..` component anywhere, even one that would stay inside", () => {
    for (const name of ["rootfs/../../etc/passwd", "../x", "rootfs/a/../b", "rootfs/.."]) {
      const e = refusal(() => cleanEntryName(name));
      assert.equal(e.code, "JP_ERR_ACI_UNSAFE_PATH");
      assert.match(e.message, /`\.\.`/);
      assert.ok(e.message.includes(JSON.stringify(name)), "the message names the entry");
    }
  });

  it("refuses absolute names", () => {
    const e = refusal(() => cleanEntryName("/etc/passwd"));
    assert.equal(e.code, "JP_ERR_ACI_UNSAFE_PATH");
    assert.match(e.message, /absolute/);
  });

  it("refuses a NUL byte in a name", () => {
    const e = refusal(() => cleanEntryName("rootfs/ok\u0000/../../x"));
    assert.equal(e.code, "JP_ERR_ACI_UNSAFE_PATH");
    assert.match(e.message, /NUL/);
    assert.match(e.message, /\\u0000/, "the NUL is shown escaped");
  });

  it("refuses a component longer than 255 bytes and a name longer than the kernel takes", () => {
    assert.match(refusal(() => cleanEntryName(`rootfs/${"a".repeat(256)}`)).message, /255 bytes/);
    const deep = `rootfs/${Array.from({ length: 500 }, () => "abcdefghi").join("/")}`;
    assert.match(refusal(() => cleanEntryName(deep)).message, /longer than 4094 bytes/);
    assert.equal(cleanEntryName(`rootfs/${"a".repeat(255)}`), `rootfs/${"a".repeat(255)}`);
  });

  it("counts bytes, not characters, for the length bounds", () => {
    assert.equal(refusal(() => cleanEntryName(`rootfs/${"é".repeat(128)}`)).code, "JP_ERR_ACI_UNSAFE_PATH");
  });

  it("keeps a quoted, shortened form of a huge hostile name in the message", () => {
    const e = refusal(() => cleanEntryName(`/${"x".repeat(100_000)}`));
    assert.ok(e.message.length < 400);
  });
});

describe("classifyName", () => {
  it("knows the two top-level names and what lies under rootfs/", () => {
    assert.deepEqual(classifyName("manifest"), { kind: "manifest" });
    assert.deepEqual(classifyName("rootfs"), { kind: "rootfs" });
    assert.deepEqual(classifyName("rootfs/etc/passwd"), { kind: "rootfs-child", rel: "etc/passwd" });
    assert.deepEqual(classifyName(""), { kind: "archive-root" });
  });

  it("puts `rootfsX` outside the layout (no string-prefix slip as in the Go check)", () => {
    assert.deepEqual(classifyName("rootfsX"), { kind: "outside" });
    assert.deepEqual(classifyName("rootfsX/etc"), { kind: "outside" });
    assert.deepEqual(classifyName("manifest/x"), { kind: "outside" });
    assert.deepEqual(classifyName("etc/passwd"), { kind: "outside" });
  });
});

describe("hardlinkTargetRel", () => {
  it("gives the rootfs path of a link target inside rootfs/", () => {
    assert.equal(hardlinkTargetRel("rootfs/b", "rootfs/a/./x"), "a/x");
  });

  it("refuses targets that are absolute, climb, or are not under rootfs/", () => {
    for (const target of ["/etc/passwd", "rootfs/../../etc/passwd", "manifest", "rootfs", "rootfsX/a", ""]) {
      const e = refusal(() => hardlinkTargetRel("rootfs/evil", target));
      assert.equal(e.code, "JP_ERR_ACI_UNSAFE_PATH", target);
      assert.match(e.message, /rootfs\/evil/);
    }
  });
});

describe("checkSymlinkTarget", () => {
  it("accepts absolute and climbing targets, since links are never followed", () => {
    checkSymlinkTarget("rootfs/a", "/etc/passwd");
    checkSymlinkTarget("rootfs/a", "../../../../..");
  });

  it("refuses empty targets and targets with a NUL byte", () => {
    assert.equal(refusal(() => checkSymlinkTarget("rootfs/a", "")).code, "JP_ERR_ACI_UNSAFE_PATH");
    assert.equal(refusal(() => checkSymlinkTarget("rootfs/a", "/x\u0000y")).code, "JP_ERR_ACI_UNSAFE_PATH");
  });
});

describe("parentOf and depthOf", () => {
  it("split rootfs paths by component", () => {
    assert.equal(parentOf("a/b/c"), "a/b");
    assert.equal(parentOf("a"), "");
    assert.equal(depthOf(""), 0);
    assert.equal(depthOf("a"), 1);
    assert.equal(depthOf("a/b/c"), 3);
  });
});
