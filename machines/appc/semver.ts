// acVersion as the Go schema reads it (coreos/go-semver plus appc's "not zero" rule). Pure.
import { z } from "zod";

export interface SemVer {
  major: bigint;
  minor: bigint;
  patch: bigint;
  preRelease: string;
  metadata: string;
}

const IDENTIFIERS = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;
const INT64_MAX = 2n ** 63n - 1n;

function splitOff(input: string, delimiter: string): [rest: string, tail: string] {
  const at = input.indexOf(delimiter);
  return at < 0 ? [input, ""] : [input.slice(0, at), input.slice(at + 1)];
}

/**
 * Pure. Parses MAJOR.MINOR.PATCH[-pre][+meta] as go-semver does: metadata splits off at the first `+`,
 * the pre-release at the first `-`; the three numbers are base-10 int64 (leading zeros allowed).
 * Returns the version or the reason it is bad.
 */
export function parseSemVer(s: string): SemVer | { error: string } {
  const [beforeMeta, metadata] = splitOff(s, "+");
  const [core, preRelease] = splitOff(beforeMeta, "-");
  const parts = core.split(".");
  if (parts.length < 3) return { error: `${core} is not in dotted-tri format` };
  const three = [parts[0] ?? "", parts[1] ?? "", parts.slice(2).join(".")];
  if (preRelease !== "" && !IDENTIFIERS.test(preRelease)) return { error: `failed to validate pre-release: ${preRelease} is not a valid semver identifier` };
  if (metadata !== "" && !IDENTIFIERS.test(metadata)) return { error: `failed to validate metadata: ${metadata} is not a valid semver identifier` };
  const numbers: bigint[] = [];
  for (const part of three) {
    if (!/^[0-9]+$/.test(part) || BigInt(part) > INT64_MAX) return { error: `${part} is not a valid version number` };
    numbers.push(BigInt(part));
  }
  const [major = 0n, minor = 0n, patch = 0n] = numbers;
  return { major, minor, patch, preRelease, metadata };
}

/** Pure. Why `s` is not an acceptable acVersion (Go's texts first), or undefined when it is. */
export function semVerError(s: string): string | undefined {
  const parsed = parseSemVer(s);
  if ("error" in parsed) return `SemVer is bad: ${parsed.error}`;
  const zero = parsed.major === 0n && parsed.minor === 0n && parsed.patch === 0n && parsed.preRelease === "" && parsed.metadata === "";
  return zero ? "SemVer cannot be zero" : undefined;
}

/** Pure. A required acVersion field (make it `.optional()` where absence is allowed). */
export const SemVerSchema = z
  .string({
    error: (issue) => {
      if (issue.input === undefined) return "acVersion must be set";
      return issue.input === null ? "SemVer is bad: null is not a version" : "acVersion must be a string";
    },
  })
  .superRefine((s, ctx) => {
    const error = semVerError(s);
    if (error !== undefined) ctx.addIssue({ code: "custom", message: error, continue: false });
  });
