import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { JetpackError } from "../../../../../machines/errors.js";
import { isTruncation } from "../../../../../workers/images/aci/aci-errors.js";
import { TarReader, type TarEntry } from "../../../../../workers/images/aci/tar-reader.js";
import { buildTar, paxRecord, tarBody, tarHeaderBlock } from "../../../../support/aci-builder.js";

/** Feeds `data` in chunks of `size` bytes, so that headers and bodies straddle chunk boundaries. */
async function* chunked(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function readAll(data: Buffer, opts: { chunk?: number; maxTotalBytes?: number } = {}): Promise<{ entries: Array<TarEntry & { body: string }>; id: string; bytes: number }> {
  const reader = new TarReader(chunked(data, opts.chunk ?? 700), { maxTotalBytes: opts.maxTotalBytes ?? 1 << 30, hash: true });
  const entries: Array<TarEntry & { body: string }> = [];
  for (let e = await reader.next(); e; e = await reader.next()) {
    const parts: Buffer[] = [];
    for await (const c of reader.body()) parts.push(c);
    entries.push({ ...e, body: Buffer.concat(parts).toString() });
  }
  const id = await reader.finish();
  return { entries, id, bytes: reader.bytes };
}

async function failure(data: Buffer, opts: { maxTotalBytes?: number } = {}): Promise<JetpackError> {
  try {
    await readAll(data, opts);
  } catch (e) {
    assert.ok(e instanceof JetpackError, String(e));
    return e;
  }
  assert.fail("the archive was read without error");
}

const END = Buffer.alloc(1024);

describe("TarReader", () => {
  it("reads entries and bodies across chunk boundaries and hashes the whole stream into the image ID", async () => {
    const tar = await buildTar({
      entries: [
        { name: "rootfs", type: "directory" },
        { name: "rootfs/a", content: "x".repeat(1500) },
        { name: "rootfs/b", type: "symlink", linkname: "/a" },
      ],
    });
    for (const chunk of [1, 511, 512, 4096, 1 << 20]) {
      const { entries, id, bytes } = await readAll(tar, { chunk });
      assert.deepEqual(
        entries.map((e) => [e.name, e.type, e.size]),
        [
          ["manifest", "file", entries[0]!.size],
          ["rootfs", "directory", 0],
          ["rootfs/a", "file", 1500],
          ["rootfs/b", "symlink", 0],
        ],
      );
      assert.equal(entries[2]!.body, "x".repeat(1500));
      assert.equal(id, `sha512-${createHash("sha512").update(tar).digest("hex")}`);
      assert.equal(bytes, tar.length);
    }
  });

  it("applies pax path, linkpath, size and owner, and GNU long names", async () => {
    const pax = Buffer.from(paxRecord("path", `rootfs/${"d/".repeat(80)}f`) + paxRecord("uid", "100000") + paxRecord("size", "3"));
    const longName = `rootfs/${"n".repeat(200)}`;
    const tar = Buffer.concat([
      tarHeaderBlock({ name: "PaxHeader", type: "x", size: pax.length }),
      tarBody(pax),
      tarHeaderBlock({ name: "short", size: 0 }), // the pax size wins over this header's
      tarBody("abc"),
      tarHeaderBlock({ name: "././@LongLink", type: "L", size: longName.length + 1, gnu: true }),
      tarBody(`${longName}\0`),
      tarHeaderBlock({ name: "truncated", type: "2", linkname: "/x", gnu: true }),
      END,
    ]);
    const { entries } = await readAll(tar);
    assert.equal(entries[0]!.name, `rootfs/${"d/".repeat(80)}f`);
    assert.equal(entries[0]!.uid, 100000);
    assert.equal(entries[0]!.body, "abc");
    assert.equal(entries[1]!.name, longName);
    assert.equal(entries[1]!.type, "symlink");
  });

  it("accepts zero padding after the end-of-archive marker", async () => {
    const tar = await buildTar({ entries: [{ name: "rootfs", type: "directory" }] });
    const { entries } = await readAll(Buffer.concat([tar, Buffer.alloc(9216)]));
    assert.equal(entries.length, 2);
  });

  it("refuses an entry hidden after the end-of-archive marker, which other tar readers never see", async () => {
    const tar = await buildTar({ entries: [{ name: "rootfs", type: "directory" }] });
    const hidden = Buffer.concat([tarHeaderBlock({ name: "rootfs/hidden", size: 2 }), tarBody("hi"), END]);
    const e = await failure(Buffer.concat([tar, hidden]));
    assert.equal(e.code, "JP_ERR_ACI_FORMAT");
    assert.match(e.message, /trailing data after the end-of-archive marker/);
  });

  it("refuses an archive that stops inside a body, or without an end-of-archive marker", async () => {
    const tar = await buildTar({ entries: [{ name: "rootfs/big", content: "y".repeat(5000) }] });
    const cut = await failure(tar.subarray(0, 2000));
    assert.equal(cut.code, "JP_ERR_ACI_FORMAT");
    assert.ok(isTruncation(cut));
    const noEnd = await failure(tar.subarray(0, tar.length - 1024));
    assert.match(noEnd.message, /without an end-of-archive marker/);
  });

  it("refuses a directory, link or device that claims to carry data", async () => {
    const tar = Buffer.concat([tarHeaderBlock({ name: "rootfs/d/", type: "5", size: 512 }), tarBody("x".repeat(512)), END]);
    const e = await failure(tar);
    assert.match(e.message, /directory entry must not carry data/);
  });

  it("refuses an extended header with no entry after it", async () => {
    const pax = Buffer.from(paxRecord("path", "rootfs/x"));
    const e = await failure(Buffer.concat([tarHeaderBlock({ name: "PaxHeader", type: "x", size: pax.length }), tarBody(pax), END]));
    assert.match(e.message, /not followed by an entry/);
  });

  it("stops at maxTotalBytes of uncompressed data (a decompression bomb)", async () => {
    const tar = await buildTar({ entries: [{ name: "rootfs/zeros", content: Buffer.alloc(200_000) }] });
    const e = await failure(tar, { maxTotalBytes: 100_000 });
    assert.equal(e.code, "JP_ERR_ACI_TOO_LARGE");
  });

  it("refuses an entry whose claimed size (here 8 GiB through pax) is over maxTotalBytes before reading it", async () => {
    const pax = Buffer.from(paxRecord("size", String(8 * 1024 ** 3)));
    const tar = Buffer.concat([tarHeaderBlock({ name: "PaxHeader", type: "x", size: pax.length }), tarBody(pax), tarHeaderBlock({ name: "rootfs/huge" }), END]);
    const e = await failure(tar, { maxTotalBytes: 1024 ** 3 });
    assert.equal(e.code, "JP_ERR_ACI_TOO_LARGE");
    assert.match(e.message, /claims 8589934592 bytes/);
  });

  it("reads an 8 GiB pax size exactly, then reports the truncation", async () => {
    const pax = Buffer.from(paxRecord("size", String(8 * 1024 ** 3)));
    const tar = Buffer.concat([tarHeaderBlock({ name: "PaxHeader", type: "x", size: pax.length }), tarBody(pax), tarHeaderBlock({ name: "rootfs/huge" }), Buffer.alloc(4096)]);
    const reader = new TarReader(chunked(tar, 1000), { maxTotalBytes: 64 * 1024 ** 3, hash: false });
    const e = await reader.next();
    assert.equal(e?.size, 8 * 1024 ** 3);
    await assert.rejects(async () => {
      for await (const _ of reader.body());
    }, (err: unknown) => isTruncation(err));
  });

  it("gives an empty image ID when not hashing (pass 1)", async () => {
    const tar = await buildTar({ entries: [] });
    const reader = new TarReader(chunked(tar, 512), { maxTotalBytes: 1 << 20, hash: false });
    while (await reader.next());
    assert.equal(await reader.finish(), "");
  });
});
