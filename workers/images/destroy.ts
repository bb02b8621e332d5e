// Destroying a stored image. Effects (ZFS, files).
import { rm } from "node:fs/promises";
import { fail } from "../../machines/errors.js";
import type { Storage } from "../host/storage.js";
import { imageDataset, imageDir, type StoreLayout } from "./layout.js";

/** Effects. Destroys image `id`'s dataset (with @seal) and its files. Idempotent: an absent image is fine. */
export async function destroyImage(deps: { storage: Storage; layout: StoreLayout }, id: string): Promise<void> {
  const dataset = imageDataset(deps.layout, id);
  // Clones of @seal (dependent images, pods) pin the image; ZFS says so as a conflict, which we word for users.
  const clones = (await deps.storage.list(deps.layout.zfsRoot, { type: "filesystem", recursive: true })).filter((d) => d.origin === `${dataset}@seal`);
  if (clones.length > 0) {
    throw fail("conflict", "JP_ERR_IMAGE_IN_USE", `image ${id.slice(0, 19)} is in use by ${clones.map((c) => c.name).join(", ")}`, {
      hint: "destroy the images and pods that depend on it first",
    });
  }
  await deps.storage.destroy(dataset, { recursive: true });
  await rm(imageDir(deps.layout, id), { recursive: true, force: true });
}
