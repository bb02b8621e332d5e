// Checks our appc schemas against the reference implementation: `actool validate` (Debian appc-spec
// 0.8.11) must accept every valid fixture and our re-serialized output of it, and must reject the invalid
// fixtures it is known to reject, saying what the fixture records. Where we are deliberately stricter or
// newer than actool, the fixture says so and this test pins that difference down.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import tar from "tar-stream";
import { parseImageManifest, parsePodManifest } from "../../machines/appc/index.js";
import { FIXTURES_DIR, invalidFixtures, validFixtures, type ManifestKind } from "../support/appc-fixtures.js";


/** Valid fixtures that actool 0.8.11 refuses, with what it says and why we differ. */
function actoolDifferences(): Record<string, { says: string; why: string }> {
  return JSON.parse(readFileSync(`${FIXTURES_DIR}actool-differences.json`, "utf8")) as Record<string, { says: string; why: string }>;
}

let workDir = "";
let counter = 0;

function actoolValidate(path: string): { status: number | null; output: string } {
  const result = spawnSync("actool", ["validate", path], { encoding: "utf8" });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function writeTemp(content: string | Buffer, suffix = ".json"): string {
  const path = join(workDir, `file-${counter++}${suffix}`);
  writeFileSync(path, content);
  return path;
}

function parse(kind: ManifestKind, json: unknown): unknown {
  return kind === "image" ? parseImageManifest(json) : parsePodManifest(json);
}

/** An uncompressed ACI: the manifest and an empty rootfs/ directory. */
async function buildAci(manifest: unknown): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: "manifest", mode: 0o644 }, JSON.stringify(manifest));
  pack.entry({ name: "rootfs", type: "directory", mode: 0o755 });
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("appc fixtures against actool validate", () => {
  before(() => {
    workDir = mkdtempSync(join(tmpdir(), "jetpack-appc-actool-"));
    const version = spawnSync("actool", ["version"], { encoding: "utf8" });
    assert.equal(version.status, 0, "actool (Debian package appc-spec) must be installed");
  });
  after(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const differences = actoolDifferences();

  for (const fixture of validFixtures()) {
    const known = differences[fixture.file];
    if (known === undefined) {
      it(`actool accepts ${fixture.file} and our serialization of it`, () => {
        const original = actoolValidate(writeTemp(JSON.stringify(fixture.manifest)));
        assert.equal(original.status, 0, original.output);
        const ours = actoolValidate(writeTemp(JSON.stringify(parse(fixture.kind, fixture.manifest))));
        assert.equal(ours.status, 0, ours.output);
      });
    } else {
      it(`actool refuses ${fixture.file}, which we accept on purpose (${known.why})`, () => {
        const result = actoolValidate(writeTemp(JSON.stringify(parse(fixture.kind, fixture.manifest))));
        assert.notEqual(result.status, 0);
        assert.ok(result.output.includes(known.says), result.output);
      });
    }
  }

  for (const fixture of invalidFixtures()) {
    const actool = fixture.actool;
    if (actool.rejects) {
      it(`actool also rejects ${fixture.file}, saying ${actool.says}`, () => {
        const result = actoolValidate(writeTemp(JSON.stringify(fixture.manifest)));
        assert.notEqual(result.status, 0, `actool accepted what we reject: ${fixture.error}`);
        assert.ok(result.output.includes(actool.says), result.output);
      });
    } else {
      it(`actool accepts ${fixture.file}, which we reject on purpose (${actool.why})`, () => {
        const result = actoolValidate(writeTemp(JSON.stringify(fixture.manifest)));
        assert.equal(result.status, 0, result.output);
      });
    }
  }

  it("actool accepts an image archive built around the spec's example manifest as parsed by us", async () => {
    const example = validFixtures().find((f) => f.file === "image/valid/example-image.json");
    assert.ok(example);
    const aci = writeTemp(await buildAci(parse("image", example.manifest)), ".aci");
    const result = actoolValidate(aci);
    assert.equal(result.status, 0, result.output);
  });

  it("actool rejects an image archive whose manifest we reject", async () => {
    const fixture = invalidFixtures().find((f) => f.file === "image/invalid/app-user-missing.json");
    assert.ok(fixture);
    const result = actoolValidate(writeTemp(await buildAci(fixture.manifest), ".aci"));
    assert.notEqual(result.status, 0);
    assert.ok(result.output.includes("user is required"), result.output);
  });
});
