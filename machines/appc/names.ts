// AC Identifier and AC Name, checked exactly as the reference Go code does (not by the spec's stricter
// regex: `a--b`, `a//b` and `a/-b` are valid identifiers there). Pure.
import { z } from "zod";

const IDENTIFIER_BAD_CHAR = /[^a-z0-9._~/-]/;
const IDENTIFIER_BAD_EDGE = /^[._~/-]|[._~/-]$/;
const NAME_BAD_CHAR = /[^a-z0-9-]/;
const NAME_BAD_EDGE = /^-|-$/;

/** Pure. Why `s` is not an AC Identifier, in the Go schema's words, or undefined when it is one. */
export function acIdentifierError(s: string): string | undefined {
  if (s === "") return "ACIdentifier cannot be empty";
  if (IDENTIFIER_BAD_CHAR.test(s)) return 'ACIdentifier must contain only lower case alphanumeric characters plus "-._~/"';
  if (IDENTIFIER_BAD_EDGE.test(s)) return "ACIdentifier must start and end with only lower case alphanumeric characters";
  return undefined;
}

/** Pure. Why `s` is not an AC Name, in the Go schema's words, or undefined when it is one. */
export function acNameError(s: string): string | undefined {
  if (s === "") return "ACName cannot be empty";
  if (NAME_BAD_CHAR.test(s)) return 'ACName must contain only lower case alphanumeric characters plus "-"';
  if (NAME_BAD_EDGE.test(s)) return "ACName must start and end with only lower case alphanumeric characters";
  return undefined;
}

/** Pure. True when `s` is an AC Identifier (image names; label, annotation and isolator names). */
export function isACIdentifier(s: unknown): s is string {
  return typeof s === "string" && acIdentifierError(s) === undefined;
}

/** Pure. True when `s` is an AC Name (app, volume, port and mount-point names). */
export function isACName(s: unknown): s is string {
  return typeof s === "string" && acNameError(s) === undefined;
}

/**
 * Pure. A required string field: absent gives "`field` must be set" (the Go schema's text for missing
 * names); JSON null reads as the empty string, as Go's decoder hands it to the field.
 */
export function requiredString(field: string, emptyIs: string, missing = `${field} must be set`) {
  return z.string({
    error: (issue) => {
      if (issue.input === undefined) return missing;
      if (issue.input === null) return emptyIs;
      return `${field} must be a string`;
    },
  });
}

/** Pure. A required AC Identifier field named `field`; `missing` is the text when it is absent. */
export function acIdentifierField(field: string, missing?: string) {
  return requiredString(field, "ACIdentifier cannot be empty", missing).superRefine((s, ctx) => {
    const error = acIdentifierError(s);
    if (error !== undefined) ctx.addIssue({ code: "custom", message: error, continue: false });
  });
}

/** Pure. A required AC Name field named `field`. */
export function acNameField(field: string) {
  return requiredString(field, "ACName cannot be empty").superRefine((s, ctx) => {
    const error = acNameError(s);
    if (error !== undefined) ctx.addIssue({ code: "custom", message: error, continue: false });
  });
}

/** An AC Identifier on its own (for example an image name typed by a user). */
export const ACIdentifierSchema = acIdentifierField("name");
/** An AC Name on its own (for example a pod app name). */
export const ACNameSchema = acNameField("name");
