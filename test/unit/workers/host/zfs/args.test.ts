import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { JetpackError } from "../../../../../machines/errors.js";
import {
  cloneArgs,
  createArgs,
  destroyArgs,
  existsArgs,
  flavorProbeArgs,
  getArgs,
  listArgs,
  mountArgs,
  mountStatesArgs,
  receiveArgs,
  renameArgs,
  sendArgs,
  setArgsList,
  snapshotArgs,
  unmountArgs,
} from "../../../../../workers/host/zfs/args.js";

function assertInvalid(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof JetpackError && err.kind === "invalid" && err.code === code);
}

describe("zfs argv: create and clone", () => {
  it("creates a plain dataset with nothing but its name", () => {
    assert.deepEqual(createArgs("tank/jetpack/pods/p1"), ["create", "tank/jetpack/pods/p1"]);
  });

  it("creates parents, a mountpoint and properties as Jetpack's init does", () => {
    assert.deepEqual(createArgs("tank/jetpack", { parents: true, mountpoint: "/var/jetpack", properties: { atime: "off", compress: "lz4" } }), [
      "create",
      "-p",
      "-o",
      "atime=off",
      "-o",
      "compress=lz4",
      "-o",
      "mountpoint=/var/jetpack",
      "tank/jetpack",
    ]);
  });

  it("lets the mountpoint option win over a mountpoint given among the properties", () => {
    assert.deepEqual(createArgs("tank/a", { mountpoint: "/b", properties: { mountpoint: "/a" } }), ["create", "-o", "mountpoint=/b", "tank/a"]);
  });

  it("clones a sealed image into a pod's app rootfs with its mountpoint", () => {
    assert.deepEqual(cloneArgs("tank/jetpack/images/u1@seal", "tank/jetpack/pods/p1/rootfs.0", { mountpoint: "/var/jetpack/pods/p1/rootfs/0" }), [
      "clone",
      "-o",
      "mountpoint=/var/jetpack/pods/p1/rootfs/0",
      "tank/jetpack/images/u1@seal",
      "tank/jetpack/pods/p1/rootfs.0",
    ]);
  });

  it("refuses to clone from something that is not a snapshot", () => {
    assertInvalid(() => cloneArgs("tank/jetpack/images/u1", "tank/x"), "JP_ERR_ZFS_NAME");
  });

  it("refuses a user property value with a line break, which would break zfs get output", () => {
    assertInvalid(() => createArgs("tank/a", { properties: { "jetpack:name": "a\nb" } }), "JP_ERR_ZFS_PROPERTY");
  });

  it("refuses property names that zfs would take for something else", () => {
    assertInvalid(() => createArgs("tank/a", { properties: { "Jetpack:Name": "x" } }), "JP_ERR_ZFS_PROPERTY");
    assertInvalid(() => createArgs("tank/a", { properties: { "-o": "x" } }), "JP_ERR_ZFS_PROPERTY");
  });
});

describe("zfs argv: snapshot, destroy, rename", () => {
  it("snapshots with the full name", () => {
    assert.deepEqual(snapshotArgs("tank/i/u1@seal"), ["snapshot", "tank/i/u1@seal"]);
  });

  it("destroys recursively and by force only when asked", () => {
    assert.deepEqual(destroyArgs("tank/p/p1"), ["destroy", "tank/p/p1"]);
    assert.deepEqual(destroyArgs("tank/p/p1", { recursive: true }), ["destroy", "-r", "tank/p/p1"]);
    assert.deepEqual(destroyArgs("tank/p/p1", { recursive: true, force: true }), ["destroy", "-r", "-f", "tank/p/p1"]);
    assert.deepEqual(destroyArgs("tank/i/u1@seal"), ["destroy", "tank/i/u1@seal"]);
  });

  it("renames as Jetpack's build pivots a pod clone into an image", () => {
    assert.deepEqual(renameArgs("tank/jetpack/pods/p1/rootfs.0", "tank/jetpack/images/p1"), ["rename", "tank/jetpack/pods/p1/rootfs.0", "tank/jetpack/images/p1"]);
  });

  it("never lets a name that looks like an option reach zfs", () => {
    assertInvalid(() => destroyArgs("-r"), "JP_ERR_ZFS_NAME");
    assertInvalid(() => destroyArgs("tank/-f"), "JP_ERR_ZFS_NAME");
  });

  it("refuses empty components, dot components, spaces and names that start with a digit pool", () => {
    for (const bad of ["", "tank//a", "tank/a/", "tank/../a", "tank/a b", "1tank/a", "tank/a\tb", "tank@"]) {
      assertInvalid(() => destroyArgs(bad), "JP_ERR_ZFS_NAME");
    }
  });

  it("refuses a snapshot where a dataset is needed", () => {
    assertInvalid(() => createArgs("tank/a@s"), "JP_ERR_ZFS_NAME");
    assertInvalid(() => mountArgs("tank/a@s"), "JP_ERR_ZFS_NAME");
  });
});

describe("zfs argv: reads", () => {
  it("lists children one level down, parsable, on native OpenZFS", () => {
    assert.deepEqual(listArgs("tank/jetpack/pods", {}, "openzfs"), [
      "list",
      "-H",
      "-p",
      "-o",
      "name,type,mountpoint,mounted,origin",
      "-t",
      "filesystem",
      "-d",
      "1",
      "tank/jetpack/pods",
    ]);
  });

  it("lists a whole subtree of every kind without -p on zfs-fuse", () => {
    assert.deepEqual(listArgs("tank/jetpack", { type: "all", recursive: true }, "zfs-fuse"), [
      "list",
      "-H",
      "-o",
      "name,type,mountpoint,mounted,origin",
      "-t",
      "filesystem,snapshot,volume",
      "-r",
      "tank/jetpack",
    ]);
  });

  it("lists snapshots only when asked", () => {
    assert.deepEqual(listArgs("tank/i/u1", { type: "snapshot" }, "zfs-fuse").slice(4), ["-t", "snapshot", "-d", "1", "tank/i/u1"]);
  });

  it("lists the mount states of a subtree", () => {
    assert.deepEqual(mountStatesArgs("tank/p/p1", "zfs-fuse"), ["list", "-H", "-o", "name,mounted", "-t", "filesystem", "-r", "tank/p/p1"]);
    assert.deepEqual(mountStatesArgs("tank/p/p1", "openzfs"), ["list", "-H", "-p", "-o", "name,mounted", "-t", "filesystem", "-r", "tank/p/p1"]);
  });

  it("gets properties with -H -p whatever the flavor, as Jetpack did", () => {
    assert.deepEqual(getArgs("tank/i/u1", ["type", "mounted", "mountpoint", "origin", "jetpack:name"]), [
      "get",
      "-H",
      "-p",
      "-o",
      "property,value",
      "type,mounted,mountpoint,origin,jetpack:name",
      "tank/i/u1",
    ]);
  });

  it("refuses a get with no properties", () => {
    assertInvalid(() => getArgs("tank/a", []), "JP_ERR_ZFS_PROPERTY");
  });

  it("checks existence of datasets and snapshots with a plain list", () => {
    assert.deepEqual(existsArgs("tank/a@s"), ["list", "-H", "-o", "name", "tank/a@s"]);
  });

  it("probes the flavor with the one flag zfs-fuse lacks", () => {
    assert.deepEqual(flavorProbeArgs(), ["list", "-H", "-p", "-o", "name", "-d", "0"]);
  });
});

describe("zfs argv: set, mount, streams", () => {
  it("sets one property per call, in the order given", () => {
    assert.deepEqual(setArgsList("tank/i/u1", { mountpoint: "/var/jetpack/images/u1/rootfs", "jetpack:name": "example.com/app x" }), [
      ["set", "mountpoint=/var/jetpack/images/u1/rootfs", "tank/i/u1"],
      ["set", "jetpack:name=example.com/app x", "tank/i/u1"],
    ]);
  });

  it("mounts read-only only when asked", () => {
    assert.deepEqual(mountArgs("tank/i/u1"), ["mount", "tank/i/u1"]);
    assert.deepEqual(mountArgs("tank/i/u1", { readonly: true }), ["mount", "-o", "ro", "tank/i/u1"]);
  });

  it("unmounts by force only when asked", () => {
    assert.deepEqual(unmountArgs("tank/i/u1"), ["unmount", "tank/i/u1"]);
    assert.deepEqual(unmountArgs("tank/i/u1", { force: true }), ["unmount", "-f", "tank/i/u1"]);
  });

  it("sends a snapshot and receives into a dataset", () => {
    assert.deepEqual(sendArgs("tank/i/u1@seal"), ["send", "tank/i/u1@seal"]);
    assert.deepEqual(receiveArgs("tank/i/copy"), ["receive", "tank/i/copy"]);
    assertInvalid(() => sendArgs("tank/i/u1"), "JP_ERR_ZFS_NAME");
  });
});
