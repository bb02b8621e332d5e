import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { JetpackError } from "../../../../../machines/errors.js";
import { describeHead, detectCompression } from "../../../../../workers/images/aci/detect.js";

function tarHead(): Buffer {
  const b = Buffer.alloc(512);
  b.write("manifest", 0, "latin1");
  b.write("ustar\u000000", 257, "latin1");
  return b;
}

function formatFailure(head: Buffer): JetpackError {
  try {
    detectCompression(head);
  } catch (e) {
    assert.ok(e instanceof JetpackError);
    return e;
  }
  assert.fail("detectCompression accepted the head");
}

describe("detectCompression", () => {
  it("recognises gzip, bzip2 and xz by their magic bytes", () => {
    assert.equal(detectCompression(gzipSync(Buffer.from("x"))), "gzip");
    assert.equal(detectCompression(Buffer.from("BZh91AY&SY", "latin1")), "bzip2");
    assert.equal(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04])), "xz");
  });

  it("recognises a plain tar by `ustar` at offset 257, GNU flavour included", () => {
    assert.equal(detectCompression(tarHead()), "none");
    const gnu = tarHead();
    gnu.write("ustar  \u0000", 257, "latin1");
    assert.equal(detectCompression(gnu), "none");
  });

  it("refuses a zip file as an invalid archive, saying it found a zip", () => {
    const e = formatFailure(Buffer.from("PK\u0003\u0004rest of a zip", "latin1"));
    assert.equal(e.code, "JP_ERR_ACI_FORMAT");
    assert.equal(e.kind, "invalid");
    assert.match(e.message, /zip archive/);
  });

  it("refuses an empty file, saying it is empty", () => {
    assert.match(formatFailure(Buffer.alloc(0)).message, /empty/);
  });

  it("refuses a bare JSON manifest and text, quoting what it found", () => {
    assert.match(formatFailure(Buffer.from('{"acKind":"ImageManifest"}')).message, /JSON/);
    const text = Buffer.from("hello, this is just some text that goes on ".repeat(10));
    assert.match(formatFailure(text).message, /text starting "hello, this is just some/);
  });

  it("refuses a short unknown head, with its first bytes in hex", () => {
    const e = formatFailure(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    assert.match(e.message, /de ad be ef/);
  });

  it("does not take `ustar` at another offset for a tar", () => {
    const b = Buffer.alloc(512);
    b.write("ustar", 256, "latin1");
    assert.equal(formatFailure(b).code, "JP_ERR_ACI_FORMAT");
  });
});

describe("describeHead", () => {
  it("names an armoured PGP block given instead of an image", () => {
    assert.match(describeHead(Buffer.from("-----BEGIN PGP SIGNATURE-----\n")), /PGP/);
  });
});
