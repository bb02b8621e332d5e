// Fetching an image by name: discovery, a resumable download, the signature checked before anything is
// extracted, the manifest checked against the request, missing dependencies fetched depth-first, then
// the import. Effects (network, files, ZFS).
//
// The download lives in `<downloads>/<uuid>/` until the image is imported or the fetch fails for good,
// so a retried job (after a crash, a cut connection) resumes with Range instead of starting over.
import { mkdir, readFile, rm } from "node:fs/promises";
import { Agent, type Dispatcher } from "undici";
import { labelValue, parseImageManifestBytes, type ImageManifest } from "../../../machines/appc/index.js";
import { fail, JetpackError } from "../../../machines/errors.js";
import type { FetchRequest, ImageImported } from "../../../machines/events.js";
import { matchDependency } from "../../../machines/image-ref.js";
import { readAciManifest } from "../aci/index.js";
import { importImage, type ImportDeps, type ImportOutcome } from "../import.js";
import { describeKey, verifyAciSignature, type TrustStore } from "../trust/index.js";
import { discoverImage, hostArch, hostOs } from "./discovery/index.js";
import { retryDownload } from "./download/index.js";

export interface FetchDeps extends ImportDeps {
  trust: TrustStore;
  downloadsDir: string;
  /** Carries the daemon's extra CA (`--ca`), if any. */
  dispatcher?: Dispatcher;
  /** Per-host headers (Authorization) from `<root>/auth.json`. */
  headers?: (host: string) => Record<string, string>;
  /** Discovery on a non-standard port (test registries). */
  discoveryPort?: number;
}

export interface FetchHooks {
  onProgress?: (stage: string, bytes: number, total: number | null) => void;
  /** A key was added to the trust store on the user's standing orders (--trust-keys-from-https, --fingerprint). */
  onKeyTrusted?: (key: { fingerprint: string; userIds: string[]; prefix: string; url: string }) => Promise<void>;
  /** Fetches and imports a dependency that the store lacks; resolves once it is in the store. */
  fetchDependency: (dep: NonNullable<ImageManifest["dependencies"]>[number]) => Promise<void>;
}

/** Effects. Fetches, verifies and imports the image `request` names, as import `uuid`. */
export async function fetchImage(deps: FetchDeps, uuid: string, request: FetchRequest, insecureImage: boolean, hooks: FetchHooks): Promise<ImportOutcome> {
  const dir = `${deps.downloadsDir}/${uuid}`;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const dispatcher = request.insecureTls ? new Agent({ connect: { rejectUnauthorized: false } }) : deps.dispatcher;
  try {
    const net = { dispatcher, allowHttp: request.insecureHttp, ...(deps.headers ? { headers: deps.headers } : {}) };
    const found = await discoverImage(
      { name: request.name, labels: request.labels },
      {
        os: labelValue(request.labels, "os") ?? hostOs(),
        arch: labelValue(request.labels, "arch") ?? hostArch(),
        insecure: { http: request.insecureHttp, tls: request.insecureTls },
        ...(dispatcher ? { dispatcher } : {}),
        ...(deps.headers ? { headers: deps.headers } : {}),
        ...(deps.discoveryPort ? { port: deps.discoveryPort } : {}),
      },
    );
    const { file, url, index } = await downloadFirst(found.aci, `${dir}/image.aci`, net, request, hooks);

    let signature: ImageImported["signature"] = null;
    if (!insecureImage) {
      const ascUrl = found.asc[index];
      if (!ascUrl) throw fail("permission_denied", "JP_ERR_SIGNATURE_MISSING", `no signature is published for ${request.name}`, { hint: "pass --insecure-options=image to fetch it unverified" });
      const asc = await fetchText(ascUrl, `${dir}/image.aci.asc`, net).catch((err: unknown) => {
        throw fail("permission_denied", "JP_ERR_SIGNATURE_MISSING", `the signature ${ascUrl} could not be fetched: ${(err as Error).message}`, {
          hint: "pass --insecure-options=image to fetch it unverified",
        });
      });
      signature = await verifyTrusting(deps, file, asc, request, found.pubkeys, `${dir}/key`, net, hooks);
    }

    const manifest = await checkManifest(file, request);
    for (const dep of manifest.dependencies ?? []) {
      if (matchDependency(deps.images(), dep).length === 0) await hooks.fetchDependency(dep);
    }
    const outcome = await importImage(deps, {
      uuid,
      sourcePath: file,
      signature,
      origin: url,
      ...(request.imageID ? { expectedId: request.imageID } : {}),
      onProgress: (bytes, total) => hooks.onProgress?.("extracting", bytes, total),
    });
    await rm(dir, { recursive: true, force: true });
    return outcome;
  } catch (err) {
    // A fetch that can never succeed keeps nothing; one that may (network, crash) keeps its partial download.
    if (err instanceof JetpackError && err.kind !== "unavailable" && err.kind !== "internal") await rm(dir, { recursive: true, force: true });
    throw err;
  } finally {
    if (request.insecureTls) await (dispatcher as Agent).close().catch(() => {});
  }
}

interface Net {
  dispatcher: Dispatcher | undefined;
  allowHttp: boolean;
  headers?: (host: string) => Record<string, string>;
}

function downloadOpts(url: string, dest: string, net: Net) {
  const host = new URL(url).host;
  return { url, dest, allowHttp: net.allowHttp, ...(net.dispatcher ? { dispatcher: net.dispatcher } : {}), ...(net.headers ? { headers: net.headers(host) } : {}) };
}

/** Tries each discovered endpoint in document order; the first that answers wins. */
async function downloadFirst(urls: string[], dest: string, net: Net, request: FetchRequest, hooks: FetchHooks): Promise<{ file: string; url: string; index: number }> {
  const failures: string[] = [];
  for (const [index, url] of urls.entries()) {
    try {
      const got = await retryDownload({
        ...downloadOpts(url, dest, net),
        ...(request.size ? { maxBytes: request.size } : {}),
        onProgress: (p) => hooks.onProgress?.("downloading", p.bytes, p.total),
      });
      if (request.size !== undefined && got.bytes !== request.size) {
        throw fail("invalid", "JP_ERR_FETCH_SIZE", `${url} is ${got.bytes} bytes, but the dependency says ${request.size}`);
      }
      return { file: got.path, url: got.url, index };
    } catch (err) {
      const kind = err instanceof JetpackError ? err.kind : "internal";
      if (kind !== "not_found" && kind !== "permission_denied") throw err;
      failures.push(`${url}: ${(err as Error).message}`);
    }
  }
  throw fail("not_found", "JP_ERR_FETCH_NONE", `no endpoint of ${request.name} could be downloaded: ${failures.join("; ") || "discovery gave none"}`, {
    hint: "check the name and labels (jetpack image fetch NAME:VERSION,os=...,arch=...)",
  });
}

async function fetchText(url: string, dest: string, net: Net): Promise<string> {
  await rm(dest, { force: true });
  const got = await retryDownload({ ...downloadOpts(url, dest, net), maxBytes: 1 << 20, attempts: 3 });
  return readFile(got.path, "utf8");
}

/**
 * Verifies with the keys already trusted; if none fits and the publisher's keys were discovered, trusts
 * those the user allowed in advance (a pinned fingerprint, or --trust-keys-from-https), else refuses
 * naming each key so the user can decide.
 */
async function verifyTrusting(
  deps: FetchDeps,
  file: string,
  asc: string,
  request: FetchRequest,
  pubkeys: string[],
  keyPrefix: string,
  net: Net,
  hooks: FetchHooks,
): Promise<NonNullable<ImageImported["signature"]>> {
  try {
    return await verifyAciSignature({ aciPath: file, signature: asc, name: request.name, store: deps.trust });
  } catch (err) {
    const code = (err as JetpackError).code;
    if ((code !== "JP_ERR_TRUST_NO_KEYS" && code !== "JP_ERR_SIGNATURE_UNTRUSTED") || pubkeys.length === 0) throw err;
  }
  const keys = [];
  for (const [i, url] of pubkeys.entries()) {
    const armored = await fetchText(url, `${keyPrefix}-${i}.asc`, net);
    keys.push({ url, armored, ...(await describeKey(armored)) });
  }
  const wanted = (fp: string) => request.fingerprint !== undefined && fp.toLowerCase() === request.fingerprint.replace(/\s+/g, "").toLowerCase();
  const allowed = keys.filter((k) => wanted(k.fingerprint) || (request.trustKeysFromHttps && k.url.startsWith("https://")));
  if (allowed.length === 0) {
    throw fail("permission_denied", "JP_ERR_TRUST_UNKNOWN_KEY", `${request.name} is signed, but no key trusted for it; its publisher offers ${keys.map((k) => `${k.fingerprint} (${k.userIds.join(", ")}) at ${k.url}`).join("; ")}`, {
      hint: `if you trust it: jetpack trust add ${keys[0]!.url} --prefix ${request.name} --fingerprint ${keys[0]!.fingerprint}, or fetch again with --trust-keys-from-https`,
      details: { prefix: request.name, keys: keys.map(({ armored: _a, ...k }) => k) },
    });
  }
  for (const k of allowed) {
    await deps.trust.add(k.armored, { prefix: request.name }, { fingerprint: k.fingerprint });
    await hooks.onKeyTrusted?.({ fingerprint: k.fingerprint, userIds: k.userIds, prefix: request.name, url: k.url });
  }
  return verifyAciSignature({ aciPath: file, signature: asc, name: request.name, store: deps.trust });
}

/** The manifest must be the image that was asked for: same name, and every asked label equal. */
async function checkManifest(file: string, request: FetchRequest): Promise<ImageManifest> {
  const manifest = parseImageManifestBytes((await readAciManifest(file)).manifestBytes);
  const wrong: string[] = [];
  if (manifest.name !== request.name) wrong.push(`name is ${manifest.name}`);
  for (const l of request.labels) {
    const have = labelValue(manifest.labels ?? [], l.name);
    if (have !== l.value) wrong.push(`${l.name} is ${have ?? "absent"}, not ${l.value}`);
  }
  if (wrong.length > 0) {
    throw fail("invalid", "JP_ERR_FETCH_MISMATCH", `the image fetched for ${request.name} is not the one asked for: ${wrong.join(", ")}`, {
      hint: "the publisher's discovery points at another image; report it to them",
    });
  }
  return manifest;
}
