// Finding images in the store by what users and manifests call them. Pure.
//
// IMAGE on the command line is a full image ID, a unique prefix of one (with or without `sha512-`), or
// `name[:version][,label=value...]`. Dependencies name an image by imageID, or by name and labels
// (appc-spec §2: a label that was not asked for matches anything).
import { parseAppString, type Label } from "./appc/index.js";
import { fail } from "./errors.js";
import type { ImageView } from "./projections/images.js";

/** Shortest prefix (hex digits after `sha512-`) accepted as an image reference, to keep typos from matching. */
export const MIN_ID_PREFIX_HEX = 6;

/** Pure. True when every asked label is present on the image with the same value. */
export function labelsMatch(asked: readonly Label[], have: readonly Label[]): boolean {
  return asked.every((a) => have.some((h) => h.name === a.name && h.value === a.value));
}

/** Pure. The images that a dependency entry of a manifest can be satisfied by. */
export function matchDependency(images: Iterable<ImageView>, dep: { imageName: string; imageID?: string | undefined; labels?: Label[] | undefined }): ImageView[] {
  const all = [...images];
  if (dep.imageID) return all.filter((v) => v.id === dep.imageID && v.name === dep.imageName);
  return all.filter((v) => v.name === dep.imageName && labelsMatch(dep.labels ?? [], v.labels));
}

/** Pure. Resolves IMAGE to exactly one image, or throws not_found / conflict (ambiguous) naming the candidates. */
export function resolveImageRef(images: Iterable<ImageView>, ref: string): ImageView {
  const all = [...images];
  const hex = ref.startsWith("sha512-") ? ref.slice(7) : /^[0-9a-f]+$/.test(ref) ? ref : undefined;
  let found: ImageView[];
  if (hex !== undefined) {
    if (hex.length < MIN_ID_PREFIX_HEX && hex.length !== 128) {
      throw fail("invalid", "JP_ERR_IMAGE_REF", `image ID prefix ${ref} is too short`, {
        hint: `give at least ${MIN_ID_PREFIX_HEX} hex digits, or the image name`,
      });
    }
    found = all.filter((v) => v.id.slice(7).startsWith(hex));
  } else {
    const { name, labels } = parseAppString(ref);
    found = all.filter((v) => v.name === name && labelsMatch(labels, v.labels));
  }
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    throw fail("not_found", "JP_ERR_IMAGE_NOT_FOUND", `no image matches ${ref}`, { hint: "see `jetpack image list` for the images in the store" });
  }
  throw fail("conflict", "JP_ERR_IMAGE_AMBIGUOUS", `${ref} matches ${found.length} images: ${found.map((v) => v.id.slice(0, 19)).join(", ")}`, {
    hint: "give a longer ID prefix, or add labels (name:version,os=...,arch=...)",
    details: { candidates: found.map((v) => v.id) },
  });
}
