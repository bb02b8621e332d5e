import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { parseArgs } from "../../../../api/cli/args.js";
import { destroyCommand, imageDestroy, imageFields, imageImport, imageList, imageRow, imageShow, importCommand, insecureOptions, listCommand, type ImageSummary } from "../../../../api/cli/commands/image.js";
import { fail, JetpackError } from "../../../../machines/errors.js";
import { FakeClient, operation, sequence, testContext } from "./fake-client.js";

const ID = `sha512-${"0123456789abcdef".repeat(8)}`;
const SHORT = `sha512-${"0123456789ab"}`;

const image: ImageSummary = {
  id: ID,
  name: "example.com/app",
  labels: [{ name: "version", value: "1.0" }, { name: "os", value: "linux" }, { name: "arch", value: "amd64" }],
  state: "ready",
  aciBytes: 3 * 1024 * 1024,
  tarBytes: 10 * 1024 * 1024,
  importedAt: new Date(2024, 4, 1, 9, 30, 0).toISOString(),
  importedBy: "root (sudo alice)",
  dependencies: [],
};

const importArgs = (...argv: string[]) => parseArgs(argv, { ...importCommand.flags, boolean: [...(importCommand.flags.boolean ?? []), "json"] });
const succeeded = operation({ state: "succeeded", result: { id: ID, name: "example.com/app" } });

describe("jetpack image import", () => {
  it("sends a FILE as an absolute path with its insecure options, waits, and prints the image ID", async () => {
    const client = new FakeClient({ "POST /v1/images": () => operation(), "GET /v1/operations/op-1": sequence(operation({ state: "running" }), succeeded) });
    const ctx = testContext(client);
    await imageImport(importArgs("images/app.aci", "--insecure-options=image"), ctx);
    assert.deepEqual(client.calls[0]!.opts.json, { source: { path: "/home/alice/images/app.aci" }, insecureOptions: ["image"] });
    assert.equal(ctx.stdout.text, `${ID}\n`);
    assert.equal(ctx.stderr.text, "");
  });

  it("streams stdin as an upload when FILE is -", async () => {
    const stdin = Readable.from([Buffer.from("aci bytes")]);
    const client = new FakeClient({ "POST /v1/images/upload": () => operation(), "GET /v1/operations/op-1": sequence(succeeded) });
    const ctx = testContext(client, { stdin });
    await imageImport(importArgs("-", "--insecure-options", "image"), ctx);
    assert.deepEqual(client.calls[0]!.opts.query, { insecureOptions: "image" });
    assert.equal(client.calls[0]!.opts.upload, stdin);
    assert.equal(ctx.stdout.text, `${ID}\n`);
  });

  it("refuses to read an ACI from a terminal", async () => {
    const stdin = Object.assign(Readable.from([]), { isTTY: true });
    const client = new FakeClient({});
    await assert.rejects(imageImport(importArgs("-"), testContext(client, { stdin })), (e: JetpackError) => e.kind === "invalid" && /terminal/.test(e.message));
    assert.equal(client.calls.length, 0);
  });

  it("prints only the operation ID with --no-wait", async () => {
    const client = new FakeClient({ "POST /v1/images": () => operation() });
    const ctx = testContext(client);
    await imageImport(importArgs("/x.aci", "--no-wait"), ctx);
    assert.equal(ctx.stdout.text, "op-1\n");
    assert.equal(client.calls.length, 1);
  });

  it("prints the final operation as JSON with --json", async () => {
    const client = new FakeClient({ "POST /v1/images": () => operation(), "GET /v1/operations/op-1": sequence(succeeded) });
    const ctx = testContext(client, { json: true });
    await imageImport(importArgs("/x.aci", "--json"), ctx);
    assert.deepEqual(JSON.parse(ctx.stdout.text), succeeded);
  });

  it("says so on stderr when the image was already in the store, and still prints its ID", async () => {
    const dup = operation({ state: "succeeded", result: { id: ID, existing: true } });
    const client = new FakeClient({ "POST /v1/images": () => operation(), "GET /v1/operations/op-1": sequence(dup) });
    const ctx = testContext(client);
    await imageImport(importArgs("/x.aci"), ctx);
    assert.equal(ctx.stdout.text, `${ID}\n`);
    assert.match(ctx.stderr.text, /already in the store/);
  });

  it("fails with the error of a failed import, so the exit code follows its kind", async () => {
    const failed = operation({ state: "failed", error: { code: "JP_ERR_ACI_ESCAPE", kind: "invalid", message: "entry ../etc/passwd escapes the image" } });
    const client = new FakeClient({ "POST /v1/images": () => operation(), "GET /v1/operations/op-1": sequence(failed) });
    const ctx = testContext(client);
    await assert.rejects(imageImport(importArgs("/x.aci"), ctx), (e: JetpackError) => e.code === "JP_ERR_ACI_ESCAPE" && e.kind === "invalid");
    assert.equal(ctx.stdout.text, "");
  });

  it("refuses an unknown insecure option before asking the daemon", () => {
    assert.deepEqual(insecureOptions(importArgs("--insecure-options=image,image", "--insecure-options=http")), ["image", "http"]);
    assert.throws(() => insecureOptions(importArgs("--insecure-options=everything")), (e: JetpackError) => e.kind === "invalid" && /everything/.test(e.message));
  });
});

describe("jetpack image list", () => {
  const listArgs = (...argv: string[]) => parseArgs(argv, listCommand.flags);
  const client = () => new FakeClient({ "GET /v1/images": () => ({ images: [image, { ...image, id: `sha512-${"f".repeat(128)}`, name: "x.org/y", labels: [], state: "destroying", tarBytes: 512 }] }) });

  it("prints a table of short IDs, names with labels, sizes and import times", async () => {
    const ctx = testContext(client());
    await imageList(listArgs(), ctx);
    const lines = ctx.stdout.text.split("\n");
    assert.match(lines[0]!, /^ID\s+NAME\s+SIZE\s+IMPORTED$/);
    assert.equal(lines[1], `${SHORT}  example.com/app:1.0,arch=amd64,os=linux  10.0 MiB  2024-05-01 09:30:00`);
    assert.match(lines[2]!, /^sha512-ffffffffffff  x\.org\/y \(destroying\)\s+512 B\s+2024-05-01 09:30:00$/);
  });

  it("prints IDs only with -q, and whole IDs with -l", async () => {
    const ctx = testContext(client());
    await imageList(listArgs("-q"), ctx);
    assert.equal(ctx.stdout.text, `${SHORT}\nsha512-ffffffffffff\n`);
    const long = testContext(client());
    await imageList(listArgs("-q", "-l"), long);
    assert.equal(long.stdout.text.split("\n")[0], ID);
  });

  it("prints the API's answer as it is with --json", async () => {
    const ctx = testContext(client(), { json: true });
    await imageList(listArgs(), ctx);
    assert.equal(JSON.parse(ctx.stdout.text).images[0].id, ID);
  });

  it("renders one row per image with the full ID when asked", () => {
    assert.equal(imageRow(image, true)[0], ID);
  });
});

describe("jetpack image show", () => {
  it("asks for the reference as typed, URL-encoded, and shows its fields", async () => {
    const manifest = { app: { exec: ["/bin/app", "--serve"], user: "0", group: "0" } };
    const client = new FakeClient({ [`GET /v1/images/example.com%2Fapp%3A1.0`]: () => ({ ...image, dependencies: ["sha512-dep"], manifest }) });
    const ctx = testContext(client);
    await imageShow(parseArgs(["example.com/app:1.0"], {}), ctx);
    assert.match(ctx.stdout.text, new RegExp(`^ID:\\s+${ID}$`, "m"));
    assert.match(ctx.stdout.text, /^Name:\s+example.com\/app:1.0,arch=amd64,os=linux$/m);
    assert.match(ctx.stdout.text, /^Size:\s+10.0 MiB \(ACI 3.00 MiB\)$/m);
    assert.match(ctx.stdout.text, /^Imported:\s+2024-05-01 09:30:00 by root \(sudo alice\)$/m);
    assert.match(ctx.stdout.text, /^Depends on:\s+sha512-dep$/m);
    assert.match(ctx.stdout.text, /^Exec:\s+\/bin\/app --serve \(as 0:0\)$/m);
  });

  it("shows no exec line for an image without an app", () => {
    assert.ok(!imageFields({ ...image, manifest: {} }).some(([k]) => k === "Exec"));
  });

  it("passes a not-found answer on with its hint", async () => {
    const client = new FakeClient({ "GET /v1/images/nope": () => { throw fail("not_found", "JP_ERR_IMAGE_NOT_FOUND", "no image matches nope", { hint: "see `jetpack image list`" }); } });
    await assert.rejects(imageShow(parseArgs(["nope"], {}), testContext(client)), (e: JetpackError) => e.kind === "not_found" && e.hint === "see `jetpack image list`");
  });
});

describe("jetpack image destroy", () => {
  const destroyArgs = (...argv: string[]) => parseArgs(argv, destroyCommand.flags);

  it("resolves the reference, destroys by 64 hex digits of the ID, waits, and prints the whole ID", async () => {
    const client = new FakeClient({
      "GET /v1/images/0123456789": () => image,
      [`DELETE /v1/images/${ID.slice(0, 71)}`]: () => operation({ id: "op-2", kind: "image.destroy" }),
      "GET /v1/operations/op-2": sequence(operation({ id: "op-2", state: "running" }), operation({ id: "op-2", state: "succeeded", result: {} })),
    });
    const ctx = testContext(client);
    await imageDestroy(destroyArgs("0123456789"), ctx);
    assert.deepEqual(client.calls.map((c) => `${c.method} ${c.path}`), ["GET /v1/images/0123456789", `DELETE /v1/images/${ID.slice(0, 71)}`, "GET /v1/operations/op-2", "GET /v1/operations/op-2"]);
    assert.equal(ctx.stdout.text, `${ID}\n`);
  });

  it("prints the operation ID with --no-wait", async () => {
    const client = new FakeClient({ "GET /v1/images/app": () => image, [`DELETE /v1/images/${ID.slice(0, 71)}`]: () => operation({ id: "op-2" }) });
    const ctx = testContext(client);
    await imageDestroy(destroyArgs("app", "--no-wait"), ctx);
    assert.equal(ctx.stdout.text, "op-2\n");
  });
});
