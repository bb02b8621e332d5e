// A pod's datasets: each app's rootfs cloned from its image's seal, each empty volume its own dataset.
// Effects (ZFS, files).
//
// prepare is redone from scratch when it runs again (a crash half-way through leaves a partial pod
// dataset that recovery's re-run destroys first), so it never doubles a clone.
import { chmod, chown, mkdir, rm } from "node:fs/promises";
import type { PodManifest } from "../../machines/appc/index.js";
import type { Storage } from "../host/storage.js";
import { imageSeal, type StoreLayout } from "../images/layout.js";
import { appRootfsDataset, appRootfsDir, PARENT_SNAPSHOT, podDataset, podDir, volumeDataset, volumeDir } from "./layout.js";

/** Effects. Creates the pod's datasets and directories from its reified manifest; replaces any partial earlier attempt. */
export async function preparePodStorage(storage: Storage, layout: StoreLayout, uuid: string, pod: PodManifest): Promise<void> {
  await destroyPodStorage(storage, layout, uuid);
  const dir = podDir(layout, uuid);
  await mkdir(`${dir}/logs`, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await storage.create(podDataset(layout, uuid), { mountpoint: "none", properties: { "jetpack:pod": uuid } });
  for (const [index, app] of pod.apps.entries()) {
    const id = app.image.id;
    if (!id) throw new Error(`app ${app.name} has no pinned image id (the manifest was not reified)`);
    const dataset = appRootfsDataset(layout, uuid, index);
    await storage.clone(imageSeal(layout, id), dataset, { mountpoint: appRootfsDir(layout, uuid, index), properties: { "jetpack:app": app.name } });
    await storage.snapshot(dataset, PARENT_SNAPSHOT);
  }
  for (const volume of pod.volumes) {
    if (volume.kind !== "empty") continue;
    const path = volumeDir(layout, uuid, volume.name);
    await storage.create(volumeDataset(layout, uuid, volume.name), { mountpoint: path });
    // appc §4: an empty volume starts with the mode, uid and gid the manifest gives (defaults 0755, 0, 0).
    await chown(path, volume.uid, volume.gid);
    await chmod(path, parseInt(volume.mode, 8));
  }
}

/** Effects. Destroys the pod's datasets and its directory; absent is fine (destroy is idempotent). */
export async function destroyPodStorage(storage: Storage, layout: StoreLayout, uuid: string): Promise<void> {
  await storage.destroy(podDataset(layout, uuid), { recursive: true });
  const dir = podDir(layout, uuid);
  // Mount points of the clones stay behind as empty directories once ZFS let go of them.
  await rm(`${dir}/rootfs`, { recursive: true, force: true });
  await rm(`${dir}/volumes`, { recursive: true, force: true });
}

/** Effects. Removes everything the pod had on the host's disk (after its datasets are gone). */
export async function removePodDir(layout: StoreLayout, uuid: string): Promise<void> {
  await rm(podDir(layout, uuid), { recursive: true, force: true });
}
