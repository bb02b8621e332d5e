// Checking image signatures as a user meets them: real OpenPGP keys made in the test (with openpgp, and
// one with the real GnuPG), real signed ACI files of a few MB, a trust store on disk. No network.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createMessage, PacketList, readSignature, sign, Signature, type SignaturePacket } from "openpgp";
import { JetpackError, type ErrorKind } from "../../machines/errors.js";
import { TrustStore, verifyAciSignature } from "../../workers/images/trust/index.js";
import { minimalManifest, writeAci } from "../support/aci-builder.js";
import { gpgCleanup, gpgMakeKeyAndSign, makeKey, makeRenewedKey, signDetached, type TestKey } from "../support/pgp-keys.js";

let work: string;
let aci: string;
let publisher: TestKey;
let stranger: TestKey;
let storeCount = 0;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "jp-trust-verify-"));
  aci = join(work, "app.aci");
  // Random content does not compress: the gzipped ACI stays about 4 MB.
  await writeAci(aci, {
    manifest: minimalManifest("example.com/app"),
    entries: [{ name: "rootfs", type: "directory" }, { name: "rootfs/blob", content: randomBytes(4 << 20) }],
    compression: "gzip",
  });
  [publisher, stranger] = await Promise.all([
    makeKey({ name: "Example Publisher", email: "images@example.com" }),
    makeKey({ name: "Stranger", email: "someone@example.net" }),
  ]);
});

after(() => rm(work, { recursive: true, force: true }));

function freshStore(): TrustStore {
  return new TrustStore(join(work, `store-${++storeCount}`, "trust"), { warn: (m) => assert.fail(`unexpected warning: ${m}`) });
}

async function rejectsWith(p: Promise<unknown>, kind: ErrorKind, code: string): Promise<JetpackError> {
  let caught: unknown;
  await assert.rejects(p, (err) => {
    caught = err;
    return err instanceof JetpackError && err.kind === kind && err.code === code;
  });
  return caught as JetpackError;
}

describe("verifyAciSignature", () => {
  it("accepts an ACI signed by a key trusted for the image's host", async () => {
    const store = freshStore();
    await store.add(publisher.publicArmored, { prefix: "example.com" });
    const signature = await signDetached(aci, publisher.privateKey);
    const result = await verifyAciSignature({ aciPath: aci, signature, name: "example.com/app", store });
    assert.deepEqual(result, { fingerprint: publisher.fingerprint, userIds: ["Example Publisher <images@example.com>"], prefix: "example.com" });
  });

  it("refuses an ACI changed by one byte after signing, as an invalid signature", async () => {
    const store = freshStore();
    await store.add(publisher.publicArmored, { prefix: "example.com" });
    const signature = await signDetached(aci, publisher.privateKey);
    const bytes = await readFile(aci);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0x01;
    const tampered = join(work, "tampered.aci");
    await writeFile(tampered, bytes);
    const err = await rejectsWith(verifyAciSignature({ aciPath: tampered, signature, name: "example.com/app", store }), "invalid", "JP_ERR_SIGNATURE_INVALID");
    assert.match(err.message, new RegExp(publisher.fingerprint));
  });

  it("refuses a signature by a key that is not trusted, naming the signer's fingerprint", async () => {
    const store = freshStore();
    await store.add(publisher.publicArmored, { prefix: "example.com" });
    const signature = await signDetached(aci, stranger.privateKey);
    const err = await rejectsWith(verifyAciSignature({ aciPath: aci, signature, name: "example.com/app", store }), "permission_denied", "JP_ERR_SIGNATURE_UNTRUSTED");
    assert.match(err.message, new RegExp(stranger.fingerprint));
  });

  it("does not let a key trusted for example.com vouch for example.community/app", async () => {
    const store = freshStore();
    await store.add(publisher.publicArmored, { prefix: "example.com" });
    const signature = await signDetached(aci, publisher.privateKey);
    const none = await rejectsWith(verifyAciSignature({ aciPath: aci, signature, name: "example.community/app", store }), "permission_denied", "JP_ERR_TRUST_NO_KEYS");
    assert.match(none.hint ?? "", /jetpack trust add KEY --prefix example\.community/);
    assert.match(none.hint ?? "", /--insecure-options=image/);

    await store.add(stranger.publicArmored, { prefix: "example.community" });
    const other = await rejectsWith(verifyAciSignature({ aciPath: aci, signature, name: "example.community/app", store }), "permission_denied", "JP_ERR_SIGNATURE_UNTRUSTED");
    assert.match(other.message, /trusted only for example\.com\b/);
  });

  it("accepts any image name when the signer is trusted as a root key", async () => {
    const store = freshStore();
    await store.add(publisher.publicArmored, { root: true });
    const signature = await signDetached(aci, publisher.privateKey);
    for (const name of ["example.com/app", "example.community/app", "other.org/x/y"]) {
      const result = await verifyAciSignature({ aciPath: aci, signature, name, store });
      assert.equal(result.fingerprint, publisher.fingerprint);
      assert.equal(result.prefix, null);
    }
  });

  it("refuses a signature by a key that has expired since it signed", async () => {
    const store = freshStore();
    const shortLived = await makeKey({ name: "Short Lived", email: "short@example.com", expiresInSeconds: 2 });
    const signature = await signDetached(aci, shortLived.privateKey);
    await store.add(shortLived.publicArmored, { prefix: "example.com" });
    assert.equal((await verifyAciSignature({ aciPath: aci, signature, name: "example.com/app", store })).fingerprint, shortLived.fingerprint);
    // Creation times have whole seconds: wait past the expiry with a margin.
    const expires = shortLived.privateKey.getCreationTime().getTime() + 2000;
    await new Promise((r) => setTimeout(r, Math.max(0, expires - Date.now()) + 300));
    const err = await rejectsWith(verifyAciSignature({ aciPath: aci, signature, name: "example.com/app", store }), "permission_denied", "JP_ERR_SIGNATURE_EXPIRED");
    assert.match(err.message, new RegExp(shortLived.fingerprint));
  });

  it("refuses a signature dated while the key was expired, even after the key was renewed", async () => {
    const hour = 3600_000;
    const now = Date.now();
    const renewed = await makeRenewedKey({ name: "Renewed", email: "renewed@example.com", created: new Date(now - 3 * hour), renewedAt: new Date(now - hour / 2) });
    const store = freshStore();
    await store.add(renewed.publicArmored, { prefix: "example.com" });
    const inTheGap = await signDetached(aci, renewed.signer, new Date(now - 1.5 * hour));
    await rejectsWith(verifyAciSignature({ aciPath: aci, signature: inTheGap, name: "example.com/app", store }), "permission_denied", "JP_ERR_SIGNATURE_EXPIRED");
    const afterRenewal = await signDetached(aci, renewed.signer);
    assert.equal((await verifyAciSignature({ aciPath: aci, signature: afterRenewal, name: "example.com/app", store })).fingerprint, renewed.fingerprint);
  });

  it("accepts a key and signature made by the real GnuPG", async () => {
    const home = await mkdtemp(join(tmpdir(), "jp-gnupg-"));
    try {
      const signed = await gpgMakeKeyAndSign(aci, home);
      const store = freshStore();
      const added = await store.add(signed.publicArmored, { prefix: "example.com" }, { fingerprint: signed.fingerprint });
      assert.equal(added.fingerprint, signed.fingerprint);
      const result = await verifyAciSignature({ aciPath: aci, signature: signed.signature, name: "example.com/app", store });
      assert.equal(result.fingerprint, signed.fingerprint);
      assert.deepEqual(result.userIds, ["Jetpack GnuPG Test <gpg-test@example.com>"]);
    } finally {
      await gpgCleanup(home);
    }
  });

  it("stops accepting an image once its signer's key is removed", async () => {
    const store = freshStore();
    await store.add(publisher.publicArmored, { prefix: "example.com" });
    const signature = await signDetached(aci, publisher.privateKey);
    await verifyAciSignature({ aciPath: aci, signature, name: "example.com/app", store });
    assert.equal(await store.remove(publisher.fingerprint), 1);
    await rejectsWith(verifyAciSignature({ aciPath: aci, signature, name: "example.com/app", store }), "permission_denied", "JP_ERR_TRUST_NO_KEYS");
  });

  it("refuses a signature file that is not an armored OpenPGP signature", async () => {
    const store = freshStore();
    await store.add(publisher.publicArmored, { prefix: "example.com" });
    for (const signature of ["", "hello", publisher.publicArmored, (await signDetached(aci, publisher.privateKey)).replace(/\n[A-Za-z0-9+/]{20}/, "\n!!!!")]) {
      await rejectsWith(verifyAciSignature({ aciPath: aci, signature, name: "example.com/app", store }), "invalid", "JP_ERR_SIGNATURE_FORMAT");
    }
  });

  it("refuses a text-mode signature, which would also match the file with its line ends rewritten", async () => {
    const store = freshStore();
    await store.add(publisher.publicArmored, { prefix: "example.com" });
    const textSig = await sign({ message: await createMessage({ text: "manifest\r\n" }), signingKeys: publisher.privateKey, detached: true });
    await rejectsWith(verifyAciSignature({ aciPath: aci, signature: textSig, name: "example.com/app", store }), "invalid", "JP_ERR_SIGNATURE_FORMAT");
  });

  it("refuses a file that only a text-mode packet matches, even beside a binary packet by the same key", async () => {
    const store = freshStore();
    await store.add(publisher.publicArmored, { prefix: "example.com" });
    const signedText = "line one\nline two\n";
    const original = join(work, "lines.aci");
    await writeFile(original, signedText);
    const textSig = await sign({ message: await createMessage({ text: signedText }), signingKeys: publisher.privateKey, detached: true });
    const binarySig = await signDetached(original, publisher.privateKey);
    const packets = new PacketList<SignaturePacket>();
    for (const armored of [textSig, binarySig]) packets.push(...(await readSignature({ armoredSignature: armored })).packets);
    const both = new Signature(packets).armor();
    assert.equal((await verifyAciSignature({ aciPath: original, signature: both, name: "example.com/app", store })).fingerprint, publisher.fingerprint);
    // Same text, other line ends: the text-mode packet still matches, the binary one does not.
    const rewritten = join(work, "lines-crlf.aci");
    await writeFile(rewritten, signedText.replaceAll("\n", "\r\n"));
    await rejectsWith(verifyAciSignature({ aciPath: rewritten, signature: both, name: "example.com/app", store }), "invalid", "JP_ERR_SIGNATURE_INVALID");
  });
});
