// appc meta discovery: where to download an image, its signature and its publisher's keys.
// Effects: fetches discovery pages over the network.
//
// The name is walked up (`a.com/p/s`, `a.com/p`, `a.com`) once, each page fetched at most once, but the
// walk is judged separately for image endpoints and for keys, as Go does: each takes the first level
// that gave a non-empty list. A level that fails (network error, 4xx/5xx, no usable tag) just moves the
// walk up; only when no level gave anything is it an error, and that error lists every URL tried.
import { Agent, type Dispatcher } from "undici";
import { fail } from "../../../../machines/errors.js";
import { acIdentifierError } from "../../../../machines/appc/names.js";
import { DEFAULT_TIMEOUT_MS, fetchPage, type PageContext, type PageResult } from "./fetch-page.js";
import { parseDiscoveryMeta, type DiscoveryMeta } from "./meta.js";
import { imageEndpoints, pubkeyUrls, templateVars, type DiscoveryApp } from "./templates.js";
import { discoveryUrls, overHttp } from "./walk.js";
import { noneFoundError, type Attempt } from "./report.js";

export interface DiscoveryOptions {
  /** `http`: retry a failed https URL over plain http. `tls`: do not verify certificates. */
  insecure?: { http?: boolean; tls?: boolean };
  /** The undici dispatcher for every request (e.g. an Agent with `connect: { ca }`). Ignored with `insecure.tls`. */
  dispatcher?: Dispatcher;
  /** Extra headers (e.g. Authorization) per host, `host[:port]` as written in the URL; sent over https only. */
  headers?: (host: string) => Record<string, string>;
  /** A port for the discovery URLs' host (registries off 443, tests); not part of the name. */
  port?: number;
  /** Per page, redirects included; default 30 s. */
  timeoutMs?: number;
}

export interface ImageDiscoveryOptions extends DiscoveryOptions {
  /** The host's appc os and arch, used unless the labels give them (see hostOs/hostArch). */
  os: string;
  arch: string;
}

export interface DiscoveredImage {
  /** Image URLs in document order. */
  aci: string[];
  /** Signature URLs; `asc[i]` belongs to `aci[i]`. */
  asc: string[];
  /** Public key URLs (empty when no level offered any). */
  pubkeys: string[];
}

interface Walker {
  /** Fetches the page of one level (https, then http when allowed); records each attempt. */
  page(url: string): Promise<DiscoveryMeta | undefined>;
  attempts: Attempt[];
}

function checkName(name: string): void {
  const error = acIdentifierError(name);
  if (error !== undefined) {
    throw fail("invalid", "JP_ERR_DISCOVERY_NAME", `cannot discover ${JSON.stringify(name)}: ${error}`, {
      hint: "Give an image name such as example.com/app; a registry port goes in the port option, not in the name.",
    });
  }
}

async function withWalker<T>(opts: DiscoveryOptions, body: (walker: Walker) => Promise<T>): Promise<T> {
  const allowHttp = opts.insecure?.http === true;
  // --insecure-options=tls means no verification at all, whatever the caller's dispatcher would check.
  const insecureAgent = opts.insecure?.tls === true ? new Agent({ connect: { rejectUnauthorized: false } }) : undefined;
  const dispatcher = insecureAgent ?? opts.dispatcher;
  const ctx: PageContext = {
    allowHttp,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(dispatcher ? { dispatcher } : {}),
    ...(opts.headers ? { headers: opts.headers } : {}),
  };
  const attempts: Attempt[] = [];
  const record = (url: string, result: PageResult): void => {
    if (!result.ok) attempts.push({ url, reason: result.reason, failure: result.failure });
  };
  const walker: Walker = {
    attempts,
    async page(url) {
      const secure = await fetchPage(url, ctx);
      record(url, secure);
      if (secure.ok) return parseDiscoveryMeta(secure.html);
      if (!allowHttp) return undefined;
      const plain = await fetchPage(overHttp(url), ctx);
      record(overHttp(url), plain);
      return plain.ok ? parseDiscoveryMeta(plain.html) : undefined;
    },
  };
  try {
    return await body(walker);
  } finally {
    await insecureAgent?.close();
  }
}

/**
 * Effects. Finds the image, signature and key URLs for an app (name + labels) by meta discovery.
 * Template variables: `{name}`, every label, `{version}` (default `latest`), `{os}`/`{arch}` (from
 * `opts` unless labelled) and `{ext}`. Throws not_found JP_ERR_DISCOVERY_NONE naming every URL tried
 * when no level offers a usable image template, invalid JP_ERR_DISCOVERY_NAME for a bad name.
 */
export async function discoverImage(app: DiscoveryApp, opts: ImageDiscoveryOptions): Promise<DiscoveredImage> {
  checkName(app.name);
  const vars = templateVars(app, { os: opts.os, arch: opts.arch });
  return withWalker(opts, async (walker) => {
    let found: { aci: string[]; asc: string[] } | undefined;
    let pubkeys: string[] | undefined;
    for (const url of discoveryUrls(app.name, opts.port)) {
      const meta = await walker.page(url);
      if (meta === undefined) continue;
      if (found === undefined) {
        const endpoints = imageEndpoints(meta, app.name, vars);
        if (endpoints.aci.length > 0) found = { aci: endpoints.aci, asc: endpoints.asc };
        else walker.attempts.push(noImageTag(url, meta, endpoints.skipped));
      }
      if (pubkeys === undefined) {
        const keys = pubkeyUrls(meta, app.name);
        if (keys.length > 0) pubkeys = keys;
      }
      if (found !== undefined && pubkeys !== undefined) break;
    }
    if (found === undefined) throw noneFoundError("image", app.name, walker.attempts, opts);
    return { ...found, pubkeys: pubkeys ?? [] };
  });
}

/**
 * Effects. Finds the public key URLs for a name (the `ac-discovery-pubkeys` tags), walking up the name
 * like discoverImage. Throws not_found JP_ERR_DISCOVERY_NONE naming every URL tried when none is found.
 */
export async function discoverPubkeys(name: string, opts: DiscoveryOptions = {}): Promise<string[]> {
  checkName(name);
  return withWalker(opts, async (walker) => {
    for (const url of discoveryUrls(name, opts.port)) {
      const meta = await walker.page(url);
      if (meta === undefined) continue;
      const keys = pubkeyUrls(meta, name);
      if (keys.length > 0) return keys;
      walker.attempts.push({ url, reason: `no ac-discovery-pubkeys tag for this name (${describeTags(meta)})`, failure: "no-tag" });
    }
    throw noneFoundError("pubkeys", name, walker.attempts, opts);
  });
}

function describeTags(meta: DiscoveryMeta): string {
  const prefixes = [...new Set([...meta.images, ...meta.pubkeys].map((t) => t.prefix))];
  return prefixes.length === 0 ? "the page has no discovery tags" : `tags only for ${prefixes.join(", ")}`;
}

function noImageTag(url: string, meta: DiscoveryMeta, skipped: Array<{ template: string; missing: string[] }>): Attempt {
  if (skipped.length === 0) return { url, reason: `no ac-discovery tag for this name (${describeTags(meta)})`, failure: "no-tag" };
  const why = skipped.map((s) => `${s.template} needs ${s.missing.map((m) => `{${m}}`).join(", ")}`).join("; ");
  return { url, reason: `every matching template needs a variable without a value: ${why}`, failure: "unfilled" };
}
