import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { parseArgs } from "../../../../api/cli/args.js";
import { imageExport } from "../../../../api/cli/commands/image-export.js";
import type { Download } from "../../../../api/cli/client.js";
import type { JetpackError } from "../../../../machines/errors.js";
import { FakeClient, MemoryOut, testContext } from "./fake-client.js";

const ID = `sha512-${"9".repeat(128)}`;
const ACI = Buffer.from("pretend this is a compressed ACI, in three chunks");

function download(length = ACI.length, body: Buffer[] = [ACI.subarray(0, 10), ACI.subarray(10, 30), ACI.subarray(30)]): () => Download {
  return () => ({ headers: { "content-length": String(length), "x-jetpack-image-id": ID }, body: Readable.from(body) });
}

describe("jetpack image export", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "jetpack-cli-export-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the ACI to FILE, relative to the working directory, and prints the image ID", async () => {
    const client = new FakeClient({}, { "/v1/images/app%3A1.0/aci": download() });
    const ctx = testContext(client, { cwd: dir });
    await imageExport(parseArgs(["app:1.0", "out.aci"], {}), ctx);
    assert.deepEqual(await readFile(join(dir, "out.aci")), ACI);
    assert.deepEqual((await readdir(dir)).sort(), ["out.aci"]);
    assert.equal(ctx.stdout.text, `${ID}\n`);
  });

  it("leaves neither FILE nor FILE.partial when the stream ends short of its length", async () => {
    const client = new FakeClient({}, { "/v1/images/app/aci": download(ACI.length + 5) });
    const ctx = testContext(client, { cwd: dir });
    await assert.rejects(imageExport(parseArgs(["app", "short.aci"], {}), ctx), (e: JetpackError) => e.kind === "unavailable" && /stopped after \d+ of \d+ bytes/.test(e.message));
    assert.ok(!(await readdir(dir)).some((f) => f.startsWith("short.aci")));
    assert.equal(ctx.stdout.text, "");
  });

  it("says a missing directory is not found, naming the file", async () => {
    const client = new FakeClient({}, { "/v1/images/app/aci": download() });
    await assert.rejects(imageExport(parseArgs(["app", "no/such/dir/x.aci"], {}), testContext(client, { cwd: dir })), (e: JetpackError) => e.kind === "not_found" && e.message.includes(join(dir, "no/such/dir/x.aci")));
  });

  it("writes the ACI alone to stdout with -, and the image ID to stderr", async () => {
    const client = new FakeClient({}, { "/v1/images/app/aci": download() });
    const ctx = testContext(client);
    await imageExport(parseArgs(["app", "-"], {}), ctx);
    assert.deepEqual(Buffer.concat(ctx.stdout.chunks), ACI);
    assert.equal(ctx.stderr.text, `${ID}\n`);
  });

  it("refuses to write an ACI to a terminal", async () => {
    const client = new FakeClient({}, {});
    await assert.rejects(imageExport(parseArgs(["app", "-"], {}), testContext(client, { stdout: new MemoryOut(true) })), (e: JetpackError) => e.kind === "invalid" && /terminal/.test(e.message));
    assert.equal(client.calls.length, 0);
  });
});
