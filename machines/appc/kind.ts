// acKind: which manifest a JSON document claims to be. Pure.
import { z } from "zod";
import { goQuote } from "./go-text.js";

const KINDS = ["ImageManifest", "PodManifest"];

/** Pure. A required acKind field that must equal `kind`, with the Go schema's error texts. */
export function acKindField(kind: "ImageManifest" | "PodManifest") {
  const missingOrBad = `missing or bad ACKind (must be ${goQuote(kind)})`;
  return z
    .string({ error: (issue) => (issue.input === undefined ? missingOrBad : issue.input === null ? "ACKind must be set" : "acKind must be a string") })
    .superRefine((s, ctx) => {
      if (s === "") ctx.addIssue({ code: "custom", message: "ACKind must be set" });
      else if (!KINDS.includes(s)) ctx.addIssue({ code: "custom", message: `bad ACKind: ${s}` });
      else if (s !== kind) ctx.addIssue({ code: "custom", message: missingOrBad });
    })
    .transform(() => kind);
}
