import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JetpackError } from "../../../../machines/errors.js";
import { parseImageManifest, parsePodManifest } from "../../../../machines/appc/index.js";
import { invalidFixtures, validFixtures, type ManifestKind } from "../../../support/appc-fixtures.js";


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
