import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeHeader, isZeroBlock, parsePax } from "../../../../../workers/images/aci/tar-header.js";
import { paxRecord, setChecksum as fixChecksum, tarHeaderBlock as header } from "../../../../support/aci-builder.js";
import { refusal } from "../../../../support/refusal.js";

describe("decodeHeader", () => {
  it("reads the fields of a POSIX ustar header, joining the prefix to the name", () => {
    const h = decodeHeader(header({ name: "passwd", prefix: "rootfs/etc", size: 42, mode: 0o4755, uid: 1000, mtime: 1_700_000_000 }), 0);
    assert.equal(h.name, "rootfs/etc/passwd");
    assert.equal(h.type, "file");
    assert.equal(h.size, 42);
    assert.equal(h.mode, 0o4755);
    assert.equal(h.uid, 1000);
    assert.equal(h.mtime, 1_700_000_000);
  });

  it("ignores the prefix field of GNU headers, which holds other data there", () => {
    const h = decodeHeader(header({ name: "rootfs/a", prefix: "junk", gnu: true }), 0);
    assert.equal(h.name, "rootfs/a");
  });

  it("maps type flags to entry types, and a trailing slash on an old file entry to a directory", () => {
    assert.equal(decodeHeader(header({ type: "2", linkname: "/bin/sh" }), 0).type, "symlink");
    assert.equal(decodeHeader(header({ type: "1", linkname: "rootfs/a" }), 0).linkname, "rootfs/a");
    assert.equal(decodeHeader(header({ type: "x" }), 0).type, "pax");
    assert.equal(decodeHeader(header({ type: "L" }), 0).type, "gnu-long-name");
    assert.equal(decodeHeader(header({ type: "\0", name: "rootfs/dir/" }), 0).type, "directory");
  });

  it("reads a GNU base-256 size beyond what octal holds", () => {
    const size = Buffer.alloc(12);
    size[0] = 0x80;
    size.writeUIntBE(20 * 1024 ** 3, 6, 6);
    assert.equal(decodeHeader(header({ size }), 0).size, 20 * 1024 ** 3);
  });

  it("refuses a bad checksum, naming the offset", () => {
    const b = header({});
    b[0] = 0x41;
    const e = refusal(() => decodeHeader(b, 1536));
    assert.equal(e.code, "JP_ERR_ACI_FORMAT");
    assert.match(e.message, /byte 1536: bad checksum/);
  });

  it("refuses a header without the ustar magic", () => {
    const b = header({});
    b.write("nope!\0", 257, "latin1");
    fixChecksum(b);
    assert.match(refusal(() => decodeHeader(b, 0)).message, /not a ustar header/);
  });

  it("refuses sparse, multi-volume and unknown entry types", () => {
    for (const t of ["S", "V", "M", "D", "9"]) {
      const e = refusal(() => decodeHeader(header({ type: t }), 0));
      assert.match(e.message, /unsupported entry type/, t);
    }
  });

  it("refuses a number field with garbage in it", () => {
    const b = header({});
    b.write("12x4567\0", 108, "latin1");
    fixChecksum(b);
    assert.match(refusal(() => decodeHeader(b, 0)).message, /uid field is not an octal number/);
  });

  it("refuses a negative base-256 size", () => {
    const size = Buffer.alloc(12, 0xff);
    assert.match(refusal(() => decodeHeader(header({ size }), 0)).message, /negative size/);
  });
});

describe("isZeroBlock", () => {
  it("tells the end-of-archive block from a header", () => {
    assert.equal(isZeroBlock(Buffer.alloc(512)), true);
    assert.equal(isZeroBlock(header({})), false);
  });
});

describe("parsePax", () => {
  it("reads path, linkpath, size, owner and a fractional mtime", () => {
    const body = Buffer.from(
      paxRecord("path", `rootfs/${"long/".repeat(40)}name`) +
        paxRecord("linkpath", "rootfs/target") +
        paxRecord("size", "8589934592") +
        paxRecord("uid", "70000") +
        paxRecord("gid", "70001") +
        paxRecord("mtime", "1700000000.123456") +
        paxRecord("SCHILY.xattr.user.test", "skipped"),
    );
    const pax = parsePax(body, 0);
    assert.equal(pax.path, `rootfs/${"long/".repeat(40)}name`);
    assert.equal(pax.linkpath, "rootfs/target");
    assert.equal(pax.size, 8589934592);
    assert.equal(pax.uid, 70000);
    assert.equal(pax.gid, 70001);
    assert.equal(pax.mtime, 1700000000.123456);
  });

  it("keeps a NUL byte in a pax path, so that the name rules can refuse it", () => {
    assert.equal(parsePax(Buffer.from(paxRecord("path", "rootfs/a\u0000b")), 0).path, "rootfs/a\u0000b");
  });

  it("refuses malformed records and bad numbers", () => {
    assert.match(refusal(() => parsePax(Buffer.from("99 path=x\n"), 0)).message, /malformed record/);
    assert.match(refusal(() => parsePax(Buffer.from("abc"), 0)).message, /malformed record/);
    assert.match(refusal(() => parsePax(Buffer.from(paxRecord("size", "-1")), 0)).message, /bad size/);
    assert.match(refusal(() => parsePax(Buffer.from(paxRecord("size", "1e30")), 0)).message, /bad size/);
  });

  it("refuses GNU sparse files, whose data would come out scrambled", () => {
    assert.match(refusal(() => parsePax(Buffer.from(paxRecord("GNU.sparse.major", "1")), 0)).message, /sparse/);
  });
});
