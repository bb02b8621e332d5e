// What each known isolator's value must look like (appc spec §5.6 and the Go schema), and how many of
// each an app may have. Pure.
import { z } from "zod";
import { goQuote } from "./go-text.js";
import { canonicalKeys } from "./json-keys.js";
import { QuantitySchema } from "./quantity.js";

export const KNOWN_ISOLATORS = [
  "resource/cpu",
  "resource/memory",
  "resource/block-bandwidth",
  "resource/block-iops",
  "resource/network-bandwidth",
  "os/linux/capabilities-retain-set",
  "os/linux/capabilities-remove-set",
  "os/linux/no-new-privileges",
  "os/linux/seccomp-remove-set",
  "os/linux/seccomp-retain-set",
  "os/linux/selinux-context",
  "os/linux/apparmor-profile",
  "os/linux/oom-score-adj",
  "os/linux/cpu-shares",
  "os/unix/sysctl",
] as const;
export type KnownIsolatorName = (typeof KNOWN_ISOLATORS)[number];

export type IsolatorScope = "app" | "pod";

export interface IsolatorRule {
  /** Where the spec lets it apply. The Go schema checks the value wherever it appears. */
  scopes: readonly IsolatorScope[];
  /** Whether an app may list it more than once. */
  multipleAllowed: boolean;
  /** Isolators it cannot be combined with in one app. */
  conflicts: readonly KnownIsolatorName[];
  value: z.ZodType;
}

function resourceValue(defaultMustBe: boolean) {
  return z.preprocess(
    canonicalKeys(["default", "request", "limit"]),
    z
      .object({
        default: z.boolean({ error: "default must be a boolean" }).default(false),
        request: QuantitySchema.optional(),
        limit: QuantitySchema.optional(),
      }, { error: "value must be an object {request, limit}" })
      .superRefine((v, ctx) => {
        if (v.default !== defaultMustBe) ctx.addIssue({ code: "custom", message: `default must be ${defaultMustBe}`, path: ["default"] });
        else if (defaultMustBe && v.request !== undefined) ctx.addIssue({ code: "custom", message: "request not supported by this resource, must be empty", path: ["request"] });
      }),
  );
}

const nonEmptySet = z.array(z.string({ error: "set entries must be strings" }), { error: "set must be a list of strings" }).default([]).refine((s) => s.length > 0, "set must be non-empty");

const capabilitiesValue = z.preprocess(canonicalKeys(["set"]), z.object({ set: nonEmptySet }, { error: "value must be an object {set}" }));

function errnoError(errno: string): string | undefined {
  if (!errno.startsWith("E")) return `errno must start with an 'E' character, got ${errno}`;
  if (!/^E[\p{Lu}\p{N}]*$/u.test(errno)) return `errno can only contain upper case or numeric characters, got ${errno}`;
  return undefined;
}

const seccompValue = z.preprocess(
  canonicalKeys(["set", "errno"], { unsetValues: { errno: "" } }),
  z.object(
    {
      set: nonEmptySet,
      errno: z
        .string({ error: "errno must be a string" })
        .superRefine((errno, ctx) => {
          const error = errnoError(errno);
          if (error !== undefined) ctx.addIssue({ code: "custom", message: error });
        })
        .optional(),
    },
    { error: "value must be an object {set, errno}" },
  ),
);

const seLinuxPart = (field: string, colonAllowed: boolean) =>
  z
    .string({ error: `${field} must be a string` })
    .default("")
    .superRefine((s, ctx) => {
      if (s === "" || (!colonAllowed && s.includes(":"))) ctx.addIssue({ code: "custom", message: `invalid ${field} value ${goQuote(s)}` });
    });

const seLinuxValue = z.preprocess(
  canonicalKeys(["user", "role", "type", "level"]),
  z.object(
    { user: seLinuxPart("user", false), role: seLinuxPart("role", false), type: seLinuxPart("type", false), level: seLinuxPart("level", true) },
    { error: "value must be an object {user, role, type, level}" },
  ),
);

const appArmorValue = z.preprocess(
  canonicalKeys(["profile"]),
  z.object(
    {
      profile: z
        .string({ error: "profile must be a string" })
        .default("")
        .refine((p) => p !== "", "invalid profile value \"\""),
    },
    { error: "value must be an object {profile}" },
  ),
);

function boundedInt(name: string, min: number, max: number) {
  return z
    .number({ error: `value must be an integer from ${min} to ${max}` })
    .int({ error: `value must be an integer from ${min} to ${max}` })
    .superRefine((n, ctx) => {
      if (n < min || n > max) ctx.addIssue({ code: "custom", message: `${name} must be between ${min} and ${max}, got ${n}` });
    });
}

const sysctlValue = z.record(z.string(), z.string({ error: "sysctl values must be strings" }).nullable().transform((v) => v ?? ""), {
  error: "value must be an object of sysctl names to values",
});

const resource = (defaultMustBe: boolean): IsolatorRule => ({ scopes: ["app", "pod"], multipleAllowed: true, conflicts: [], value: resourceValue(defaultMustBe) });

export const ISOLATOR_RULES: Readonly<Record<KnownIsolatorName, IsolatorRule>> = {
  "resource/cpu": resource(false),
  "resource/memory": resource(false),
  "resource/block-bandwidth": resource(true),
  "resource/block-iops": resource(true),
  "resource/network-bandwidth": resource(true),
  "os/linux/capabilities-retain-set": { scopes: ["app"], multipleAllowed: true, conflicts: [], value: capabilitiesValue },
  "os/linux/capabilities-remove-set": { scopes: ["app"], multipleAllowed: true, conflicts: [], value: capabilitiesValue },
  "os/linux/no-new-privileges": { scopes: ["app"], multipleAllowed: true, conflicts: [], value: z.boolean({ error: "value must be true or false" }) },
  "os/linux/seccomp-remove-set": { scopes: ["app"], multipleAllowed: false, conflicts: ["os/linux/seccomp-retain-set"], value: seccompValue },
  "os/linux/seccomp-retain-set": { scopes: ["app"], multipleAllowed: false, conflicts: ["os/linux/seccomp-remove-set"], value: seccompValue },
  "os/linux/selinux-context": { scopes: ["app", "pod"], multipleAllowed: false, conflicts: [], value: seLinuxValue },
  "os/linux/apparmor-profile": { scopes: ["app", "pod"], multipleAllowed: false, conflicts: [], value: appArmorValue },
  "os/linux/oom-score-adj": { scopes: ["app", "pod"], multipleAllowed: false, conflicts: [], value: boundedInt("os/linux/oom-score-adj", -1000, 1000) },
  "os/linux/cpu-shares": { scopes: ["app", "pod"], multipleAllowed: false, conflicts: [], value: boundedInt("os/linux/cpu-shares", 2, 262144) },
  "os/unix/sysctl": { scopes: ["pod"], multipleAllowed: false, conflicts: [], value: sysctlValue },
};

/** Pure. True when `name` is an isolator this schema knows. */
export function isKnownIsolator(name: string): name is KnownIsolatorName {
  return Object.hasOwn(ISOLATOR_RULES, name);
}
