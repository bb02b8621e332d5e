import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { after, before, describe, it } from "node:test";
import { SafeWriter, type EntryMeta } from "../../../../../workers/images/aci/safe-writer.js";

const meta = (mode: number, mtime = 1_500_000_000): EntryMeta => ({ mode, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mtime });

describe("SafeWriter", () => {
  let base: string;
  let n = 0;
  /** A fresh target with a sentinel directory beside it that nothing may touch. */
  const fresh = () => {
    const dir = `${base}/t${n++}`;
    mkdirSync(`${dir}/target`, { recursive: true });
    mkdirSync(`${dir}/sentinel`);
    return { target: `${dir}/target`, sentinel: `${dir}/sentinel` };
  };
  before(() => {
    base = mkdtempSync(`${tmpdir()}/jp-safe-writer-`);
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it("writes files, directories, symlinks and hard links with their modes and times", async () => {
    const { target } = fresh();
    const w = await SafeWriter.open(target);
    await w.directory("etc", meta(0o750, 1_400_000_000));
    await w.file("etc/passwd", meta(0o640), Buffer.from("root\n"));
    await w.file("etc/big", meta(0o600), (async function* () {
      yield Buffer.from("a".repeat(10));
      yield Buffer.from("b".repeat(10));
    })());
    await w.symlink("etc/link", "/nowhere/at/all", meta(0o777, 1_300_000_000));
    await w.hardlink("etc/passwd.hard", "etc/passwd");
    await w.file("deep/er/file", meta(0o644), Buffer.from("x"));
    await w.finish();
    assert.equal(readFileSync(`${target}/etc/passwd`, "utf8"), "root\n");
    assert.equal(readFileSync(`${target}/etc/big`, "utf8"), "a".repeat(10) + "b".repeat(10));
    assert.equal(statSync(`${target}/etc/passwd`).mode & 0o7777, 0o640);
    assert.equal(statSync(`${target}/etc/passwd`).mtimeMs, 1_500_000_000_000);
    assert.equal(statSync(`${target}/etc`).mode & 0o7777, 0o750);
    assert.equal(statSync(`${target}/etc`).mtimeMs, 1_400_000_000_000, "the directory time survives its children");
    assert.equal(readlinkSync(`${target}/etc/link`), "/nowhere/at/all");
    assert.equal(lstatSync(`${target}/etc/link`).mtimeMs, 1_300_000_000_000);
    assert.equal(statSync(`${target}/etc/passwd.hard`).ino, statSync(`${target}/etc/passwd`).ino);
    assert.equal(statSync(`${target}/deep/er`).mode & 0o777, 0o755, "implied directories are 0755");
  });

  it("refuses to write below a symlink already in the target, whatever it points to", async () => {
    const { target, sentinel } = fresh();
    symlinkSync(sentinel, `${target}/etc`);
    mkdirSync(`${target}/real`);
    symlinkSync("../real", `${target}/inside`);
    const w = await SafeWriter.open(target, { label: (rel) => `rootfs/${rel}` });
    for (const rel of ["etc/passwd", "inside/file"]) {
      await assert.rejects(w.file(rel, meta(0o644), Buffer.from("x")), (e: { code?: string; message?: string }) => {
        assert.equal(e.code, "JP_ERR_ACI_UNSAFE_PATH");
        assert.match(e.message ?? "", new RegExp(`rootfs/${rel}.*is a symlink on disk`));
        return true;
      });
    }
    await w.settle();
    assert.deepEqual(readdirSync(sentinel), []);
    assert.deepEqual(readdirSync(`${target}/real`), []);
  });

  it("replaces a symlink to a directory with a real directory, then writes into it", async () => {
    const { target, sentinel } = fresh();
    symlinkSync(sentinel, `${target}/lib`);
    const w = await SafeWriter.open(target);
    await w.directory("lib", meta(0o755));
    await w.file("lib/libc.so", meta(0o755), Buffer.from("elf"));
    await w.finish();
    assert.ok(lstatSync(`${target}/lib`).isDirectory());
    assert.equal(readFileSync(`${target}/lib/libc.so`, "utf8"), "elf");
    assert.deepEqual(readdirSync(sentinel), []);
  });

  it("merges a directory into a directory and replaces a file by a file", async () => {
    const { target } = fresh();
    mkdirSync(`${target}/etc`);
    writeFileSync(`${target}/etc/lower`, "lower");
    writeFileSync(`${target}/etc/both`, "lower");
    const w = await SafeWriter.open(target);
    await w.directory("etc", meta(0o755));
    await w.file("etc/both", meta(0o644), Buffer.from("upper"));
    await w.finish();
    assert.equal(readFileSync(`${target}/etc/lower`, "utf8"), "lower");
    assert.equal(readFileSync(`${target}/etc/both`, "utf8"), "upper");
  });

  it("replaces a file by a directory, and a lower directory by a file or a symlink", async () => {
    const { target, sentinel } = fresh();
    writeFileSync(`${target}/was-file`, "x");
    mkdirSync(`${target}/was-dir/sub`, { recursive: true });
    writeFileSync(`${target}/was-dir/sub/f`, "x");
    mkdirSync(`${target}/was-dir2`);
    const w = await SafeWriter.open(target);
    await w.directory("was-file", meta(0o755));
    await w.file("was-dir", meta(0o644), Buffer.from("now a file"));
    await w.symlink("was-dir2", sentinel, meta(0o777));
    await w.finish();
    assert.ok(lstatSync(`${target}/was-file`).isDirectory());
    assert.equal(readFileSync(`${target}/was-dir`, "utf8"), "now a file");
    assert.ok(lstatSync(`${target}/was-dir2`).isSymbolicLink());
    assert.deepEqual(readdirSync(sentinel), []);
  });

  it("replaces an existing symlink by a file without writing through it", async () => {
    const { target, sentinel } = fresh();
    writeFileSync(`${sentinel}/precious`, "keep");
    symlinkSync(`${sentinel}/precious`, `${target}/f`);
    const w = await SafeWriter.open(target);
    await w.file("f", meta(0o644), Buffer.from("new"));
    await w.finish();
    assert.equal(readFileSync(`${sentinel}/precious`, "utf8"), "keep");
    assert.equal(readFileSync(`${target}/f`, "utf8"), "new");
    assert.ok(lstatSync(`${target}/f`).isFile());
  });

  it("refuses a hard link to a symlink", async () => {
    const { target } = fresh();
    const w = await SafeWriter.open(target);
    await w.symlink("s", "/etc/shadow", meta(0o777));
    await assert.rejects(w.hardlink("h", "s"), { code: "JP_ERR_ACI_UNSAFE_PATH" });
    await w.settle();
    assert.equal(existsSync(`${target}/h`), false);
  });

  it("keeps setuid and setgid bits on files", async () => {
    const { target } = fresh();
    const w = await SafeWriter.open(target);
    await w.file("su", meta(0o4755), Buffer.from("x"));
    await w.file("sg", meta(0o2711), Buffer.from("x"));
    await w.directory("tmp", meta(0o1777));
    await w.finish();
    assert.equal(statSync(`${target}/su`).mode & 0o7777, 0o4755);
    assert.equal(statSync(`${target}/sg`).mode & 0o7777, 0o2711);
    assert.equal(statSync(`${target}/tmp`).mode & 0o7777, 0o1777);
  });

  it("refuses a target that is not an existing directory", async () => {
    const { target } = fresh();
    writeFileSync(`${target}/file`, "");
    await assert.rejects(SafeWriter.open(`${target}/file`), { code: "JP_ERR_ACI_TARGET" });
    await assert.rejects(SafeWriter.open(`${target}/missing`), { code: "JP_ERR_ACI_TARGET" });
  });

  it("names the entry when the file system refuses a name as too long", async () => {
    const { target } = fresh();
    const w = await SafeWriter.open(target, { label: (rel) => `rootfs/${rel}` });
    const rel = Array.from({ length: 20 }, () => "d".repeat(250)).join("/");
    await assert.rejects(w.file(rel, meta(0o644), Buffer.from("x")), (e: { code?: string; message?: string }) => {
      assert.equal(e.code, "JP_ERR_ACI_UNSAFE_PATH");
      assert.match(e.message ?? "", /too long/);
      return true;
    });
    await w.settle();
  });
});
