import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { after, before, describe, it } from "node:test";
import {
  discardPartial,
  emptyPartial,
  partialPaths,
  partialSize,
  promotePartial,
  readValidators,
  writeValidators,
} from "../../../../../../workers/images/fetch/download/partial-files.js";
import type { Validators } from "../../../../../../workers/images/fetch/download/state.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(`${tmpdir()}/jp-partial-`);
});
after(() => rm(dir, { recursive: true, force: true }));

const record: Validators = { v: 1, url: "https://example.com/a.aci", etag: '"v1"', lastModified: null, total: 10 };

describe("the partial download files", () => {
  it("names the partial and its validators after the destination", () => {
    assert.deepEqual(partialPaths("/x/a.aci"), { dest: "/x/a.aci", partial: "/x/a.aci.partial", validators: "/x/a.aci.partial.json" });
  });

  it("writes validators that read back equal, leaving no temp file", async () => {
    const paths = partialPaths(`${dir}/roundtrip.aci`);
    await writeValidators(paths, record);
    assert.deepEqual(await readValidators(paths), record);
    assert.equal(existsSync(`${paths.validators}.tmp`), false);
  });

  it("treats a missing, torn or foreign validators record as absent", async () => {
    const paths = partialPaths(`${dir}/torn.aci`);
    assert.equal(await readValidators(paths), null);
    await writeFile(paths.validators, '{"v":1,"url":"https://exa');
    assert.equal(await readValidators(paths), null);
    await writeFile(paths.validators, JSON.stringify({ ...record, v: 99 }));
    assert.equal(await readValidators(paths), null);
  });

  it("empties the partial file, reports its size, and discards both files", async () => {
    const paths = partialPaths(`${dir}/empty.aci`);
    assert.equal(await partialSize(paths), null);
    await writeFile(paths.partial, "old bytes");
    await writeValidators(paths, record);
    await emptyPartial(paths);
    assert.equal(await partialSize(paths), 0);
    await discardPartial(paths);
    assert.equal(existsSync(paths.partial), false);
    assert.equal(existsSync(paths.validators), false);
  });

  it("promotes a finished partial to the destination and removes the record", async () => {
    const paths = partialPaths(`${dir}/done.aci`);
    await writeFile(paths.partial, "0123456789");
    await writeValidators(paths, record);
    await promotePartial(paths);
    assert.equal(readFileSync(paths.dest, "utf8"), "0123456789");
    assert.equal(existsSync(paths.partial), false);
    assert.equal(existsSync(paths.validators), false);
  });
});
