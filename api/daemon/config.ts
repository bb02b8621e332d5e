// The root's remembered settings (`<root>/jetpack.json`): the ZFS dataset it was set up on. Effects (files).
import { readFile, writeFile } from "node:fs/promises";
import { z } from "zod";
import { fail } from "../../machines/errors.js";
import { parseOrFail } from "../../machines/validate.js";

const RootConfigSchema = z.object({ zfsRoot: z.string().min(1) });
export type RootConfig = z.infer<typeof RootConfigSchema>;

/** The dataset for this root: the remembered one, or the one given now (then remembered). */
export async function loadRootConfig(root: string, given: string | undefined): Promise<RootConfig> {
  const path = `${root}/jetpack.json`;
  const text = await readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (text !== undefined) {
    const cfg = parseOrFail(RootConfigSchema, JSON.parse(text), "JP_ERR_CONFIG_INVALID", path);
    if (given !== undefined && given !== cfg.zfsRoot) {
      throw fail("conflict", "JP_ERR_CONFIG_ZFS", `${root} was set up on ZFS dataset ${cfg.zfsRoot}, not ${given}`, {
        hint: `leave out --zfs, or use another --root for ${given}`,
      });
    }
    return cfg;
  }
  if (given === undefined) {
    throw fail("invalid", "JP_ERR_CONFIG_ZFS", `${root} is new: say which ZFS dataset to keep images and pods in`, {
      hint: "start the daemon with --zfs POOL/jetpack (ops/demo.sh shows how to make a file-backed pool)",
    });
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:\/-]*$/.test(given) || given.endsWith("/")) {
    throw fail("invalid", "JP_ERR_CONFIG_ZFS", `${given} is not a ZFS dataset name`);
  }
  const cfg = { zfsRoot: given };
  await writeFile(path, JSON.stringify(cfg, null, 2) + "\n", { mode: 0o600 });
  return cfg;
}
