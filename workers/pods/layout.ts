// Where a pod keeps things, on ZFS and on disk (Jetpack's layout). Pure: names only.
//
//   <zfsRoot>/pods/<uuid>                  mountpoint=none: the pod's dataset, parent of the others
//   <zfsRoot>/pods/<uuid>/rootfs.<i>       clone of app i's image @seal, snapshot @parent, mounted at <root>/pods/<uuid>/rootfs/<i>
//   <zfsRoot>/pods/<uuid>/volume.<name>    an empty volume, mounted at <root>/pods/<uuid>/volumes/<name>
//   <root>/pods/<uuid>/                    manifest, logs/<app>.log, status.json, supervisor.sock, mds/
import { podsDataset, type StoreLayout } from "../images/layout.js";
import { appLogPath as supervisorAppLogPath } from "./supervisor/launch.js";

/** The snapshot each rootfs clone gets right after cloning: what the app started from. */
export const PARENT_SNAPSHOT = "parent";

/** Pure. The pod's own dataset. */
export function podDataset(l: StoreLayout, uuid: string): string {
  return `${podsDataset(l)}/${uuid}`;
}

/** Pure. The dataset of app `index`'s root filesystem. */
export function appRootfsDataset(l: StoreLayout, uuid: string, index: number): string {
  return `${podDataset(l, uuid)}/rootfs.${index}`;
}

/** Pure. The dataset of an empty volume. */
export function volumeDataset(l: StoreLayout, uuid: string, volume: string): string {
  return `${podDataset(l, uuid)}/volume.${volume}`;
}

/** Pure. The pod's directory on the host. */
export function podDir(l: StoreLayout, uuid: string): string {
  return `${l.root}/pods/${uuid}`;
}

/** Pure. Where app `index`'s rootfs is mounted (planPod computes the same from the pod directory). */
export function appRootfsDir(l: StoreLayout, uuid: string, index: number): string {
  return `${podDir(l, uuid)}/rootfs/${index}`;
}

/** Pure. Where an empty volume is mounted (as planPod's RunVolume.source). */
export function volumeDir(l: StoreLayout, uuid: string, volume: string): string {
  return `${podDir(l, uuid)}/volumes/${volume}`;
}

/** Pure. The log file of an app's output (where the supervisor writes it). */
export function appLogPath(l: StoreLayout, uuid: string, app: string): string {
  return supervisorAppLogPath(podDir(l, uuid), app);
}

/** Pure. Where the pod's metadata-service secrets live (root-only). */
export function podSecretsPath(l: StoreLayout, uuid: string): string {
  return `${podDir(l, uuid)}/mds/secrets.json`;
}
