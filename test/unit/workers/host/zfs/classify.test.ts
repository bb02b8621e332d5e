import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { classifyZfsFailure, cleanStderr, zfsError } from "../../../../../workers/host/zfs/classify.js";
import { flavorFromProbe, isDaemonDown } from "../../../../../workers/host/zfs/daemon.js";

// Every stderr below was captured from zfs-fuse on Debian 12 unless it says otherwise.
const cases: Array<[string, string, string, string]> = [
  ["a missing dataset", "cannot open 'jpxexp/nope': dataset does not exist\n", "not_found", "JP_ERR_ZFS_NOT_FOUND"],
  ["a missing parent on create", "cannot create 'jpxexp/x/y': parent does not exist\n", "not_found", "JP_ERR_ZFS_NOT_FOUND"],
  ["a missing snapshot on send", "WARNING: could not send jpxexp/img@nope: does not exist\n", "not_found", "JP_ERR_ZFS_NOT_FOUND"],
  ["a taken name", "cannot create 'jpxexp/img': dataset already exists\n", "already_exists", "JP_ERR_ZFS_EXISTS"],
  ["a taken snapshot name", "cannot create snapshot 'jpxexp/img@seal': dataset already exists\n", "already_exists", "JP_ERR_ZFS_EXISTS"],
  ["a receive onto an existing dataset", "cannot receive new filesystem stream: destination 'jpxexp/recv' exists\nmust specify -F to overwrite it\n", "already_exists", "JP_ERR_ZFS_EXISTS"],
  ["a busy destroy", "cannot destroy 'jpxexp/a/w': dataset is busy\n", "unavailable", "JP_ERR_ZFS_BUSY"],
  ["OpenZFS's busy unmount", "cannot unmount '/var/x': pool or dataset is busy\n", "unavailable", "JP_ERR_ZFS_BUSY"],
  [
    "a umount refused by the kernel",
    "umount: /tmp/m/cwd: target is busy.\ncannot unmount '/tmp/m/cwd': umount failed: umount child process failed\n",
    "unavailable",
    "JP_ERR_ZFS_BUSY",
  ],
  [
    "an origin with clones",
    "cannot destroy 'jpxexp/img': filesystem has dependent clones\nuse '-R' to destroy the following datasets:\njpxexp/a/cl\n",
    "conflict",
    "JP_ERR_ZFS_HAS_DEPENDENTS",
  ],
  [
    "a snapshot with clones",
    "cannot destroy 'jpxexp/img@seal': snapshot has dependent clones\nuse '-R' to destroy the following datasets:\njpxexp/a/cl\n",
    "conflict",
    "JP_ERR_ZFS_HAS_DEPENDENTS",
  ],
  ["a dataset with children", "cannot destroy 'jpxexp/img': filesystem has children\nuse '-r' to destroy the following datasets:\njpxexp/img@seal\n", "conflict", "JP_ERR_ZFS_HAS_DEPENDENTS"],
  [
    "the zfs-fuse daemon not running",
    "connect: No such file or directory\nPlease make sure that the zfs-fuse daemon is running.\ninternal error: failed to initialize ZFS library\n",
    "unavailable",
    "JP_ERR_ZFS_DAEMON_DOWN",
  ],
  ["OpenZFS without its module (OpenZFS text)", "The ZFS modules are not loaded.\nTry running '/sbin/modprobe zfs' as root to load them.\n", "unavailable", "JP_ERR_ZFS_DAEMON_DOWN"],
  ["a permission failure (OpenZFS text)", "cannot create 'tank/a': permission denied\n", "permission_denied", "JP_ERR_ZFS_PERMISSION"],
  ["a non-empty mountpoint", "cannot mount '/tmp/m/nonempty': directory is not empty\nfilesystem successfully created, but not mounted\n", "conflict", "JP_ERR_ZFS_MOUNTPOINT"],
  ["a mountpoint inside a read-only dataset", "cannot mount '/tmp/m/rop/inner': failed to create mountpoint\nfilesystem successfully created, but not mounted\n", "conflict", "JP_ERR_ZFS_MOUNTPOINT"],
  ["an unmount of what is not mounted", "cannot unmount 'jpxexp/p': not currently mounted\n", "conflict", "JP_ERR_ZFS_NOT_MOUNTED"],
  ["a mount of what is mounted", "cannot mount 'jpxexp/mp': filesystem already mounted\n", "conflict", "JP_ERR_ZFS_ALREADY_MOUNTED"],
  ["a bad property value", "cannot set property for 'jpxexp/img': 'readonly' must be one of 'on | off'\n", "invalid", "JP_ERR_ZFS_BAD_ARGUMENT"],
  ["an unknown property", "cannot set property for 'jpxexp/img': invalid property 'foo'\n", "invalid", "JP_ERR_ZFS_BAD_ARGUMENT"],
  ["a mount of a snapshot", "cannot open 'jpxexp/img@seal': operation not applicable to datasets of this type\n", "invalid", "JP_ERR_ZFS_BAD_ARGUMENT"],
  ["a garbage receive stream", "cannot receive: failed to read from stream\n", "invalid", "JP_ERR_ZFS_BAD_STREAM"],
  ["anything else", "internal error: Unknown error 1234\n", "internal", "JP_ERR_ZFS_FAILED"],
];

describe("classifying zfs failures", () => {
  for (const [what, stderr, kind, code] of cases) {
    it(`classifies ${what} as ${kind}`, () => {
      const got = classifyZfsFailure(stderr);
      assert.equal(got.kind, kind);
      assert.equal(got.code, code);
    });
  }

  it("tells the user to start zfs-fuse when the daemon is down", () => {
    assert.match(classifyZfsFailure(cases[12]![1]).hint ?? "", /zfs-fuse/);
  });

  it("drops the usage text zfs prints after an argument error", () => {
    const stderr = "bad property list: invalid property 'foo'\nusage:\n\tget [-rHp] ...\n\nThe following properties are supported:\n";
    assert.equal(cleanStderr(stderr), "bad property list: invalid property 'foo'");
  });

  it("builds an error that names the command and keeps zfs's words", () => {
    const err = zfsError(["zfs", "destroy", "tank/img"], { stderr: cases[9]![1], code: 1 });
    assert.equal(err.kind, "conflict");
    assert.equal(
      err.message,
      "zfs destroy tank/img: cannot destroy 'jpxexp/img': filesystem has dependent clones; use '-R' to destroy the following datasets:; jpxexp/a/cl",
    );
    assert.deepEqual((err.details as { argv: string[] }).argv, ["zfs", "destroy", "tank/img"]);
  });

  it("keeps the whole stderr of an unknown failure in an internal error's message", () => {
    const err = zfsError(["zfs", "snapshot", "tank/a@s"], { stderr: "something odd happened\n", code: 2 });
    assert.equal(err.kind, "internal");
    assert.match(err.message, /something odd happened/);
  });
});

describe("telling zfs flavors and daemon states apart", () => {
  it("takes a successful `zfs list -p` for native OpenZFS", () => {
    assert.equal(flavorFromProbe({ code: 0, stdout: "tank\n", stderr: "" }), "openzfs");
  });

  it("takes zfs-fuse's refusal of -p for zfs-fuse", () => {
    assert.equal(flavorFromProbe({ code: 2, stdout: "", stderr: "invalid option 'p'\nusage:\n\tlist [-rH][-d max] ...\n" }), "zfs-fuse");
  });

  it("cannot tell the flavor while the daemon is down", () => {
    assert.equal(flavorFromProbe({ code: 1, stdout: "", stderr: cases[12]![1] }), undefined);
  });

  it("recognises the zfs-fuse connection failure and nothing else as daemon down", () => {
    assert.equal(isDaemonDown(cases[12]![1]), true);
    assert.equal(isDaemonDown("cannot open 'x': dataset does not exist\n"), false);
  });
});
