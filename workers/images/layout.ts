// Where the image store keeps things, on ZFS and on disk. Pure: names only.
//
//   <zfsRoot>/images/<image id>        mounted at <root>/images/<image id>/rootfs, @seal, readonly=on
//   <zfsRoot>/images/tmp-<uuid>        an import in progress, mounted at <root>/tmp/import-<uuid>/rootfs
//   <root>/images/<image id>/          manifest, aci (the original, for export), info.json
//   <root>/tmp/import-<uuid>/          the staging directory of an import
//
// The `@seal` snapshot is the commit point of an import: a dataset without it is unfinished and recovery
// destroys it.

export const SEAL = "seal";
const TMP_PREFIX = "tmp-";

export interface StoreLayout {
  root: string;
  zfsRoot: string;
}

/** Pure. The dataset holding images. */
export function imagesDataset(l: StoreLayout): string {
  return `${l.zfsRoot}/images`;
}

/** Pure. The dataset holding pods. */
export function podsDataset(l: StoreLayout): string {
  return `${l.zfsRoot}/pods`;
}

/** Pure. The dataset of a stored image. */
export function imageDataset(l: StoreLayout, id: string): string {
  return `${imagesDataset(l)}/${id}`;
}

/** Pure. The sealed snapshot of a stored image (what its dependants and pods clone). */
export function imageSeal(l: StoreLayout, id: string): string {
  return `${imageDataset(l, id)}@${SEAL}`;
}

/** Pure. The directory of a stored image's files. */
export function imageDir(l: StoreLayout, id: string): string {
  return `${l.root}/images/${id}`;
}

/** Pure. Where a stored image's root filesystem is mounted. */
export function imageRootfs(l: StoreLayout, id: string): string {
  return `${imageDir(l, id)}/rootfs`;
}

/** Pure. The dataset an import in progress builds. */
export function stagingDataset(l: StoreLayout, uuid: string): string {
  return `${imagesDataset(l)}/${TMP_PREFIX}${uuid}`;
}

/** Pure. The staging directory of an import in progress. */
export function stagingDir(l: StoreLayout, uuid: string): string {
  return `${l.root}/tmp/import-${uuid}`;
}

/** Pure. The uuid of the import a staging dataset belongs to, or undefined for any other dataset. */
export function stagingUuidOf(l: StoreLayout, dataset: string): string | undefined {
  const prefix = `${imagesDataset(l)}/${TMP_PREFIX}`;
  return dataset.startsWith(prefix) ? dataset.slice(prefix.length) : undefined;
}

/** Pure. The image id a dataset under images/ stands for, or undefined if it is not an image dataset. */
export function imageIdOf(l: StoreLayout, dataset: string): string | undefined {
  const prefix = `${imagesDataset(l)}/`;
  if (!dataset.startsWith(prefix)) return undefined;
  const rest = dataset.slice(prefix.length);
  return /^sha512-[0-9a-f]{128}$/.test(rest) ? rest : undefined;
}
