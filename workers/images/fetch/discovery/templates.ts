// Rendering appc meta-discovery URL templates and choosing the tags that apply to an image. Pure.
//
// Substitution is literal text, as in the reference Go code (the spec calls it RFC 6570-style, but no
// client implements more than plain `{var}` replacement). A template that still holds any `{...}` after
// substitution needs a variable we do not have and is skipped, never fetched half-filled.
import type { DiscoveryMeta } from "./meta.js";

/** What Go's `{.*?}` finds: any brace pair left over, even `{}`. */
const LEFTOVER = /\{.*?\}/;
const VARIABLE = /\{([^{}]*)\}/g;

/**
 * Pure. Replaces each `{key}` of `template` with `vars[key]`, in one pass (a value is never itself
 * substituted again, so a label value cannot smuggle in another variable). Returns undefined when any
 * `{...}` remains in the result, as Go does.
 */
export function renderTemplate(template: string, vars: Record<string, string>): string | undefined {
  const out = template.replace(VARIABLE, (whole, key: string) => (Object.hasOwn(vars, key) ? (vars[key] ?? whole) : whole));
  return LEFTOVER.test(out) ? undefined : out;
}

/** Pure. The variables in `template` that `vars` cannot fill, for error messages. */
export function missingVariables(template: string, vars: Record<string, string>): string[] {
  const missing: string[] = [];
  for (const m of template.matchAll(VARIABLE)) {
    const key = m[1] ?? "";
    if (!Object.hasOwn(vars, key) && !missing.includes(key)) missing.push(key);
  }
  return missing;
}

export interface DiscoveryApp {
  name: string;
  labels: ReadonlyArray<{ name: string; value: string }>;
}

/**
 * Pure. The template variables for an image, without `{ext}`: every label, then `version` (default
 * `latest`, also when empty, as Go), `os` and `arch` (from the host unless a label gives a non-empty
 * value), and `name`, which no label can override.
 */
export function templateVars(app: DiscoveryApp, host: { os: string; arch: string }): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const label of app.labels) vars[label.name] = label.value;
  if (!vars.version) vars.version = "latest";
  if (!vars.os) vars.os = host.os;
  if (!vars.arch) vars.arch = host.arch;
  vars.name = app.name;
  return vars;
}

/**
 * Pure. Whether a tag's prefix covers `name`. This is a plain string prefix, exactly as the Go reference
 * (`strings.HasPrefix`), not per path segment: a tag for `example.com/foo` also serves
 * `example.com/foobar`. That only decides where to download from; trust is checked elsewhere, per segment.
 */
export function prefixMatches(name: string, prefix: string): boolean {
  return name.startsWith(prefix);
}

export interface ImageEndpoints {
  /** Image URLs, in document order. */
  aci: string[];
  /** Signature URLs, `asc[i]` beside `aci[i]`. */
  asc: string[];
  /** Matching templates left out, and the variables they lacked. */
  skipped: Array<{ template: string; missing: string[] }>;
}

/**
 * Pure. Every `ac-discovery` tag whose prefix covers the name, rendered with `{ext}` = `aci` and
 * `aci.asc`, in document order; templates with unfilled variables are skipped. `{ext}` is always ours
 * (in Go a label named `ext` would win; here it cannot break the image/signature pair).
 */
export function imageEndpoints(meta: DiscoveryMeta, name: string, vars: Record<string, string>): ImageEndpoints {
  const out: ImageEndpoints = { aci: [], asc: [], skipped: [] };
  for (const tag of meta.images) {
    if (!prefixMatches(name, tag.prefix)) continue;
    const aci = renderTemplate(tag.template, { ...vars, ext: "aci" });
    const asc = renderTemplate(tag.template, { ...vars, ext: "aci.asc" });
    if (aci === undefined || asc === undefined) {
      out.skipped.push({ template: tag.template, missing: missingVariables(tag.template, { ...vars, ext: "aci" }) });
      continue;
    }
    out.aci.push(aci);
    out.asc.push(asc);
  }
  return out;
}

/** Pure. The key URLs of every `ac-discovery-pubkeys` tag whose prefix covers the name, in document order. */
export function pubkeyUrls(meta: DiscoveryMeta, name: string): string[] {
  return meta.pubkeys.filter((tag) => prefixMatches(name, tag.prefix)).map((tag) => tag.url);
}
