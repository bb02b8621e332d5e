// The root's remembered settings (`<root>/jetpack.json`): the ZFS dataset it was set up on. Effects (files).
import { readFile, stat, writeFile } from "node:fs/promises";
import { rootCertificates } from "node:tls";
import { Agent } from "undici";
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

/**
 * How fetches reach registries: the extra CA of `--ca` (on top of the system's), and per-host headers
 * (e.g. `{"registry.example.com": {"Authorization": "Basic ..."}}`) from `<root>/auth.json`, which must be
 * root's alone since it holds credentials.
 */
export async function fetchSettings(root: string, caFile: string | undefined): Promise<{ dispatcher?: Agent; headers?: (host: string) => Record<string, string> }> {
  const out: { dispatcher?: Agent; headers?: (host: string) => Record<string, string> } = {};
  if (caFile) {
    const ca = await readFile(caFile, "utf8").catch(() => {
      throw fail("not_found", "JP_ERR_CONFIG_CA", `${caFile}: no such file`, { hint: "give --ca a PEM file of certificate authorities" });
    });
    out.dispatcher = new Agent({ connect: { ca: [...rootCertificates, ca] } });
  }
  const authPath = `${root}/auth.json`;
  const st = await stat(authPath).catch(() => undefined);
  if (st) {
    if ((st.mode & 0o077) !== 0) {
      throw fail("permission_denied", "JP_ERR_CONFIG_AUTH", `${authPath} holds credentials but others can read it`, { hint: `chmod 600 ${authPath}` });
    }
    const table = parseOrFail(AuthSchema, JSON.parse(await readFile(authPath, "utf8")), "JP_ERR_CONFIG_AUTH", authPath);
    out.headers = (host) => table[host] ?? {};
  }
  return out;
}

const AuthSchema = z.record(z.string(), z.record(z.string(), z.string()));
