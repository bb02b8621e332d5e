import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imageDataset, imageIdOf, imageRootfs, imageSeal, stagingDataset, stagingUuidOf } from "../../../../workers/images/layout.js";

const l = { root: "/var/lib/jetpack", zfsRoot: "tank/jetpack" };
const id = `sha512-${"ab".repeat(64)}`;

describe("store layout", () => {
  it("names image datasets, seals and mountpoints as Jetpack did", () => {
    assert.equal(imageDataset(l, id), `tank/jetpack/images/${id}`);
    assert.equal(imageSeal(l, id), `tank/jetpack/images/${id}@seal`);
    assert.equal(imageRootfs(l, id), `/var/lib/jetpack/images/${id}/rootfs`);
  });

  it("tells staging datasets and image datasets apart, and neither from anything else", () => {
    assert.equal(stagingUuidOf(l, stagingDataset(l, "u-1")), "u-1");
    assert.equal(stagingUuidOf(l, imageDataset(l, id)), undefined);
    assert.equal(imageIdOf(l, imageDataset(l, id)), id);
    assert.equal(imageIdOf(l, stagingDataset(l, "u-1")), undefined);
    assert.equal(imageIdOf(l, "tank/jetpack/pods/x"), undefined);
    assert.equal(imageIdOf(l, `tank/jetpack/images/sha512-short`), undefined);
  });
});
