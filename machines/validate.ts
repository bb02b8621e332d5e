// Turning zod failures at a boundary into one `invalid` JetpackError that names the fields at fault. Pure.
import type { z } from "zod";
import { JetpackError } from "./errors.js";

export interface FieldIssue {
  /** Dotted path of the field at fault, e.g. `app.environment[2].name`; empty for the whole value. */
  path: string;
  message: string;
}

/** Pure. Renders a zod path as `a.b[2].c`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** Pure. The issues of a zod error as field paths and messages. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

/** Pure. Parses `value` with `schema`, or throws `invalid` with `code`, naming each field at fault. */
export function parseOrFail<S extends z.ZodType>(schema: S, value: unknown, code: string, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = fieldIssues(result.error);
  const summary = issues
    .slice(0, 5)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join("; ");
  throw new JetpackError({
    kind: "invalid",
    code,
    message: `invalid ${what}: ${summary}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ""}`,
    details: { issues },
  });
}
