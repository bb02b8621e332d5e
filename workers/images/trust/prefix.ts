// Image-name prefixes of the trust store, and how they become directory names. Pure.
//
// Trust is granted per name prefix and matched per path segment: the original Jetpack (and rkt) compared
// plain strings, so a key trusted for `example.com` also vouched for `example.community/app`.
import { acIdentifierError } from "../../../machines/appc/index.js";

/** Pure. True when every `/`-separated segment of `prefix` equals the segment of `name` at the same place. */
export function prefixMatches(prefix: string, name: string): boolean {
  if (prefix === "" || name === "") return false;
  if (name === prefix) return true;
  return name.startsWith(`${prefix}/`);
}

/**
 * Pure. Why `prefix` cannot scope a trusted key, or undefined when it can. On top of the AC Identifier rules
 * the segments must be real names: `a//b`, `a/./b` and `a/../b` are valid identifiers but would make
 * per-segment matching surprising.
 */
export function prefixError(prefix: string): string | undefined {
  const error = acIdentifierError(prefix);
  if (error !== undefined) return error.replace(/^ACIdentifier/, "a trust prefix");
  for (const segment of prefix.split("/")) {
    if (segment === "" || segment === "." || segment === "..") return `a trust prefix cannot have an empty, "." or ".." segment`;
  }
  return undefined;
}

/**
 * Pure. The directory name holding a prefix's keys: `/` becomes `,` (as in rkt and Jetpack), which is
 * reversible because `,` cannot occur in an AC Identifier.
 */
export function prefixToDirName(prefix: string): string {
  return prefix.replaceAll("/", ",");
}

/** Pure. The prefix a directory name stands for, or undefined when the name is not one we would write. */
export function dirNameToPrefix(dirName: string): string | undefined {
  const prefix = dirName.replaceAll(",", "/");
  return prefixError(prefix) === undefined ? prefix : undefined;
}

/** Pure. The first segment of an image name (its host, for names that follow the DNS convention). */
export function nameHost(name: string): string {
  const slash = name.indexOf("/");
  return slash === -1 ? name : name.slice(0, slash);
}
