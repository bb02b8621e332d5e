// Isolator lists: each known isolator's value is checked wherever it appears (as the Go decoder does);
// an app's list must also hold only known types and obey the "only one" and conflict rules. A pod's
// list is not checked further at parse time, as in Go: checkPodIsolators is what the runtime applies. Pure.
import { z } from "zod";
import { fail } from "../errors.js";
import { formatPath } from "../validate.js";
import { goQuote } from "./go-text.js";
import { ISOLATOR_RULES, isKnownIsolator, type IsolatorScope } from "./isolator-values.js";
import { canonicalKeys } from "./json-keys.js";
import { acIdentifierField } from "./names.js";
import { parseQuantity, type Quantity } from "./quantity.js";

export type Isolator = { name: string; value?: unknown };

export const IsolatorSchema = z.preprocess(
  canonicalKeys(["name", "value"], { keepNull: ["name", "value"] }),
  z
    .object({ name: acIdentifierField("name"), value: z.unknown().optional() }, { error: "isolator must be an object {name, value}" })
    .transform((isolator, ctx): Isolator => {
      if (!isKnownIsolator(isolator.name)) return isolator.value === undefined || isolator.value === null ? { name: isolator.name } : isolator;
      if (isolator.value === undefined || isolator.value === null) {
        ctx.addIssue({ code: "custom", message: `value must be set for isolator ${isolator.name}`, path: ["value"] });
        return z.NEVER;
      }
      const parsed = ISOLATOR_RULES[isolator.name].value.safeParse(isolator.value);
      if (parsed.success) return { name: isolator.name, value: parsed.data };
      for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: ["value", ...issue.path] });
      return z.NEVER;
    }),
);

interface ListProblem {
  index: number;
  message: string;
}

/** The Go schema's list rules, in its order: known type, then "only one", then conflicts with earlier entries. */
function listProblems(isolators: readonly Isolator[], unknownIsError: boolean): ListProblem[] {
  const problems: ListProblem[] = [];
  const seen = new Set<string>();
  isolators.forEach((isolator, index) => {
    if (!isKnownIsolator(isolator.name)) {
      if (unknownIsError) problems.push({ index, message: `invalid isolator: unknown type ${goQuote(isolator.name)}` });
      return;
    }
    const rule = ISOLATOR_RULES[isolator.name];
    if (seen.has(isolator.name) && !rule.multipleAllowed) {
      problems.push({ index, message: `isolators set contains too many instances of type ${isolator.name}` });
    } else {
      const clash = rule.conflicts.find((c) => seen.has(c));
      if (clash !== undefined) problems.push({ index, message: `isolators set contains incompatible types: ${isolator.name} cannot be combined with ${clash}` });
    }
    seen.add(isolator.name);
  });
  return problems;
}

/** An app's isolators: only known types, each valid, with the multiplicity and conflict rules. */
export const AppIsolatorsSchema = z.array(IsolatorSchema, { error: "isolators must be a list of {name, value}" }).superRefine((isolators, ctx) => {
  for (const p of listProblems(isolators, true)) ctx.addIssue({ code: "custom", message: p.message, path: [p.index, "name"] });
});

/** A pod's isolators as the Go schema parses them: known values are checked, unknown names pass. */
export const PodIsolatorsSchema = z.array(IsolatorSchema, { error: "isolators must be a list of {name, value}" });

export interface PodIsolatorReport {
  /** Isolators the runtime should enforce, in manifest order. */
  applied: Isolator[];
  /** Isolators it must tell the user it ignored, and why. */
  ignored: Array<{ isolator: Isolator; reason: string }>;
}

/**
 * Pure. The checks a runtime applies to a pod's isolators beyond the Go schema's: the "only one" and
 * conflict rules throw invalid JP_ERR_MANIFEST_INVALID; unknown types and types that apply only to apps
 * are returned as ignored, with the reason, since the spec says to tell the user which were ignored.
 */
export function checkPodIsolators(isolators: readonly Isolator[]): PodIsolatorReport {
  const problems = listProblems(isolators, false);
  if (problems.length > 0) {
    const text = problems.map((p) => `${formatPath(["isolators", p.index, "name"])}: ${p.message}`).join("; ");
    throw fail("invalid", "JP_ERR_MANIFEST_INVALID", `invalid pod manifest: ${text}`, {
      hint: "Keep one isolator of each such type in the pod manifest.",
      details: { issues: problems.map((p) => ({ path: formatPath(["isolators", p.index, "name"]), message: p.message })) },
    });
  }
  const report: PodIsolatorReport = { applied: [], ignored: [] };
  for (const isolator of isolators) {
    if (!isKnownIsolator(isolator.name)) report.ignored.push({ isolator, reason: `unknown isolator type ${goQuote(isolator.name)}` });
    else if (!ISOLATOR_RULES[isolator.name].scopes.includes("pod" satisfies IsolatorScope)) report.ignored.push({ isolator, reason: `${isolator.name} applies to apps, not to pods` });
    else report.applied.push(isolator);
  }
  return report;
}

export interface ResourceAmounts {
  request?: Quantity;
  limit?: Quantity;
}

/**
 * Pure. The request and limit of a parsed `resource/*` isolator as quantities; the spec says a missing
 * request defaults to the limit. Undefined for any other isolator.
 */
export function resourceAmounts(isolator: Isolator): ResourceAmounts | undefined {
  if (!isolator.name.startsWith("resource/") || !isKnownIsolator(isolator.name)) return undefined;
  const value = isolator.value as { request?: string; limit?: string };
  const out: ResourceAmounts = {};
  const request = value.request ?? value.limit;
  if (request !== undefined) out.request = parseQuantity(request);
  if (value.limit !== undefined) out.limit = parseQuantity(value.limit);
  return out;
}
