// The contract of Storage, run against every backend the machine has (containerd's SnapshotterSuite is
// the model). A backend's test file calls `storageSuite(name, makeStorage)`; `makeStorage` gives a fresh
// store: a root dataset to work under and an empty directory for mountpoints.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { JetpackError, type ErrorKind } from "../../machines/errors.js";
import type { Storage } from "../../workers/host/storage.js";

export interface StorageFixture {
  storage: Storage;
  /** A dataset the suite may fill; it exists, with no mountpoint of its own. */
  root: string;
  /** An empty directory for the suite's mountpoints. */
  mountRoot: string;
  /** Removes everything the fixture made. */
  cleanup(): Promise<void>;
}

/** Asserts that `p` fails with a JetpackError of `kind` (and `code`, if given). */
export async function rejectsWith(p: Promise<unknown>, kind: ErrorKind, code?: string): Promise<JetpackError> {
  let caught: unknown;
  await assert.rejects(p, (err: unknown) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof JetpackError, `expected a JetpackError, got ${String(caught)}`);
  assert.equal(caught.kind, kind, `expected kind ${kind}, got ${caught.kind}: ${caught.message}`);
  if (code) assert.equal(caught.code, code);
  return caught;
}

/** Starts `sleep` with its working directory in `dir`, and resolves once it runs. */
async function holdCwd(dir: string, seconds: number): Promise<ChildProcess> {
  const child = spawn("sleep", [String(seconds)], { cwd: dir, stdio: "ignore" });
  await once(child, "spawn");
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = once(child, "exit");
  child.kill("SIGKILL");
  await gone;
}

export function storageSuite(name: string, makeStorage: () => Promise<StorageFixture>): void {
  describe(`Storage conformance: ${name}`, () => {
    let fx: StorageFixture;
    let s: Storage;
    let n = 0;
    /** A fresh dataset (no mountpoint) and a fresh directory for each test. */
    const fresh = async () => {
      n += 1;
      const ds = `${fx.root}/t${n}`;
      const dir = join(fx.mountRoot, `t${n}`);
      await s.create(ds);
      return { ds, dir };
    };

    before(async () => {
      fx = await makeStorage();
      s = fx.storage;
    });
    after(async () => {
      await fx?.cleanup();
    });

    it("creates a dataset that then exists and has properties", async () => {
      const { ds } = await fresh();
      await s.create(`${ds}/a`);
      assert.equal(await s.exists(`${ds}/a`), true);
      assert.deepEqual(await s.get(`${ds}/a`, ["type", "origin", "jetpack:name"]), { type: "filesystem", origin: "", "jetpack:name": "" });
    });

    it("says an absent dataset does not exist and has no properties", async () => {
      const { ds } = await fresh();
      assert.equal(await s.exists(`${ds}/nope`), false);
      assert.equal(await s.exists(`${ds}@nope`), false);
      assert.equal(await s.get(`${ds}/nope`, ["type"]), undefined);
    });

    it("refuses to create a dataset twice", async () => {
      const { ds } = await fresh();
      await s.create(`${ds}/a`);
      await rejectsWith(s.create(`${ds}/a`), "already_exists");
    });

    it("refuses to create under a missing parent unless asked to create parents", async () => {
      const { ds } = await fresh();
      await rejectsWith(s.create(`${ds}/x/y`), "not_found");
      await s.create(`${ds}/x/y`, { parents: true });
      assert.equal(await s.exists(`${ds}/x/y`), true);
    });

    it("mounts a dataset at its mountpoint, creating missing directories, so files can be written there", async () => {
      const { ds, dir } = await fresh();
      const mp = join(dir, "deep", "a");
      await s.create(`${ds}/a`, { mountpoint: mp });
      await writeFile(join(mp, "hello"), "world");
      assert.equal(await readFile(join(mp, "hello"), "utf8"), "world");
      assert.deepEqual(await s.get(`${ds}/a`, ["mounted", "mountpoint"]), { mounted: "yes", mountpoint: mp });
    });

    it("mounts children at explicit mountpoints under a parent that has mountpoint none", async () => {
      const { ds, dir } = await fresh();
      await s.create(`${ds}/p`, { mountpoint: "none" });
      await s.create(`${ds}/p/c`, { mountpoint: join(dir, "c") });
      await s.create(`${ds}/p/c/inner`, { mountpoint: join(dir, "c", "sub", "inner") });
      const listed = await s.list(`${ds}/p`, { recursive: true });
      assert.deepEqual(
        listed.map((d) => [d.name, d.mountpoint, d.mounted]),
        [
          [`${ds}/p/c`, join(dir, "c"), true],
          [`${ds}/p/c/inner`, join(dir, "c", "sub", "inner"), true],
        ],
      );
      assert.equal((await s.get(`${ds}/p`, ["mounted"]))?.mounted, "no");
    });

    it("leaves no dataset behind when a create cannot mount", async () => {
      const { ds, dir } = await fresh();
      await s.create(`${ds}/ro`, { mountpoint: join(dir, "ro"), properties: { readonly: "on" } });
      await rejectsWith(s.create(`${ds}/inner`, { mountpoint: join(dir, "ro", "inner") }), "conflict");
      assert.equal(await s.exists(`${ds}/inner`), false);
    });

    it("clones a snapshot: the clone sees the files, and writes to it leave the origin alone", async () => {
      const { ds, dir } = await fresh();
      await s.create(`${ds}/img`, { mountpoint: join(dir, "img") });
      await writeFile(join(dir, "img", "f"), "original");
      assert.equal(await s.snapshot(`${ds}/img`, "seal"), `${ds}/img@seal`);
      await s.clone(`${ds}/img@seal`, `${ds}/app`, { mountpoint: join(dir, "app"), properties: { "jetpack:name": "app" } });
      assert.equal(await readFile(join(dir, "app", "f"), "utf8"), "original");
      await writeFile(join(dir, "app", "f"), "changed");
      await writeFile(join(dir, "app", "new"), "x");
      assert.equal(await readFile(join(dir, "img", "f"), "utf8"), "original");
      await assert.rejects(readFile(join(dir, "img", "new")));
      assert.deepEqual(await s.get(`${ds}/app`, ["origin", "jetpack:name"]), { origin: `${ds}/img@seal`, "jetpack:name": "app" });
    });

    it("refuses a snapshot name that is taken", async () => {
      const { ds } = await fresh();
      await s.snapshot(ds, "s");
      await rejectsWith(s.snapshot(ds, "s"), "already_exists");
    });

    it("refuses writes into a dataset once readonly is on, and reports readonly as on", async () => {
      const { ds, dir } = await fresh();
      const mp = join(dir, "img");
      await s.create(`${ds}/img`, { mountpoint: mp });
      await writeFile(join(mp, "old"), "a");
      await s.set(`${ds}/img`, { readonly: "on" });
      await assert.rejects(writeFile(join(mp, "new"), "b"), { code: "EROFS" });
      await assert.rejects(appendFile(join(mp, "old"), "more"), { code: "EROFS" });
      assert.equal(await readFile(join(mp, "old"), "utf8"), "a");
      assert.equal((await s.get(`${ds}/img`, ["readonly"]))?.readonly, "on");
      await s.set(`${ds}/img`, { readonly: "off" });
      await appendFile(join(mp, "old"), "b");
      assert.equal(await readFile(join(mp, "old"), "utf8"), "ab");
    });

    it("round-trips user properties, spaces and tabs included", async () => {
      const { ds } = await fresh();
      const value = "example.com/app name\twith tab – ünïcode";
      await s.set(ds, { "jetpack:name": value, "jetpack:other": "2" });
      assert.deepEqual(await s.get(ds, ["jetpack:name", "jetpack:other", "jetpack:unset"]), {
        "jetpack:name": value,
        "jetpack:other": "2",
        "jetpack:unset": "",
      });
      const snap = await s.snapshot(ds, "s");
      await s.set(snap, { "jetpack:note": "on a snapshot" });
      assert.equal((await s.get(snap, ["jetpack:note"]))?.["jetpack:note"], "on a snapshot");
    });

    it("lists children, subtrees, snapshots and clones' origins, never the parent itself", async () => {
      const { ds } = await fresh();
      await s.create(`${ds}/a`);
      await s.create(`${ds}/a/b`);
      await s.snapshot(`${ds}/a`, "s1");
      await s.clone(`${ds}/a@s1`, `${ds}/c`);
      const names = (xs: { name: string }[]) => xs.map((x) => x.name).sort();
      assert.deepEqual(names(await s.list(ds)), [`${ds}/a`, `${ds}/c`]);
      assert.deepEqual(names(await s.list(ds, { recursive: true })), [`${ds}/a`, `${ds}/a/b`, `${ds}/c`]);
      assert.deepEqual(names(await s.list(ds, { type: "snapshot", recursive: true })), [`${ds}/a@s1`]);
      assert.deepEqual(names(await s.list(`${ds}/a`, { type: "snapshot" })), [`${ds}/a@s1`]);
      assert.deepEqual(names(await s.list(ds, { type: "all", recursive: true })), [`${ds}/a`, `${ds}/a/b`, `${ds}/a@s1`, `${ds}/c`]);
      const all = await s.list(ds, { type: "all", recursive: true });
      assert.equal(all.find((d) => d.name === `${ds}/c`)?.origin, `${ds}/a@s1`);
      assert.deepEqual(all.find((d) => d.name === `${ds}/a@s1`), { name: `${ds}/a@s1`, type: "snapshot", mountpoint: null, mounted: false, origin: null });
      assert.deepEqual(await s.list(`${ds}/nope`, { recursive: true }), []);
    });

    it("renames a mounted dataset with its children, keeping data and mountpoints", async () => {
      const { ds, dir } = await fresh();
      await s.create(`${ds}/a`, { mountpoint: join(dir, "a") });
      await s.create(`${ds}/a/kid`, { mountpoint: join(dir, "kid") });
      await writeFile(join(dir, "a", "f"), "data");
      await writeFile(join(dir, "kid", "g"), "more");
      await s.rename(`${ds}/a`, `${ds}/b`);
      assert.equal(await s.exists(`${ds}/a`), false);
      assert.deepEqual(await s.get(`${ds}/b`, ["mounted", "mountpoint"]), { mounted: "yes", mountpoint: join(dir, "a") });
      assert.equal((await s.get(`${ds}/b/kid`, ["mounted"]))?.mounted, "yes");
      assert.equal(await readFile(join(dir, "a", "f"), "utf8"), "data");
      assert.equal(await readFile(join(dir, "kid", "g"), "utf8"), "more");
    });

    it("refuses to rename onto a taken name and leaves the source mounted", async () => {
      const { ds, dir } = await fresh();
      await s.create(`${ds}/a`, { mountpoint: join(dir, "a") });
      await s.create(`${ds}/b`);
      await writeFile(join(dir, "a", "f"), "x");
      await rejectsWith(s.rename(`${ds}/a`, `${ds}/b`), "already_exists");
      assert.equal(await readFile(join(dir, "a", "f"), "utf8"), "x");
      assert.equal((await s.get(`${ds}/a`, ["mounted"]))?.mounted, "yes");
    });

    it("unmounts and mounts again, both idempotently", async () => {
      const { ds, dir } = await fresh();
      await s.create(`${ds}/a`, { mountpoint: join(dir, "a") });
      await writeFile(join(dir, "a", "f"), "x");
      await s.unmount(`${ds}/a`);
      await s.unmount(`${ds}/a`);
      await assert.rejects(readFile(join(dir, "a", "f")));
      await s.mount(`${ds}/a`);
      await s.mount(`${ds}/a`);
      assert.equal(await readFile(join(dir, "a", "f"), "utf8"), "x");
    });

    it("destroys what is absent without complaint", async () => {
      const { ds } = await fresh();
      await s.destroy(`${ds}/nope`);
      await s.destroy(`${ds}/nope`, { recursive: true });
      await s.destroy(`${ds}@nope`);
      await s.destroy(`${ds}/no/such/parent`);
    });

    it("refuses to destroy an origin or its snapshot while a clone depends on it", async () => {
      const { ds } = await fresh();
      await s.create(`${ds}/img`);
      await s.snapshot(`${ds}/img`, "seal");
      await s.clone(`${ds}/img@seal`, `${ds}/app`);
      await rejectsWith(s.destroy(`${ds}/img@seal`), "conflict");
      await rejectsWith(s.destroy(`${ds}/img`, { recursive: true }), "conflict");
      assert.equal(await s.exists(`${ds}/img@seal`), true);
      await s.destroy(`${ds}/app`);
      await s.destroy(`${ds}/img`, { recursive: true });
      assert.equal(await s.exists(`${ds}/img`), false);
    });

    it("refuses to destroy a dataset with children unless recursive", async () => {
      const { ds } = await fresh();
      await s.create(`${ds}/a`);
      await s.create(`${ds}/a/b`);
      await rejectsWith(s.destroy(`${ds}/a`), "conflict");
      assert.equal(await s.exists(`${ds}/a/b`), true);
    });

    it("destroys a pod-like tree recursively: mounted clones of images elsewhere, their snapshots, volumes", async () => {
      const { ds, dir } = await fresh();
      await s.create(`${ds}/img`, { mountpoint: join(dir, "img") });
      await writeFile(join(dir, "img", "f"), "x");
      await s.snapshot(`${ds}/img`, "seal");
      await s.create(`${ds}/pod`, { mountpoint: join(dir, "pod") });
      for (const i of [0, 1]) {
        await s.clone(`${ds}/img@seal`, `${ds}/pod/rootfs.${i}`, { mountpoint: join(dir, "pod", "rootfs", String(i)) });
        await writeFile(join(dir, "pod", "rootfs", String(i), "g"), "y");
        await s.snapshot(`${ds}/pod/rootfs.${i}`, "parent");
      }
      await s.create(`${ds}/pod/volume.0`, { mountpoint: join(dir, "pod", "rootfs", "vol", "data") });
      await s.destroy(`${ds}/pod`, { recursive: true });
      assert.deepEqual(await s.list(ds, { type: "all", recursive: true }).then((xs) => xs.map((x) => x.name).sort()), [`${ds}/img`, `${ds}/img@seal`]);
      assert.equal(await readFile(join(dir, "img", "f"), "utf8"), "x");
    });

    it("destroys a dataset once a process that had its cwd in the mountpoint leaves", async () => {
      const { ds, dir } = await fresh();
      await s.create(`${ds}/a`, { mountpoint: join(dir, "a") });
      const holder = await holdCwd(join(dir, "a"), 1.5);
      try {
        await s.destroy(`${ds}/a`);
        assert.equal(await s.exists(`${ds}/a`), false);
      } finally {
        await stop(holder);
      }
    });

    it("fails as unavailable, naming the mountpoint, while a process keeps its cwd in the mountpoint", async () => {
      const { ds, dir } = await fresh();
      const mp = join(dir, "a");
      await s.create(`${ds}/a`, { mountpoint: mp });
      const holder = await holdCwd(mp, 60);
      try {
        const err = await rejectsWith(s.destroy(`${ds}/a`), "unavailable");
        assert.match(err.hint ?? "", new RegExp(mp.replace(/[/.]/g, "\\$&")));
        await stop(holder);
        await s.destroy(`${ds}/a`);
        assert.equal(await s.exists(`${ds}/a`), false);
      } finally {
        await stop(holder);
      }
    });

    it("sends a snapshot and receives it as a new dataset with the same files", async () => {
      const { ds, dir } = await fresh();
      await s.create(`${ds}/src`, { mountpoint: join(dir, "src") });
      await mkdir(join(dir, "src", "etc"));
      await writeFile(join(dir, "src", "etc", "hostname"), "jetpack\n");
      await s.snapshot(`${ds}/src`, "seal");
      await s.receive(`${ds}/copy`, s.send(`${ds}/src@seal`));
      assert.equal(await s.exists(`${ds}/copy@seal`), true);
      await s.set(`${ds}/copy`, { mountpoint: join(dir, "copy") });
      await s.mount(`${ds}/copy`);
      assert.equal(await readFile(join(dir, "copy", "etc", "hostname"), "utf8"), "jetpack\n");
      await rejectsWith(s.receive(`${ds}/copy`, s.send(`${ds}/src@seal`)), "already_exists");
    });

    it("refuses a garbage stream and leaves no dataset behind", async () => {
      const { ds } = await fresh();
      await rejectsWith(s.receive(`${ds}/bad`, Readable.from([Buffer.from("not a zfs stream")])), "invalid");
      assert.equal(await s.exists(`${ds}/bad`), false);
    });

    it("leaves no dataset behind when a stream is cut short or its source fails half-way", async () => {
      const { ds, dir } = await fresh();
      await s.create(`${ds}/src`, { mountpoint: join(dir, "src") });
      await writeFile(join(dir, "src", "big"), Buffer.alloc(512 * 1024, 7));
      await s.snapshot(`${ds}/src`, "seal");
      const whole = Buffer.concat(await s.send(`${ds}/src@seal`).toArray());
      const half = whole.subarray(0, whole.length >> 1);
      await rejectsWith(s.receive(`${ds}/cut`, Readable.from([half])), "invalid");
      assert.equal(await s.exists(`${ds}/cut`), false);
      const failing = Readable.from(
        (async function* () {
          yield half;
          throw new Error("network went away");
        })(),
      );
      await rejectsWith(s.receive(`${ds}/broken`, failing), "invalid");
      assert.equal(await s.exists(`${ds}/broken`), false);
    });

    it("fails the send stream as not_found for an absent snapshot", async () => {
      const { ds } = await fresh();
      await rejectsWith(text(s.send(`${ds}@nope`)), "not_found");
    });

    it("fails as not_found on set, rename, snapshot, clone and mount of absent datasets", async () => {
      const { ds } = await fresh();
      await rejectsWith(s.set(`${ds}/nope`, { "jetpack:name": "x" }), "not_found");
      await rejectsWith(s.rename(`${ds}/nope`, `${ds}/other`), "not_found");
      await rejectsWith(s.snapshot(`${ds}/nope`, "s"), "not_found");
      await rejectsWith(s.clone(`${ds}@nope`, `${ds}/c`), "not_found");
      await rejectsWith(s.mount(`${ds}/nope`), "not_found");
    });

    it("refuses names that are not dataset names as invalid", async () => {
      const { ds } = await fresh();
      await rejectsWith(s.create(`${ds}/a b`), "invalid");
      await rejectsWith(s.snapshot(ds, "a@b"), "invalid");
      await rejectsWith(s.get(`${ds}/-r`, ["type"]), "invalid");
      await rejectsWith(s.set(ds, { "Bad Name": "x" }), "invalid");
    });
  });
}
