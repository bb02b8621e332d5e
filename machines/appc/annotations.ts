// Annotations: `{name, value}` pairs of extra information about an image, a pod or a pod's app. Pure.
import { z } from "zod";
import { goDateError } from "./go-date.js";
import { goQuote } from "./go-text.js";
import { goHttpUrlError } from "./go-url.js";
import { canonicalKeys } from "./json-keys.js";
import { acIdentifierField } from "./names.js";

export type Annotation = { name: string; value: string };

/** Well-known annotations whose values the Go schema checks, and how. */
const VALUE_CHECKS: Record<string, (value: string) => string | undefined> = {
  created: goDateError,
  homepage: goHttpUrlError,
  documentation: goHttpUrlError,
};

export const AnnotationSchema = z.preprocess(
  canonicalKeys(["name", "value"], { keepNull: ["name"] }),
  z.object({
    name: acIdentifierField("name"),
    value: z.string({ error: "value must be a string" }).default(""),
  }),
);

function checkAnnotationList(annotations: readonly Annotation[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  annotations.forEach((annotation, i) => {
    if (seen.has(annotation.name)) {
      ctx.addIssue({ code: "custom", message: `duplicate annotations of name ${goQuote(annotation.name)}`, path: [i, "name"] });
      return;
    }
    seen.add(annotation.name);
    const check = VALUE_CHECKS[annotation.name];
    const error = check?.(annotation.value);
    if (error !== undefined) ctx.addIssue({ code: "custom", message: error, path: [i, "value"] });
  });
}

/**
 * An annotation list (images, pods and pod apps alike): names are AC Identifiers and unique; `created`
 * must be an RFC 3339 date, `homepage` and `documentation` http(s) URLs.
 */
export const AnnotationsSchema = z
  .array(AnnotationSchema, { error: "annotations must be a list of {name, value}" })
  .superRefine(checkAnnotationList);

/** Pure. The value of the annotation called `name`, or undefined when there is none. */
export function annotationValue(annotations: readonly Annotation[], name: string): string | undefined {
  return annotations.find((a) => a.name === name)?.value;
}
