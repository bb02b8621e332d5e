import assert from "node:assert/strict";
import { chmod, lstat, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { armor, enums, readKey } from "openpgp";
import { JetpackError, type ErrorKind } from "../../../../../machines/errors.js";
import { describeKey, TrustStore } from "../../../../../workers/images/trust/index.js";
import { makeKey, type TestKey } from "../../../../support/pgp-keys.js";

let work: string;
let alice: TestKey;
let bob: TestKey;
let carol: TestKey;
let dirCount = 0;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "jp-trust-unit-"));
  [alice, bob, carol] = await Promise.all([
    makeKey({ name: "Alice", email: "alice@example.com" }),
    makeKey({ name: "Bob", email: "bob@example.org", expiresInSeconds: 86400 }),
    makeKey({ name: "Carol", email: "carol@example.net" }),
  ]);
});

after(() => rm(work, { recursive: true, force: true }));

/** A fresh store in its own directory, and the warnings it gives. */
function freshStore(): { store: TrustStore; dir: string; warnings: string[] } {
  const dir = join(work, `store-${++dirCount}`, "trust");
  const warnings: string[] = [];
  return { store: new TrustStore(dir, { warn: (m) => warnings.push(m) }), dir, warnings };
}

async function rejectsWith(p: Promise<unknown>, kind: ErrorKind, code: string): Promise<JetpackError> {
  let caught: unknown;
  await assert.rejects(p, (err) => {
    caught = err;
    return err instanceof JetpackError && err.kind === kind && err.code === code;
  });
  return caught as JetpackError;
}

const modeOf = async (path: string) => (await lstat(path)).mode & 0o777;

describe("TrustStore.add", () => {
  it("keeps a key trusted for a prefix in prefix/<prefix with commas>/<fingerprint>, 0600 in 0700 directories", async () => {
    const { store, dir } = freshStore();
    const added = await store.add(alice.publicArmored, { prefix: "example.com/org" });
    const path = join(dir, "prefix", "example.com,org", alice.fingerprint);
    assert.equal(added.path, path);
    assert.equal(added.prefix, "example.com/org");
    assert.equal(added.fingerprint, alice.fingerprint);
    assert.match(added.fingerprint, /^[0-9a-f]{40}$/);
    assert.equal(await modeOf(path), 0o600);
    for (const d of [dir, join(dir, "prefix"), join(dir, "prefix", "example.com,org")]) assert.equal(await modeOf(d), 0o700, d);
    assert.deepEqual(await readdir(join(dir, "prefix", "example.com,org")), [alice.fingerprint]);
  });

  it("keeps a root key in root/<fingerprint>", async () => {
    const { store, dir } = freshStore();
    const added = await store.add(alice.publicArmored, { root: true });
    assert.equal(added.path, join(dir, "root", alice.fingerprint));
    assert.equal(added.prefix, null);
    assert.equal(await modeOf(added.path), 0o600);
    assert.equal(await modeOf(join(dir, "root")), 0o700);
  });

  it("stores only the public part of a private key it is given", async () => {
    const { store } = freshStore();
    const added = await store.add(alice.privateKey.armor(), { prefix: "example.com" });
    const text = await readFile(added.path, "utf8");
    assert.match(text, /BEGIN PGP PUBLIC KEY BLOCK/);
    assert.doesNotMatch(text, /PRIVATE/);
    assert.equal((await readKey({ armoredKey: text })).isPrivate(), false);
  });

  it("accepts the same key twice and keeps one file for it", async () => {
    const { store } = freshStore();
    await store.add(alice.publicArmored, { prefix: "example.com" });
    await store.add(alice.publicArmored, { prefix: "example.com" });
    const listed = await store.list();
    assert.equal(listed.length, 1);
    assert.deepEqual(await readdir(join(store.dir, "prefix", "example.com")), [alice.fingerprint]);
  });

  it("trusts a key whose fingerprint matches the one pinned, written as gpg prints it", async () => {
    const { store } = freshStore();
    const spaced = alice.fingerprint.toUpperCase().replace(/(.{4})/g, "$1 ").trim();
    const added = await store.add(alice.publicArmored, { prefix: "example.com" }, { fingerprint: spaced });
    assert.equal(added.fingerprint, alice.fingerprint);
  });

  it("refuses a key whose fingerprint is not the one pinned, and writes nothing", async () => {
    const { store, dir } = freshStore();
    const err = await rejectsWith(store.add(alice.publicArmored, { prefix: "example.com" }, { fingerprint: bob.fingerprint }), "invalid", "JP_ERR_TRUST_FINGERPRINT");
    assert.match(err.message, new RegExp(alice.fingerprint));
    assert.match(err.message, new RegExp(bob.fingerprint));
    assert.deepEqual(await readdir(dir).catch(() => []), []);
  });

  it("refuses a short key id as a pin, since those can be forged", async () => {
    const { store } = freshStore();
    await rejectsWith(store.add(alice.publicArmored, { root: true }, { fingerprint: alice.fingerprint.slice(-16) }), "invalid", "JP_ERR_TRUST_FINGERPRINT");
  });

  it("refuses a prefix that is not a clean image-name prefix: trailing slash, upper case, dot-dot segments", async () => {
    const { store } = freshStore();
    for (const prefix of ["", "example.com/", "Example.com", "example.com/../org", "../../etc"]) {
      await rejectsWith(store.add(alice.publicArmored, { prefix }), "invalid", "JP_ERR_TRUST_PREFIX");
    }
  });

  it("refuses text that is not a key", async () => {
    const { store } = freshStore();
    await rejectsWith(store.add("not a key", { root: true }), "invalid", "JP_ERR_TRUST_KEY_FORMAT");
  });

  it("refuses two keys given at once instead of trusting only the first (a FIXME of the original)", async () => {
    const { store, dir } = freshStore();
    const keyring = armor(enums.armor.publicKey, new Uint8Array([...alice.privateKey.toPublic().write(), ...bob.privateKey.toPublic().write()]));
    const one = await rejectsWith(store.add(keyring, { root: true }), "invalid", "JP_ERR_TRUST_KEY_FORMAT");
    assert.match(one.message, /2 keys/);
    const two = await rejectsWith(store.add(`${alice.publicArmored}\n${bob.publicArmored}`, { root: true }), "invalid", "JP_ERR_TRUST_KEY_FORMAT");
    assert.match(two.message, /2 armored blocks/);
    assert.deepEqual(await readdir(dir).catch(() => []), []);
  });

  it("refuses a key that has already expired", async () => {
    const { store } = freshStore();
    const old = await makeKey({ name: "Old", email: "old@example.com", created: new Date(Date.now() - 7200_000), expiresInSeconds: 3600 });
    const err = await rejectsWith(store.add(old.publicArmored, { prefix: "example.com" }), "invalid", "JP_ERR_TRUST_KEY_UNUSABLE");
    assert.match(err.message, /expired/);
  });
});

describe("TrustStore.list", () => {
  it("lists each trusted key with its scope, identities, dates and file, root keys first", async () => {
    const { store, dir } = freshStore();
    await store.add(bob.publicArmored, { prefix: "example.org" });
    await store.add(alice.publicArmored, { prefix: "example.com" });
    await store.add(carol.publicArmored, { root: true });
    const listed = await store.list();
    assert.deepEqual(
      listed.map((k) => [k.prefix, k.fingerprint]),
      [
        [null, carol.fingerprint],
        ["example.com", alice.fingerprint],
        ["example.org", bob.fingerprint],
      ],
    );
    const b = listed[2]!;
    assert.deepEqual(b.userIds, ["Bob <bob@example.org>"]);
    assert.equal(b.path, join(dir, "prefix", "example.org", bob.fingerprint));
    assert.equal(b.created, bob.privateKey.getCreationTime().toISOString());
    assert.equal(Date.parse(b.expires!) - Date.parse(b.created), 86400_000);
    assert.equal(listed[0]!.expires, null);
  });

  it("lists nothing for a store that does not exist yet", async () => {
    const { store } = freshStore();
    assert.deepEqual(await store.list(), []);
  });
});

describe("TrustStore.keysFor", () => {
  it("gives root keys and the keys of every prefix that matches the name segment by segment", async () => {
    const { store } = freshStore();
    await store.add(alice.publicArmored, { prefix: "example.com" });
    await store.add(bob.publicArmored, { prefix: "example.com/org" });
    await store.add(carol.publicArmored, { root: true });
    const fprs = async (name: string) => (await store.keysFor(name)).map((k) => k.getFingerprint()).sort();
    assert.deepEqual(await fprs("example.com/org/app"), [alice.fingerprint, bob.fingerprint, carol.fingerprint].sort());
    assert.deepEqual(await fprs("example.com/organic"), [alice.fingerprint, carol.fingerprint].sort());
    assert.deepEqual(await fprs("example.community/app"), [carol.fingerprint]);
  });

  it("gives no keys for a name no prefix covers when there is no root key", async () => {
    const { store } = freshStore();
    await store.add(alice.publicArmored, { prefix: "example.com" });
    assert.deepEqual(await store.keysFor("example.community/app"), []);
  });
});

describe("TrustStore.remove", () => {
  it("removes a key from every scope, counts the files, and drops the emptied prefix directory", async () => {
    const { store, dir } = freshStore();
    await store.add(alice.publicArmored, { prefix: "example.com" });
    await store.add(alice.publicArmored, { prefix: "example.org/x" });
    await store.add(alice.publicArmored, { root: true });
    await store.add(bob.publicArmored, { prefix: "example.com" });
    assert.equal(await store.remove(alice.fingerprint.toUpperCase()), 3);
    assert.deepEqual((await store.list()).map((k) => k.fingerprint), [bob.fingerprint]);
    assert.deepEqual((await readdir(join(dir, "prefix"))).sort(), ["example.com"]);
  });

  it("says not found for a key that is not trusted", async () => {
    const { store } = freshStore();
    await store.add(alice.publicArmored, { prefix: "example.com" });
    await rejectsWith(store.remove(bob.fingerprint), "not_found", "JP_ERR_TRUST_KEY_NOT_FOUND");
    await rejectsWith(store.remove("not-a-fingerprint"), "invalid", "JP_ERR_TRUST_FINGERPRINT");
  });
});

describe("a tampered trust store", () => {
  it("ignores, with a warning, a key file renamed to another key's fingerprint", async () => {
    const { store, warnings } = freshStore();
    const added = await store.add(alice.publicArmored, { prefix: "example.com" });
    await rename(added.path, join(added.path, "..", bob.fingerprint));
    assert.deepEqual(await store.keysFor("example.com/app"), []);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, new RegExp(`holds the key ${alice.fingerprint}`));
  });

  it("ignores, with a warning, files not named by a fingerprint, writable by others, or not regular files", async () => {
    const { store, dir, warnings } = freshStore();
    const added = await store.add(alice.publicArmored, { prefix: "example.com" });
    const keyDir = join(dir, "prefix", "example.com");
    await writeFile(join(keyDir, "evil-key"), bob.publicArmored, { mode: 0o600 });
    await writeFile(join(keyDir, bob.fingerprint), bob.publicArmored, { mode: 0o600 });
    await chmod(join(keyDir, bob.fingerprint), 0o666);
    await symlink(added.path, join(dir, "prefix", "example.com", carol.fingerprint));
    await writeFile(join(dir, "prefix", "not a prefix"), "x");
    assert.deepEqual((await store.keysFor("example.com/app")).map((k) => k.getFingerprint()), [alice.fingerprint]);
    assert.equal(warnings.length, 4, warnings.join("\n"));
  });

  it("passes over the temp file of an interrupted write without a warning", async () => {
    const { store, warnings } = freshStore();
    const added = await store.add(alice.publicArmored, { root: true });
    await writeFile(join(added.path, "..", `.${bob.fingerprint}.1234.tmp`), bob.publicArmored.slice(0, 50), { mode: 0o600 });
    assert.deepEqual((await store.list()).map((k) => k.fingerprint), [alice.fingerprint]);
    assert.deepEqual(warnings, []);
  });
});

describe("describeKey", () => {
  it("shows an unknown key's fingerprint, identities and dates before anyone trusts it", async () => {
    const d = await describeKey(bob.publicArmored);
    assert.equal(d.fingerprint, bob.fingerprint);
    assert.deepEqual(d.userIds, ["Bob <bob@example.org>"]);
    assert.equal(d.created, bob.privateKey.getCreationTime().toISOString());
    assert.equal(Date.parse(d.expires!), Date.parse(d.created) + 86400_000);
  });
});
