// Labels: `{name, value}` pairs that tell images apart (version, os, arch, ...). Pure.
import { z } from "zod";
import { goQuote } from "./go-text.js";
import { canonicalKeys } from "./json-keys.js";
import { acIdentifierField } from "./names.js";

export type Label = { name: string; value: string };

/**
 * The os/arch pairs the Go schema knows (`types.ValidOSArch`). An `arch` label is checked only when an
 * `os` label is present: on its own it means nothing, so the Go schema lets any value through.
 */
export const VALID_OS_ARCH: Readonly<Record<string, readonly string[]>> = {
  linux: ["amd64", "i386", "aarch64", "aarch64_be", "armv6l", "armv7l", "armv7b", "ppc64", "ppc64le", "s390x"],
  freebsd: ["amd64", "i386", "arm"],
  darwin: ["x86_64", "i386"],
};

export const LabelSchema = z.preprocess(
  canonicalKeys(["name", "value"], { keepNull: ["name"] }),
  z.object({
    name: acIdentifierField("name"),
    value: z.string({ error: "value must be a string" }).default(""),
  }),
);

/** Pure. Adds an issue for each label that breaks a list rule: reserved `name`, duplicates, os/arch. */
function checkLabelList(labels: readonly Label[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  labels.forEach((label, i) => {
    if (label.name === "name") ctx.addIssue({ code: "custom", message: 'invalid label name: "name"', path: [i, "name"] });
    else if (seen.has(label.name)) ctx.addIssue({ code: "custom", message: `duplicate labels of name ${goQuote(label.name)}`, path: [i, "name"] });
    else seen.set(label.name, i);
  });
  const osAt = seen.get("os");
  if (osAt === undefined) return;
  const os = labels[osAt]?.value ?? "";
  const arches = VALID_OS_ARCH[os];
  if (arches === undefined) {
    const oses = Object.keys(VALID_OS_ARCH).sort().join(" ");
    ctx.addIssue({ code: "custom", message: `bad os ${goQuote(os)} (must be one of: [${oses}])`, path: [osAt, "value"] });
    return;
  }
  const archAt = seen.get("arch");
  const arch = archAt === undefined ? undefined : labels[archAt]?.value;
  if (archAt !== undefined && arch !== undefined && !arches.includes(arch)) {
    ctx.addIssue({ code: "custom", message: `bad arch ${goQuote(arch)} for ${os} (must be one of: [${arches.join(" ")}])`, path: [archAt, "value"] });
  }
}

/** A label list: names are AC Identifiers, unique and never `name`; os/arch from VALID_OS_ARCH. */
export const LabelsSchema = z.array(LabelSchema, { error: "labels must be a list of {name, value}" }).superRefine(checkLabelList);

/** Pure. The value of the label called `name`, or undefined when there is none. */
export function labelValue(labels: readonly Label[], name: string): string | undefined {
  return labels.find((l) => l.name === name)?.value;
}

/**
 * Pure. An image's name for people, as Jetpack printed it: `name:version,arch=amd64,os=linux` (the
 * version after a colon, every other label after a comma, sorted as the rendered `,name=value` text).
 */
export function formatImageName(name: string, labels: readonly Label[]): string {
  const version = labelValue(labels, "version");
  const others = labels
    .filter((l) => l.name !== "version")
    .map((l) => `,${l.name}=${l.value}`)
    .sort();
  return `${name}${version === undefined ? "" : `:${version}`}${others.join("")}`;
}
