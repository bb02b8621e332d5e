// The two files of a partial download on disk, and the order in which they change. Effects (files).
//
// Invariant: the bytes in `<dest>.partial` always belong to the version `<dest>.partial.json` describes.
// So a restart empties the partial file (durably) before new validators replace the old ones, and new
// validators are durable (fsync + rename + directory fsync) before any body byte is appended.
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { parseOrFail } from "../../../../machines/validate.js";
import { validatorsSchema, type Validators } from "./state.js";

export interface PartialPaths {
  dest: string;
  partial: string;
  validators: string;
}

/** Pure. Where the partial file and its validators live for `dest`. */
export function partialPaths(dest: string): PartialPaths {
  return { dest, partial: `${dest}.partial`, validators: `${dest}.partial.json` };
}

async function fsyncDir(path: string): Promise<void> {
  const dir = await open(dirname(path), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Effects. The partial file's size, or null when there is none. */
export async function partialSize(paths: PartialPaths): Promise<number | null> {
  try {
    return (await stat(paths.partial)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Effects. The recorded validators, or null when the record is missing or unreadable (then it is not trusted). */
export async function readValidators(paths: PartialPaths): Promise<Validators | null> {
  let text: string;
  try {
    text = await readFile(paths.validators, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    return parseOrFail(validatorsSchema, JSON.parse(text), "JP_ERR_FETCH_PARTIAL", `validators ${paths.validators}`);
  } catch {
    return null;
  }
}

/** Effects. Replaces the validators record atomically and durably. */
export async function writeValidators(paths: PartialPaths, validators: Validators): Promise<void> {
  const tmp = `${paths.validators}.tmp`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(JSON.stringify(validators) + "\n");
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, paths.validators);
  await fsyncDir(paths.validators);
}

/** Effects. Removes both files (and a stray temp record); missing files are fine. */
export async function discardPartial(paths: PartialPaths): Promise<void> {
  await rm(paths.partial, { force: true });
  await rm(paths.validators, { force: true });
  await rm(`${paths.validators}.tmp`, { force: true });
}

/** Effects. Empties the partial file, durably, so that no old bytes can outlive a change of version. */
export async function emptyPartial(paths: PartialPaths): Promise<void> {
  const fh = await open(paths.partial, "w", 0o600);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsyncDir(paths.partial);
}

/** Effects. Makes the finished partial file the destination (durably), then drops the validators record. */
export async function promotePartial(paths: PartialPaths): Promise<void> {
  // The bytes may come from an earlier process that died before its final fsync.
  const fh = await open(paths.partial, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(paths.partial, paths.dest);
  await fsyncDir(paths.dest);
  await rm(paths.validators, { force: true });
}
