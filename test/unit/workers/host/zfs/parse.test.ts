import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { JetpackError } from "../../../../../machines/errors.js";
import { mountpointValue, parseDatasetList, parseMountedNames, parseProperties } from "../../../../../workers/host/zfs/parse.js";

describe("parsing zfs get -H -p output", () => {
  it("reads the values asked for, with unset ones as empty strings", () => {
    // Captured from zfs-fuse: `zfs get -H -p -o property,value jetpack:name,type,mountpoint,origin tank/img`
    const out = "jetpack:name\t-\ntype\tfilesystem\nmountpoint\t/tmp/m/img\norigin\t-\n";
    assert.deepEqual(parseProperties(out, ["jetpack:name", "type", "mountpoint", "origin"]), {
      "jetpack:name": "",
      type: "filesystem",
      mountpoint: "/tmp/m/img",
      origin: "",
    });
  });

  it("keeps tabs inside a user property's value", () => {
    assert.deepEqual(parseProperties("jetpack:name\ta b\tc\n", ["jetpack:name"]), { "jetpack:name": "a b\tc" });
  });

  it("answers every property asked for even when zfs printed no row for it", () => {
    assert.deepEqual(parseProperties("type\tsnapshot\n", ["type", "used"]), { type: "snapshot", used: "" });
  });

  it("leaves out rows for properties nobody asked for", () => {
    assert.deepEqual(parseProperties("type\tfilesystem\nused\t81920\n", ["type"]), { type: "filesystem" });
  });

  it("fails as internal on a row without a tab", () => {
    assert.throws(
      () => parseProperties("garbage\n", ["type"]),
      (e: unknown) => e instanceof JetpackError && e.kind === "internal" && e.code === "JP_ERR_ZFS_OUTPUT",
    );
  });
});

describe("parsing zfs list -H -o name,type,mountpoint,mounted,origin output", () => {
  // Captured from zfs-fuse (`zfs list -H -o name,type,mountpoint,mounted,origin -t all -r jpxexp`).
  const out = [
    "jpxexp\tfilesystem\tnone\tno\t-",
    "jpxexp/a/cl\tfilesystem\t/tmp/m/cl\tyes\tjpxexp/img@seal",
    "jpxexp/img\tfilesystem\t/tmp/m/img\tyes\t-",
    "jpxexp/img@seal\tsnapshot\t-\t-\t-",
    "jpxexp/old\tfilesystem\tlegacy\tno\t-",
    "jpxexp/img#mark\tbookmark\t-\t-\t-",
    "",
  ].join("\n");

  it("reads each dataset and leaves out the parent that was listed", () => {
    assert.deepEqual(parseDatasetList(out, "jpxexp"), [
      { name: "jpxexp/a/cl", type: "filesystem", mountpoint: "/tmp/m/cl", mounted: true, origin: "jpxexp/img@seal" },
      { name: "jpxexp/img", type: "filesystem", mountpoint: "/tmp/m/img", mounted: true, origin: null },
      { name: "jpxexp/img@seal", type: "snapshot", mountpoint: null, mounted: false, origin: null },
      { name: "jpxexp/old", type: "filesystem", mountpoint: null, mounted: false, origin: null },
    ]);
  });

  it("skips kinds the Storage interface does not know, such as bookmarks", () => {
    assert.ok(!parseDatasetList(out).some((d) => d.name.includes("#")));
  });

  it("reads empty output as an empty list", () => {
    assert.deepEqual(parseDatasetList(""), []);
  });

  it("fails as internal on a row with too few columns", () => {
    assert.throws(() => parseDatasetList("tank/a\tfilesystem\n"), (e: unknown) => e instanceof JetpackError && e.kind === "internal");
  });

  it("treats none, legacy and - as no mountpoint", () => {
    assert.equal(mountpointValue("none"), null);
    assert.equal(mountpointValue("legacy"), null);
    assert.equal(mountpointValue("-"), null);
    assert.equal(mountpointValue("/var/jetpack"), "/var/jetpack");
  });
});

describe("parsing zfs list -H -o name,mounted output", () => {
  it("returns the mounted names in output order, parents first", () => {
    assert.deepEqual(parseMountedNames("tank/p\tno\ntank/p/rootfs.0\tyes\ntank/p/rootfs.1\tno\ntank/p/volume.0\tyes\n"), ["tank/p/rootfs.0", "tank/p/volume.0"]);
  });
});
