// Pass 1 of an import: the manifest of a staged ACI file, reading no further than needed. Effects.
import fs from "node:fs";
import { fail } from "../../../machines/errors.js";
import { ACI_ERR, tooLarge } from "./aci-errors.js";
import { openAciStream } from "./aci-stream.js";
import { checkManifestType } from "./archive-ledger.js";
import type { Compression } from "./detect.js";
import { resolveLimits, type AciLimits } from "./limits.js";
import { cleanEntryName } from "./path-rules.js";

export interface AciManifest {
  /** The raw bytes of the `manifest` entry; parsing is the caller's business. */
  manifestBytes: Buffer;
  compression: Compression;
}

/**
 * Effects. Reads the `manifest` entry of the ACI file `file`: streams until that entry is read, then
 * stops (killing any decompressor). Fails with JP_ERR_ACI_NO_MANIFEST, JP_ERR_ACI_MANIFEST_TOO_LARGE
 * (default bound 1 MiB), JP_ERR_ACI_UNSAFE_PATH for a manifest that is a link, JP_ERR_ACI_LAYOUT for
 * one that is a directory or device, and JP_ERR_ACI_FORMAT for what is not a readable ACI. The rest
 * of the archive is checked by extractAci.
 */
export async function readAciManifest(file: string, opts: AciLimits = {}): Promise<AciManifest> {
  const limits = resolveLimits(opts);
  const source = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  let stream;
  try {
    stream = await openAciStream(source, { maxTotalBytes: limits.maxTotalBytes, hash: false });
  } catch (err) {
    source.destroy();
    throw openError(err, file);
  }
  try {
    for (let entries = 1; ; entries++) {
      const e = await stream.reader.next();
      if (e === null) throw fail("invalid", ACI_ERR.NO_MANIFEST, `the ACI ${file} has no manifest entry`, { hint: "an ACI holds a `manifest` file beside `rootfs/`; build it with actool build" });
      if (entries > limits.maxEntries) throw tooLarge(ACI_ERR.TOO_MANY_ENTRIES, `the ACI has more than ${limits.maxEntries} entries`);
      if (!isManifestName(e.name)) continue;
      checkManifestType(e.name, e.type);
      if (e.size > limits.maxManifestBytes) {
        throw tooLarge(ACI_ERR.MANIFEST_TOO_LARGE, `the manifest is ${e.size} bytes, over the limit of ${limits.maxManifestBytes} bytes`);
      }
      return { manifestBytes: Buffer.from(await stream.reader.readBody()), compression: stream.compression };
    }
  } catch (err) {
    throw await stream.explain(err);
  } finally {
    stream.close();
  }
}

function isManifestName(name: string): boolean {
  try {
    return cleanEntryName(name) === "manifest";
  } catch {
    return false; // an unsafe name is not the manifest; pass 2 refuses it
  }
}

function openError(err: unknown, file: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return fail("not_found", "JP_ERR_ACI_NOT_FOUND", `no ACI file at ${file}`);
  if (code === "EISDIR") return fail("invalid", ACI_ERR.FORMAT, `${file} is a directory, not an ACI file`);
  return err;
}
