// The appc manifest fixtures under test/fixtures/appc: valid ones, and invalid ones with the error we give
// and what the reference validator (actool) does with them.
import { readdirSync, readFileSync } from "node:fs";
import { repoPath } from "./repo.js";

export const FIXTURES_DIR = repoPath("test/fixtures/appc") + "/";

export type ManifestKind = "image" | "pod";

export interface ValidFixture {
  kind: ManifestKind;
  /** Path relative to FIXTURES_DIR, e.g. `image/valid/minimal.json`. */
  file: string;
  manifest: unknown;
}

export interface InvalidFixture {
  kind: ManifestKind;
  file: string;
  description: string;
  /** The exact message our parser gives. */
  error: string;
  /** What the reference `actool validate` does with it. */
  actool: { rejects: true; says: string } | { rejects: false; why: string };
  manifest: unknown;
}

function jsonFiles(dir: string): string[] {
  return readdirSync(`${FIXTURES_DIR}${dir}`)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => `${dir}/${f}`);
}

export function validFixtures(): ValidFixture[] {
  return (["image", "pod"] as const).flatMap((kind) =>
    jsonFiles(`${kind}/valid`).map((file) => ({ kind, file, manifest: JSON.parse(readFileSync(`${FIXTURES_DIR}${file}`, "utf8")) as unknown })),
  );
}

export function invalidFixtures(): InvalidFixture[] {
  return (["image", "pod"] as const).flatMap((kind) =>
    jsonFiles(`${kind}/invalid`).map((file) => ({ kind, file, ...(JSON.parse(readFileSync(`${FIXTURES_DIR}${file}`, "utf8")) as Omit<InvalidFixture, "kind" | "file">) })),
  );
}
