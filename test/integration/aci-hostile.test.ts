// The ACI codec against real files, as root: a corpus of hostile archives (each must fail with its
// code and write nothing outside the target), then good archives in every compression, layering,
// pathWhitelist and overlayTree.
import assert from "node:assert/strict";
import { execFileSync, execSync } from "node:child_process";
import { createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { JetpackError } from "../../machines/errors.js";
import { applyPathWhitelist, extractAci, overlayTree, readAciManifest, type ExtractAciOptions } from "../../workers/images/aci/index.js";
import { buildAci, findHeader, minimalManifest, setChecksum, tarBody, tarHeaderBlock, writeAci, type BuildAciOptions } from "../support/aci-builder.js";

let base: string;
let caseNo = 0;

before(() => {
  assert.equal(process.getuid?.(), 0, "these tests keep owners and make device nodes: run them as root");
  base = mkdtempSync(`${tmpdir()}/jp-aci-it-`);
});
after(() => rmSync(base, { recursive: true, force: true }));

interface Place {
  dir: string;
  target: string;
  sentinel: string;
  /** An absolute path outside everything, which a hostile archive may aim at. */
  victim: string;
}

/** A fresh target, a sentinel directory beside it holding one canary file, and a victim path. */
function place(): Place {
  const dir = `${base}/case-${caseNo++}`;
  mkdirSync(`${dir}/target`, { recursive: true });
  mkdirSync(`${dir}/sentinel`);
  writeFileSync(`${dir}/sentinel/canary`, "canary");
  const victim = `/tmp/jp-aci-victim-${process.pid}-${caseNo}`;
  return { dir, target: `${dir}/target`, sentinel: `${dir}/sentinel`, victim };
}

function assertUntouched(p: Place): void {
  assert.deepEqual(readdirSync(p.sentinel), ["canary"], "nothing was written beside the target");
  assert.equal(readFileSync(`${p.sentinel}/canary`, "utf8"), "canary");
  assert.equal(lstatSync(`${p.sentinel}/canary`).nlink, 1, "the canary gained no hard link");
  assert.equal(existsSync(p.victim), false, `${p.victim} was not created`);
  assert.deepEqual(readdirSync(p.dir).sort(), ["sentinel", "target"]);
}

function extract(bytes: Buffer, target: string, extra: Partial<ExtractAciOptions> = {}) {
  return extractAci({ source: Readable.from([bytes]), target, ...extra });
}

async function expectFailure(promise: Promise<unknown>, code: string): Promise<JetpackError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof JetpackError, `a JetpackError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.kind, "invalid");
    return e;
  }
  assert.fail(`expected ${code}, but the archive was accepted`);
}

const dir = (name: string) => ({ name, type: "directory" as const });
const file = (name: string, content: string | Buffer = "x") => ({ name, content });

interface HostileCase {
  what: string;
  code: string;
  /** Entries (with the default manifest first), or a full build, or raw ACI bytes. */
  archive: (p: Place) => BuildAciOptions | Promise<Buffer>;
  /** What a lower layer left in the target before this archive is extracted. */
  lower?: (p: Place) => void;
  limits?: ExtractAciOptions["limits"];
  /** A word the message must contain (the entry at fault, the tool...). */
  names?: string | RegExp;
}

const HOSTILE: HostileCase[] = [
  { what: "a `..` component climbing out of the target", code: "JP_ERR_ACI_UNSAFE_PATH", names: "rootfs/../../sentinel/pwned", archive: () => ({ entries: [dir("rootfs"), file("rootfs/../../sentinel/pwned")] }) },
  { what: "an absolute name", code: "JP_ERR_ACI_UNSAFE_PATH", names: /absolute/, archive: (p) => ({ entries: [dir("rootfs"), file(p.victim)] }) },
  { what: "a NUL byte in a pax name", code: "JP_ERR_ACI_UNSAFE_PATH", names: /NUL/, archive: (p) => ({ entries: [dir("rootfs"), { name: `rootfs/a\u0000/../../..${p.victim}`, content: "x", pax: {} }] }) },
  {
    what: "a symlink to an outside directory, then a file through it",
    code: "JP_ERR_ACI_UNSAFE_PATH",
    names: "rootfs/evil/pwned",
    archive: (p) => ({ entries: [dir("rootfs"), { name: "rootfs/evil", type: "symlink", linkname: p.sentinel }, file("rootfs/evil/pwned")] }),
  },
  {
    what: "a relative symlink climbing out, then a directory and a file through it",
    code: "JP_ERR_ACI_UNSAFE_PATH",
    archive: () => ({ entries: [dir("rootfs"), { name: "rootfs/up", type: "symlink", linkname: "../../sentinel" }, dir("rootfs/up/sub"), file("rootfs/up/sub/pwned")] }),
  },
  {
    what: "a chain of symlinks ending outside, then a file through it",
    code: "JP_ERR_ACI_UNSAFE_PATH",
    archive: (p) => ({ entries: [{ name: "rootfs/a", type: "symlink", linkname: p.sentinel }, { name: "rootfs/b", type: "symlink", linkname: "a" }, file("rootfs/b/pwned")] }),
  },
  {
    what: "a file written through a symlink that a lower layer left",
    code: "JP_ERR_ACI_UNSAFE_PATH",
    names: /rootfs\/etc\/pwned.*symlink on disk/,
    lower: (p) => symlinkSync(p.sentinel, `${p.target}/etc`),
    archive: () => ({ entries: [dir("rootfs"), file("rootfs/etc/pwned")] }),
  },
  { what: "a hard link to an absolute path", code: "JP_ERR_ACI_UNSAFE_PATH", archive: (p) => ({ entries: [{ name: "rootfs/h", type: "link", linkname: `${p.sentinel}/canary` }] }) },
  { what: "a hard link climbing out with `..`", code: "JP_ERR_ACI_UNSAFE_PATH", archive: () => ({ entries: [{ name: "rootfs/h", type: "link", linkname: "rootfs/../../sentinel/canary" }] }) },
  {
    what: "a hard link to a symlink",
    code: "JP_ERR_ACI_UNSAFE_PATH",
    names: /is a symlink/,
    archive: (p) => ({ entries: [{ name: "rootfs/s", type: "symlink", linkname: `${p.sentinel}/canary` }, { name: "rootfs/h", type: "link", linkname: "rootfs/s" }] }),
  },
  {
    what: "a hard link to a file that comes later",
    code: "JP_ERR_ACI_UNSAFE_PATH",
    names: /has not been extracted/,
    archive: () => ({ entries: [{ name: "rootfs/h", type: "link", linkname: "rootfs/later" }, file("rootfs/later")] }),
  },
  {
    what: "a hard link to a file of a lower layer",
    code: "JP_ERR_ACI_UNSAFE_PATH",
    lower: (p) => writeFileSync(`${p.target}/lower`, "lower"),
    archive: () => ({ entries: [{ name: "rootfs/h", type: "link", linkname: "rootfs/lower" }] }),
  },
  { what: "a manifest that is a symlink", code: "JP_ERR_ACI_UNSAFE_PATH", names: /manifest is a symlink/, archive: () => ({ manifest: null, entries: [{ name: "manifest", type: "symlink", linkname: "/etc/shadow" }, dir("rootfs")] }) },
  {
    what: "a manifest that is a hard link",
    code: "JP_ERR_ACI_UNSAFE_PATH",
    archive: () => ({ manifest: null, entries: [dir("rootfs"), file("rootfs/m", "{}"), { name: "manifest", type: "link", linkname: "rootfs/m" }] }),
  },
  { what: "a rootfs that is a symlink to outside", code: "JP_ERR_ACI_UNSAFE_PATH", archive: (p) => ({ entries: [{ name: "rootfs", type: "symlink", linkname: p.sentinel }, file("rootfs/pwned")] }) },
  {
    what: "a symlink to / followed by a directory of the same name",
    code: "JP_ERR_ACI_DUPLICATE_ENTRY",
    archive: () => ({ entries: [{ name: "rootfs/x", type: "symlink", linkname: "/" }, dir("rootfs/x"), file("rootfs/x/etc/pwned")] }),
  },
  { what: "the same file twice, hidden by name cleaning", code: "JP_ERR_ACI_DUPLICATE_ENTRY", archive: () => ({ entries: [file("rootfs/a", "1"), file("rootfs/./a", "2")] }) },
  {
    what: "a symlink named like an existing directory, then a file inside",
    code: "JP_ERR_ACI_UNSAFE_PATH",
    lower: (p) => mkdirSync(`${p.target}/usr/bin`, { recursive: true }),
    archive: (p) => ({ entries: [{ name: "rootfs/usr", type: "symlink", linkname: p.sentinel }, file("rootfs/usr/bin/pwned")] }),
  },
  { what: "a file below a file of the same archive", code: "JP_ERR_ACI_UNSAFE_PATH", archive: () => ({ entries: [file("rootfs/f"), file("rootfs/f/g")] }) },
  { what: "a top-level name sharing rootfs's prefix (rootfsX)", code: "JP_ERR_ACI_LAYOUT", names: "rootfsX/etc", archive: () => ({ entries: [dir("rootfs"), file("rootfsX/etc")] }) },
  { what: "a top-level name outside the layout", code: "JP_ERR_ACI_LAYOUT", archive: () => ({ entries: [dir("rootfs"), file("etc/passwd")] }) },
  { what: "no manifest", code: "JP_ERR_ACI_NO_MANIFEST", archive: () => ({ manifest: null, entries: [dir("rootfs"), file("rootfs/a")] }) },
  { what: "a manifest over the bound", code: "JP_ERR_ACI_MANIFEST_TOO_LARGE", limits: { maxManifestBytes: 200 }, archive: () => ({ manifest: minimalManifest("example.com/big", { annotations: [{ name: "x", value: "y".repeat(300) }] }), entries: [dir("rootfs")] }) },
  { what: "a name component over 255 bytes", code: "JP_ERR_ACI_UNSAFE_PATH", archive: () => ({ entries: [file(`rootfs/${"n".repeat(300)}`)] }) },
  { what: "a name over PATH_MAX", code: "JP_ERR_ACI_UNSAFE_PATH", archive: () => ({ entries: [file(`rootfs/${Array.from({ length: 30 }, () => "d".repeat(200)).join("/")}`)] }) },
  {
    what: "more tiny entries than maxEntries",
    code: "JP_ERR_ACI_TOO_MANY_ENTRIES",
    limits: { maxEntries: 100 },
    archive: () => ({ entries: Array.from({ length: 500 }, (_, i) => file(`rootfs/f${i}`, "")) }),
  },
  { what: "a decompression bomb", code: "JP_ERR_ACI_TOO_LARGE", limits: { maxTotalBytes: 4 << 20 }, archive: () => ({ entries: [{ name: "rootfs/zeros", content: Buffer.alloc(64 << 20) }] }) },
  { what: "a truncated gzip stream", code: "JP_ERR_ACI_FORMAT", names: /truncated/, archive: async () => cut(await buildAci({ entries: [file("rootfs/a", "z".repeat(100_000))] })) },
  { what: "a truncated xz stream", code: "JP_ERR_ACI_FORMAT", names: /xz/, archive: async () => cut(await buildAci({ compression: "xz", entries: [file("rootfs/a", random(200_000))] })) },
  { what: "a truncated plain tar", code: "JP_ERR_ACI_FORMAT", names: /truncated/, archive: async () => cut(await buildAci({ compression: "none", entries: [file("rootfs/a", "z".repeat(100_000))] })) },
  { what: "a corrupt gzip stream", code: "JP_ERR_ACI_FORMAT", names: /gzip/, archive: async () => corrupt(await buildAci({ entries: [file("rootfs/a", random(100_000))] })) },
  { what: "garbage after the gzip stream", code: "JP_ERR_ACI_FORMAT", archive: async () => Buffer.concat([await buildAci({ entries: [dir("rootfs")] }), Buffer.from("trailing garbage")]) },
  {
    what: "an entry hidden after the end-of-archive marker",
    code: "JP_ERR_ACI_FORMAT",
    names: /end-of-archive/,
    archive: () => ({ compression: "none", entries: [dir("rootfs")], tamper: (t) => Buffer.concat([t, tarHeaderBlock({ name: "rootfs/hidden", size: 1 }), tarBody("h"), Buffer.alloc(1024)]) }),
  },
  {
    what: "a directory that carries data",
    code: "JP_ERR_ACI_FORMAT",
    archive: () => ({ entries: [], tamper: (t) => Buffer.concat([t.subarray(0, t.length - 1024), tarHeaderBlock({ name: "rootfs/", type: "5", size: 512 }), tarBody("x".repeat(512)), Buffer.alloc(1024)]) }),
  },
  { what: "a GNU sparse entry", code: "JP_ERR_ACI_FORMAT", names: /unsupported entry type/, archive: () => ({ entries: [file("rootfs/sparse")], tamper: (t) => retype(t, "rootfs/sparse", "S") }) },
  { what: "a zip file instead of an ACI", code: "JP_ERR_ACI_FORMAT", names: /zip/, archive: async () => Buffer.concat([Buffer.from("PK\u0003\u0004", "latin1"), Buffer.alloc(600)]) },
];

function cut(b: Buffer): Buffer {
  return b.subarray(0, Math.floor(b.length / 2));
}

function corrupt(b: Buffer): Buffer {
  const out = Buffer.from(b);
  for (let i = Math.floor(out.length / 2); i < out.length / 2 + 64; i++) out[i] = (out[i] as number) ^ 0x5a;
  return out;
}

function random(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) b[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return b;
}

function retype(tar: Buffer, name: string, flag: string): Buffer {
  const out = Buffer.from(tar);
  const at = findHeader(out, name);
  assert.ok(at >= 0, `no header for ${name}`);
  out.write(flag, at + 156, "latin1");
  setChecksum(out.subarray(at, at + 512));
  return out;
}

describe("hostile archives are refused and write nothing outside the target", () => {
  it("has a corpus of at least 15 kinds", () => assert.ok(HOSTILE.length >= 15));

  for (const c of HOSTILE) {
    it(`refuses ${c.what} with ${c.code}`, async () => {
      const p = place();
      c.lower?.(p);
      const built = await c.archive(p);
      const bytes = Buffer.isBuffer(built) ? built : await buildAci(built);
      const e = await expectFailure(extract(bytes, p.target, c.limits ? { limits: c.limits } : {}), c.code);
      if (typeof c.names === "string") assert.ok(e.message.includes(c.names), `"${e.message}" names ${c.names}`);
      else if (c.names) assert.match(e.message, c.names);
      assertUntouched(p);
    });
  }

  it("stops a decompression bomb near the bound rather than after it", async () => {
    const p = place();
    const bytes = await buildAci({ entries: [{ name: "rootfs/zeros", content: Buffer.alloc(64 << 20) }] });
    await expectFailure(extract(bytes, p.target, { limits: { maxTotalBytes: 4 << 20 } }), "JP_ERR_ACI_TOO_LARGE");
    const written = existsSync(`${p.target}/zeros`) ? statSync(`${p.target}/zeros`).size : 0;
    assert.ok(written <= 4 << 20, `only ${written} bytes were written`);
  });

  it("stops counting entries at maxEntries, before writing the rest", async () => {
    const p = place();
    const bytes = await buildAci({ entries: Array.from({ length: 500 }, (_, i) => file(`rootfs/f${i}`, "")) });
    await expectFailure(extract(bytes, p.target, { limits: { maxEntries: 100 } }), "JP_ERR_ACI_TOO_MANY_ENTRIES");
    assert.ok(readdirSync(p.target).length < 100);
  });

  it("lets a device node replace a lower layer's symlink to outside, without touching what it pointed at", async () => {
    const p = place();
    mkdirSync(`${p.target}/dev`);
    symlinkSync(p.victim, `${p.target}/dev/null`);
    symlinkSync(`${p.sentinel}/canary`, `${p.target}/dev/fifo`);
    const bytes = await buildAci({ entries: [{ name: "rootfs/dev/null", type: "character-device", devmajor: 1, devminor: 3, mode: 0o666 }, { name: "rootfs/dev/fifo", type: "fifo" }] });
    await extract(bytes, p.target);
    assert.ok(lstatSync(`${p.target}/dev/null`).isCharacterDevice());
    assert.ok(lstatSync(`${p.target}/dev/fifo`).isFIFO());
    assertUntouched(p);
  });

  it("lets a symlink replace a lower layer's directory (spec §2) and writes nothing through it", async () => {
    const p = place();
    mkdirSync(`${p.target}/usr/bin`, { recursive: true });
    writeFileSync(`${p.target}/usr/bin/old`, "old");
    await extract(await buildAci({ entries: [{ name: "rootfs/usr", type: "symlink", linkname: p.sentinel }] }), p.target);
    assert.equal(readlinkSync(`${p.target}/usr`), p.sentinel);
    assertUntouched(p);
  });
});

/** An archive with one of every kind of entry and unusual metadata. */
const RICH: BuildAciOptions["entries"] = [
  { name: "rootfs", type: "directory", mode: 0o755, mtime: 1_100_000_000 },
  { name: "rootfs/etc", type: "directory", mode: 0o750, uid: 0, gid: 42, mtime: 1_200_000_000 },
  { name: "rootfs/etc/passwd", content: "root:x:0:0::/root:/bin/sh\n", mode: 0o644, mtime: 1_300_000_000 },
  { name: "rootfs/etc/shadow", content: "root:*:1::::::\n", mode: 0o600, uid: 0, gid: 42 },
  { name: "rootfs/bin", type: "directory", mtime: 1_250_000_000 },
  { name: "rootfs/bin/su", content: "#!/bin/sh\n", mode: 0o4755, uid: 0, gid: 0 },
  { name: "rootfs/bin/mine", content: "mine", mode: 0o6755, uid: 1234, gid: 5678, mtime: 1_400_000_000 },
  { name: "rootfs/bin/sh", type: "symlink", linkname: "busybox", uid: 7, gid: 8, mtime: 1_450_000_000 },
  { name: "rootfs/bin/busybox", content: "busybox", mode: 0o755 },
  { name: "rootfs/bin/ls", type: "link", linkname: "rootfs/bin/busybox" },
  { name: "rootfs/tmp", type: "directory", mode: 0o1777 },
  { name: "rootfs/srv", type: "directory", mode: 0o2775, gid: 50 },
  { name: "rootfs/srv/shared", content: "s", uid: 1000, gid: 50 },
  { name: "rootfs/dev/null", type: "character-device", devmajor: 1, devminor: 3, mode: 0o666 },
  { name: "rootfs/dev/loop0", type: "block-device", devmajor: 7, devminor: 0, mode: 0o660, gid: 6 },
  { name: "rootfs/run/fifo", type: "fifo", mode: 0o620, uid: 3 },
  { name: `rootfs/long/${"p".repeat(120)}/${"q".repeat(120)}/file`, content: "long" },
  { name: "rootfs/empty", content: "" },
  { name: "rootfs/big", content: random(3 << 20), mode: 0o640, mtime: 1_500_000_000 },
];

function checkRich(root: string): void {
  const st = (p: string) => lstatSync(`${root}/${p}`);
  assert.equal(st("").mtimeMs, 1_100_000_000_000);
  assert.deepEqual([st("etc").mode & 0o7777, st("etc").gid, st("etc").mtimeMs], [0o750, 42, 1_200_000_000_000]);
  assert.equal(readFileSync(`${root}/etc/passwd`, "utf8"), "root:x:0:0::/root:/bin/sh\n");
  assert.equal(st("etc/passwd").mtimeMs, 1_300_000_000_000);
  assert.deepEqual([st("etc/shadow").mode & 0o7777, st("etc/shadow").gid], [0o600, 42]);
  assert.equal(st("bin/su").mode & 0o7777, 0o4755, "setuid kept");
  assert.deepEqual([st("bin/mine").mode & 0o7777, st("bin/mine").uid, st("bin/mine").gid], [0o6755, 1234, 5678], "setuid and setgid survive the chown");
  assert.equal(st("bin").mtimeMs, 1_250_000_000_000, "directory times are set after their children");
  assert.equal(readlinkSync(`${root}/bin/sh`), "busybox");
  assert.deepEqual([st("bin/sh").uid, st("bin/sh").gid, st("bin/sh").mtimeMs], [7, 8, 1_450_000_000_000]);
  assert.equal(st("bin/ls").ino, st("bin/busybox").ino);
  assert.equal(st("tmp").mode & 0o7777, 0o1777);
  assert.deepEqual([st("srv").mode & 0o7777, st("srv").gid], [0o2775, 50]);
  assert.ok(st("dev/null").isCharacterDevice());
  assert.equal(st("dev/null").rdev, 0x103);
  assert.ok(st("dev/loop0").isBlockDevice());
  assert.deepEqual([st("dev/loop0").rdev, st("dev/loop0").mode & 0o7777, st("dev/loop0").gid], [0x700, 0o660, 6]);
  assert.deepEqual([st("run/fifo").isFIFO(), st("run/fifo").mode & 0o7777, st("run/fifo").uid], [true, 0o620, 3]);
  assert.equal(readFileSync(`${root}/long/${"p".repeat(120)}/${"q".repeat(120)}/file`, "utf8"), "long");
  assert.equal(st("empty").size, 0);
  assert.deepEqual(readFileSync(`${root}/big`), random(3 << 20));
  assert.equal(st("big").mtimeMs, 1_500_000_000_000);
}

describe("good archives", () => {
  const TOOLS = { none: "cat", gzip: "gzip -dc", bzip2: "bzip2 -dc", xz: "xz -dc" } as const;

  for (const compression of ["none", "gzip", "bzip2", "xz"] as const) {
    it(`extracts a ${compression} ACI with every kind of entry, and the image ID is the sha512 of \`${TOOLS[compression]}\``, async () => {
      const p = place();
      const aci = `${p.dir}/image.aci`;
      await writeAci(aci, { compression, entries: RICH });
      const expected = execSync(`${TOOLS[compression]} ${aci} | sha512sum`).toString().split(" ")[0];
      const tarBytes = Number(execSync(`${TOOLS[compression]} ${aci} | wc -c`).toString().trim());
      const progress: number[] = [];
      const r = await extractAci({ source: createReadStream(aci), target: p.target, onProgress: (n) => progress.push(n) });
      assert.equal(r.imageId, `sha512-${expected}`);
      assert.equal(r.compression, compression);
      assert.equal(r.uncompressedBytes, tarBytes);
      assert.equal(r.entries, RICH.length + 1);
      assert.deepEqual(JSON.parse(r.manifestBytes.toString()), minimalManifest("example.com/test"));
      assert.equal(progress.at(-1), statSync(aci).size, "the last progress report is the whole file");
      assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
      checkRich(p.target);
      const pass1 = await readAciManifest(aci);
      assert.deepEqual(pass1, { manifestBytes: r.manifestBytes, compression });
    });
  }

  it("reads long names, long link targets and hard links as GNU tar writes them (gnu and pax formats)", async () => {
    const p = place();
    const src = `${p.dir}/layout`;
    const deep = `${src}/rootfs/${"a".repeat(90)}/${"b".repeat(90)}/${"c".repeat(90)}`;
    mkdirSync(deep, { recursive: true });
    writeFileSync(`${src}/manifest`, JSON.stringify(minimalManifest("example.com/gnu")));
    writeFileSync(`${deep}/${"f".repeat(150)}`, "deep");
    symlinkSync(`/${"t".repeat(200)}`, `${deep}/longlink`);
    execFileSync("ln", [`${deep}/${"f".repeat(150)}`, `${src}/rootfs/hard`]);
    execSync(`find ${src} -exec touch -h -d @1600000000 {} +`); // the gnu format keeps whole seconds only
    for (const format of ["gnu", "pax"]) {
      const target = `${p.dir}/out-${format}`;
      mkdirSync(target);
      const aci = `${p.dir}/${format}.aci`;
      execSync(`tar -C ${src} --format=${format} -czf ${aci} manifest rootfs`);
      const r = await extractAci({ source: createReadStream(aci), target });
      assert.equal(r.imageId, `sha512-${execSync(`gzip -dc ${aci} | sha512sum`).toString().split(" ")[0]}`);
      const listing = (root: string) => execSync(`cd ${root} && find . -printf '%p %y %m %U %G %s %n %T@ %l\\n' | sort`).toString();
      assert.equal(listing(target), listing(`${src}/rootfs`), format);
      rmSync(target, { recursive: true });
    }
  });

  it("accepts the archive root entry `./` that `tar -C dir -c .` writes", async () => {
    const p = place();
    const src = `${p.dir}/layout`;
    mkdirSync(`${src}/rootfs/etc`, { recursive: true });
    writeFileSync(`${src}/manifest`, JSON.stringify(minimalManifest("example.com/dot")));
    writeFileSync(`${src}/rootfs/etc/hostname`, "dot\n");
    execSync(`tar -C ${src} -cf ${p.dir}/dot.aci .`);
    await extractAci({ source: createReadStream(`${p.dir}/dot.aci`), target: p.target });
    assert.equal(readFileSync(`${p.target}/etc/hostname`, "utf8"), "dot\n");
  });

  it("layers over a lower tree: a symlink to a directory becomes a directory, files replace files, directories merge", async () => {
    const p = place();
    mkdirSync(`${p.target}/usr/lib`, { recursive: true });
    writeFileSync(`${p.target}/usr/lib/libold.so`, "old");
    symlinkSync("usr/lib", `${p.target}/lib`);
    mkdirSync(`${p.target}/etc`);
    writeFileSync(`${p.target}/etc/keep`, "lower");
    writeFileSync(`${p.target}/etc/hosts`, "lower");
    writeFileSync(`${p.target}/opt`, "a file that becomes a directory");
    const bytes = await buildAci({
      entries: [dir("rootfs/lib"), file("rootfs/lib/libnew.so", "new"), dir("rootfs/etc"), file("rootfs/etc/hosts", "upper"), dir("rootfs/opt"), file("rootfs/opt/tool", "t")],
    });
    await extract(bytes, p.target);
    assert.ok(lstatSync(`${p.target}/lib`).isDirectory(), "the symlink was replaced, not followed");
    assert.deepEqual(readdirSync(`${p.target}/lib`), ["libnew.so"]);
    assert.deepEqual(readdirSync(`${p.target}/usr/lib`), ["libold.so"]);
    assert.equal(readFileSync(`${p.target}/etc/keep`, "utf8"), "lower");
    assert.equal(readFileSync(`${p.target}/etc/hosts`, "utf8"), "upper");
    assert.equal(readFileSync(`${p.target}/opt/tool`, "utf8"), "t");
    assertUntouched(p);
  });

  it("fails with ABORTED when its signal fires, and stops reading the source", async () => {
    const p = place();
    const head = await buildAci({ compression: "none", entries: [file("rootfs/a", "a")] });
    const controller = new AbortController();
    let pulls = 0;
    // Sends the start of an archive, then nothing more, as a stalled download would.
    const endless = new Readable({
      read() {
        pulls++;
        if (pulls === 1) this.push(head.subarray(0, 2048));
        else if (pulls === 2) setTimeout(() => controller.abort(), 20);
      },
    });
    const e = await extractAci({ source: endless, target: p.target, signal: controller.signal }).catch((err: unknown) => err);
    assert.ok(e instanceof JetpackError);
    assert.equal(e.code, "JP_ERR_ACI_ABORTED");
    assert.equal(e.kind, "unavailable");
    assert.ok(endless.destroyed);
  });
});

describe("readAciManifest (pass 1)", () => {
  it("finds the manifest wherever it lies in the archive", async () => {
    const p = place();
    const aci = `${p.dir}/late.aci`;
    await writeAci(aci, { compression: "bzip2", manifest: null, entries: [dir("rootfs"), file("rootfs/a", "a"), file("manifest", '{"late":true}')] });
    assert.equal((await readAciManifest(aci)).manifestBytes.toString(), '{"late":true}');
  });

  it("stops after the manifest and leaves no decompressor running", async () => {
    const p = place();
    const aci = `${p.dir}/early.aci`;
    await writeAci(aci, { compression: "xz", entries: [file("rootfs/random", random(8 << 20))] });
    const r = await readAciManifest(aci);
    assert.equal(r.compression, "xz");
    for (let i = 0; i < 100 && xzChildren().length > 0; i++) await new Promise((res) => setTimeout(res, 20));
    assert.deepEqual(xzChildren(), []);
  });

  it("refuses a missing manifest, a linked or directory manifest, and one over the bound", async () => {
    const p = place();
    const cases: Array<[BuildAciOptions, string, number?]> = [
      [{ manifest: null, entries: [dir("rootfs")] }, "JP_ERR_ACI_NO_MANIFEST"],
      [{ manifest: null, entries: [{ name: "manifest", type: "symlink", linkname: "/etc/passwd" }] }, "JP_ERR_ACI_UNSAFE_PATH"],
      [{ manifest: null, entries: [dir("manifest")] }, "JP_ERR_ACI_LAYOUT"],
      [{ manifest: Buffer.alloc(5000, 0x20), entries: [] }, "JP_ERR_ACI_MANIFEST_TOO_LARGE", 4096],
    ];
    for (const [i, [opts, code, max]] of cases.entries()) {
      const aci = `${p.dir}/m${i}.aci`;
      await writeAci(aci, opts);
      await expectFailure(readAciManifest(aci, max ? { maxManifestBytes: max } : {}), code);
    }
    await assert.rejects(readAciManifest(`${p.dir}/absent.aci`), { code: "JP_ERR_ACI_NOT_FOUND", kind: "not_found" });
  });
});

function xzChildren(): string[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return stat.includes("(xz)") && fields[1] === String(process.pid);
      } catch {
        return false;
      }
    });
}

describe("applyPathWhitelist on a real tree", () => {
  it("keeps the listed paths and their directories, removes the rest, and never follows a symlink", async () => {
    const p = place();
    const t = p.target;
    mkdirSync(`${t}/bin`);
    mkdirSync(`${t}/etc/ssl`, { recursive: true });
    writeFileSync(`${t}/bin/sh`, "sh");
    writeFileSync(`${t}/bin/ls`, "ls");
    writeFileSync(`${t}/etc/passwd`, "p");
    writeFileSync(`${t}/etc/ssl/cert`, "c");
    symlinkSync(p.sentinel, `${t}/outside`);
    symlinkSync("sh", `${t}/bin/ash`);
    const r = await applyPathWhitelist(t, ["/bin/sh", "/bin/ash", "/etc/ssl/"]);
    assert.deepEqual(readdirSync(t).sort(), ["bin", "etc"]);
    assert.deepEqual(readdirSync(`${t}/bin`).sort(), ["ash", "sh"]);
    assert.deepEqual(readdirSync(`${t}/etc`), ["ssl"]);
    assert.deepEqual(readdirSync(`${t}/etc/ssl`), []);
    assert.equal(r.removed, 4);
    assertUntouched(p);
  });

  it("keeps everything for an empty whitelist", async () => {
    const p = place();
    writeFileSync(`${p.target}/a`, "a");
    assert.deepEqual(await applyPathWhitelist(p.target, []), { removed: 0 });
    assert.deepEqual(readdirSync(p.target), ["a"]);
  });
});

describe("overlayTree", () => {
  it("copies a rendered layer with owners, modes, times, links, devices and FIFOs onto a target, replacing symlinks", async () => {
    const p = place();
    const lower = `${p.dir}/lower`;
    mkdirSync(lower);
    await extract(await buildAci({ entries: RICH }), lower);
    mkdirSync(`${p.dir}/elsewhere`);
    symlinkSync(p.sentinel, `${p.target}/etc`);
    symlinkSync(`${p.sentinel}/canary`, `${p.target}/big`);
    mkdirSync(`${p.target}/bin`);
    writeFileSync(`${p.target}/bin/extra`, "kept");
    writeFileSync(`${p.target}/tmp`, "a file where the layer has a directory");
    await overlayTree(lower, p.target);
    checkRich(p.target);
    assert.equal(readFileSync(`${p.target}/bin/extra`, "utf8"), "kept", "directories merge");
    rmSync(`${p.dir}/elsewhere`, { recursive: true });
    rmSync(lower, { recursive: true });
    assertUntouched(p);
  });

  it("replaces a symlink of the target by the layer's directory instead of copying through it", async () => {
    const p = place();
    const lower = `${p.dir}/lower`;
    mkdirSync(`${lower}/etc`, { recursive: true });
    writeFileSync(`${lower}/etc/passwd`, "x");
    symlinkSync(p.sentinel, `${p.target}/etc`);
    await overlayTree(lower, p.target);
    assert.ok(lstatSync(`${p.target}/etc`).isDirectory());
    rmSync(lower, { recursive: true });
    assertUntouched(p);
  });
});

// Speed is measured by ops/bench/import.sh, never asserted here.
describe("many files", () => {
  it("extracts a gzip image of thousands of files to the same tree `gzip -dc | tar -x` makes", async () => {
    const p = place();
    const src = `${p.dir}/layout`;
    mkdirSync(`${src}/rootfs`, { recursive: true });
    writeFileSync(`${src}/manifest`, JSON.stringify(minimalManifest("example.com/speed")));
    const chunk = random(1 << 20);
    for (let d = 0; d < 60; d++) {
      mkdirSync(`${src}/rootfs/d${d}`);
      for (let f = 0; f < 80; f++) writeFileSync(`${src}/rootfs/d${d}/f${f}`, chunk.subarray(f * 97, f * 97 + ((f * 7919) % 30000)));
    }
    writeFileSync(`${src}/rootfs/large`, Buffer.concat([chunk, chunk, chunk, chunk]));
    const aci = `${p.dir}/speed.aci`;
    execSync(`tar -C ${src} -czf ${aci} manifest rootfs`);
    const byTar = `${p.dir}/by-tar`;
    mkdirSync(byTar);
    execSync(`gzip -dc ${aci} | tar -x -C ${byTar} -p`);
    await extractAci({ source: createReadStream(aci, { highWaterMark: 1 << 20 }), target: p.target });
    const listing = (dir: string) => execSync(`cd ${dir} && find . -printf '%p %y %s %m %U:%G\\n' | sort`, { encoding: "utf8" });
    assert.equal(listing(p.target), listing(`${byTar}/rootfs`));
    const sums = (dir: string) => execSync(`cd ${dir} && find . -type f -print0 | sort -z | xargs -0 sha256sum`, { encoding: "utf8" });
    assert.equal(sums(p.target), sums(`${byTar}/rootfs`));
  });
});
