// The error when discovery finds nothing: every URL tried and why, and what the user can do. Pure.
import { fail, type JetpackError } from "../../../../machines/errors.js";

import type { PageFailure } from "./fetch-page.js";

/** One URL that gave nothing: the page failed, had no tag for the name, or only unfillable templates. */
export interface Attempt {
  url: string;
  reason: string;
  failure: PageFailure | "no-tag" | "unfilled";
}

/** Pure. The hint that fits the failures seen, most specific first. */
export function noneFoundHint(attempts: readonly Attempt[], insecure: { http?: boolean; tls?: boolean } = {}): string {
  if (attempts.some((a) => a.failure === "tls") && insecure.tls !== true) {
    return "The server's certificate could not be verified: trust its CA, or retry with --insecure-options=tls if you accept the risk.";
  }
  if (attempts.some((a) => a.failure === "network") && insecure.http !== true) {
    return "Check the image name and the network; a registry that serves only plain http needs --insecure-options=http.";
  }
  if (attempts.some((a) => a.failure === "unfilled")) {
    return "Give the missing labels in the image name, e.g. NAME:VERSION,os=linux,arch=amd64.";
  }
  return "Check the image name; its server must answer https://NAME?ac-discovery=1 with <meta name=\"ac-discovery\"> tags.";
}

/** Pure. not_found JP_ERR_DISCOVERY_NONE listing each URL tried with its reason (also in `details.tried`). */
export function noneFoundError(
  what: "image" | "pubkeys",
  name: string,
  attempts: readonly Attempt[],
  opts: { insecure?: { http?: boolean; tls?: boolean } },
): JetpackError {
  const lines = attempts.map((a) => `  ${a.url}: ${a.reason}`).join("\n");
  const subject = what === "image" ? `no image found for ${name} by meta discovery` : `no public keys found for ${name} by meta discovery`;
  return fail("not_found", "JP_ERR_DISCOVERY_NONE", `${subject}; tried:\n${lines}`, {
    hint: noneFoundHint(attempts, opts.insecure),
    details: { name, tried: attempts.map((a) => ({ url: a.url, reason: a.reason })) },
  });
}
