import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { JetpackError } from "../../../../../machines/errors.js";
import { assertDatasetName, assertSnapshotName, parentOf, renamedName } from "../../../../../workers/host/zfs/names.js";

const isInvalid = (e: unknown) => e instanceof JetpackError && e.kind === "invalid";

describe("dataset and snapshot names", () => {
  it("accepts Jetpack's layout names", () => {
    assertDatasetName("zroot/jetpack/pods/2f1c0e3a-8d7b-4b8e-9a55-0c1d2e3f4a5b/rootfs.0");
    assertSnapshotName("zroot/jetpack/images/2f1c0e3a-8d7b-4b8e-9a55-0c1d2e3f4a5b@seal");
  });

  it("refuses a name longer than ZFS allows", () => {
    assert.throws(() => assertDatasetName(`tank/${"a".repeat(260)}`), isInvalid);
  });

  it("refuses a snapshot without a snapshot part or with a bad one", () => {
    assert.throws(() => assertSnapshotName("tank/a"), isInvalid);
    assert.throws(() => assertSnapshotName("tank/a@"), isInvalid);
    assert.throws(() => assertSnapshotName("tank/a@b@c"), isInvalid);
  });

  it("says which name is at fault", () => {
    assert.throws(() => assertDatasetName("tank/a b"), (e: unknown) => isInvalid(e) && /"tank\/a b"/.test((e as Error).message));
  });
});

describe("name arithmetic", () => {
  it("finds the parent of a dataset and the dataset of a snapshot", () => {
    assert.equal(parentOf("tank/a/b"), "tank/a");
    assert.equal(parentOf("tank/a@s"), "tank/a");
    assert.equal(parentOf("tank"), undefined);
  });

  it("maps names inside a renamed subtree and leaves look-alikes alone", () => {
    assert.equal(renamedName("tank/p/rootfs.0", "tank/p/rootfs.0", "tank/i/x"), "tank/i/x");
    assert.equal(renamedName("tank/p/rootfs.0/sub", "tank/p/rootfs.0", "tank/i/x"), "tank/i/x/sub");
    assert.equal(renamedName("tank/p/rootfs.0@parent", "tank/p/rootfs.0", "tank/i/x"), "tank/i/x@parent");
    assert.equal(renamedName("tank/p/rootfs.01", "tank/p/rootfs.0", "tank/i/x"), "tank/p/rootfs.01");
  });
});
