import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { lockedCommand, needsMountLock } from "../../../../../workers/host/zfs/mount-lock.js";
import { lockTimeoutError } from "../../../../../workers/host/zfs/cli.js";

describe("the zfs-fuse mount lock", () => {
  it("wraps every change on zfs-fuse in flock on the shared lock file", () => {
    assert.deepEqual(lockedCommand("zfs-fuse", "/run/lock/jp.lock", "zfs", ["create", "-o", "mountpoint=/x", "tank/a"]), {
      cmd: "flock",
      args: ["-w", "120", "-E", "75", "/run/lock/jp.lock", "zfs", "create", "-o", "mountpoint=/x", "tank/a"],
    });
    for (const verb of ["clone", "mount", "rename", "set", "receive", "destroy", "unmount", "snapshot"]) {
      assert.equal(needsMountLock("zfs-fuse", [verb, "tank/a"]), true, verb);
    }
  });

  it("leaves reads and send unlocked, so a long change never stalls a list", () => {
    for (const verb of ["list", "get", "send"]) assert.equal(needsMountLock("zfs-fuse", [verb, "tank/a"]), false, verb);
    assert.deepEqual(lockedCommand("zfs-fuse", "/l", "zfs", ["get", "-H", "type", "tank/a"]), { cmd: "zfs", args: ["get", "-H", "type", "tank/a"] });
  });

  it("never locks on native OpenZFS, which mounts in the kernel", () => {
    assert.deepEqual(lockedCommand("openzfs", "/l", "/sbin/zfs", ["create", "tank/a"]), { cmd: "/sbin/zfs", args: ["create", "tank/a"] });
  });

  it("reports a lock that was never free as unavailable, naming the lock file", () => {
    const err = lockTimeoutError("/run/lock/jp.lock", ["zfs", "create", "tank/a"]);
    assert.equal(err.kind, "unavailable");
    assert.equal(err.code, "JP_ERR_ZFS_LOCK_TIMEOUT");
    assert.match(err.message, /\/run\/lock\/jp\.lock/);
  });
});
