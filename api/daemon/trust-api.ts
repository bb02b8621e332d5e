// The trust store as the API sees it (ApiDeps.trust). Effects (files, network).
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import type { Dispatcher } from "undici";
import { partialPaths, retryDownload } from "../../workers/images/fetch/download/index.js";
import type { TrustStore } from "../../workers/images/trust/index.js";
import type { TrustApi } from "../deps.js";

export function trustApi(store: TrustStore, tmpDir: string, dispatcher: Dispatcher | undefined): TrustApi {
  const view = (k: { fingerprint: string; prefix: string | null; userIds: string[]; created: string; expires: string | null }) => ({
    fingerprint: k.fingerprint,
    prefix: k.prefix,
    userIds: k.userIds,
    created: k.created,
    expires: k.expires,
  });
  return {
    add: async (armored, scope, opts) => view(await store.add(armored, scope, opts)),
    list: async () => (await store.list()).map(view),
    remove: (fingerprint) => store.remove(fingerprint),
    async fetchKey(url) {
      await mkdir(tmpDir, { recursive: true, mode: 0o700 });
      const dest = `${tmpDir}/key-${randomUUID()}.asc`;
      try {
        const got = await retryDownload({ url, dest, maxBytes: 1 << 20, attempts: 3, ...(dispatcher ? { dispatcher } : {}) });
        return await readFile(got.path, "utf8");
      } finally {
        for (const path of Object.values(partialPaths(dest))) await rm(path, { force: true });
      }
    },
  };
}
