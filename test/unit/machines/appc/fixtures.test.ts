import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { JetpackError } from "../../../../machines/errors.js";
import { parseImageManifest, parsePodManifest } from "../../../../machines/appc/index.js";
import { repoPath } from "../../../support/repo.js";

const FIXTURES_DIR = repoPath("test/fixtures/appc") + "/";

type ManifestKind = "image" | "pod";

interface ValidFixture {
  kind: ManifestKind;
  /** Path relative to FIXTURES_DIR, e.g. `image/valid/minimal.json`. */
  file: string;
  manifest: unknown;
}

interface InvalidFixture {
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

function validFixtures(): ValidFixture[] {
  return (["image", "pod"] as const).flatMap((kind) =>
    jsonFiles(`${kind}/valid`).map((file) => ({ kind, file, manifest: JSON.parse(readFileSync(`${FIXTURES_DIR}${file}`, "utf8")) as unknown })),
  );
}

function invalidFixtures(): InvalidFixture[] {
  return (["image", "pod"] as const).flatMap((kind) =>
    jsonFiles(`${kind}/invalid`).map((file) => ({ kind, file, ...(JSON.parse(readFileSync(`${FIXTURES_DIR}${file}`, "utf8")) as Omit<InvalidFixture, "kind" | "file">) })),
  );
}

function parse(kind: ManifestKind, json: unknown): unknown {
  return kind === "image" ? parseImageManifest(json) : parsePodManifest(json);
}

describe("appc manifest fixtures", () => {
  const valid = validFixtures();
  const invalid = invalidFixtures();

  it("has the spec's three examples and both kinds of invalid fixture", () => {
    const files = valid.map((f) => f.file);
    for (const example of ["image/valid/example-image.json", "pod/valid/pod_runtime.json", "pod/valid/pod_template.json"]) assert.ok(files.includes(example), example);
    assert.ok(invalid.some((f) => f.kind === "image") && invalid.some((f) => f.kind === "pod"));
  });

  for (const fixture of valid) {
    it(`accepts ${fixture.file}, and reads its own output back unchanged`, () => {
      const parsed = parse(fixture.kind, fixture.manifest);
      const again = parse(fixture.kind, JSON.parse(JSON.stringify(parsed)));
      assert.deepEqual(again, parsed);
    });
  }

  for (const fixture of invalid) {
    it(`rejects ${fixture.file} (${fixture.description}) naming the field at fault`, () => {
      assert.throws(
        () => parse(fixture.kind, fixture.manifest),
        (err: unknown) => {
          assert.ok(err instanceof JetpackError);
          assert.equal(err.kind, "invalid");
          assert.equal(err.code, "JP_ERR_MANIFEST_INVALID");
          assert.equal(err.message, fixture.error);
          return true;
        },
      );
    });
  }
});
