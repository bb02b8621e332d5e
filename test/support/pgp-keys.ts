// OpenPGP keys and detached signatures for tests: made with openpgp in-process, or with the real GnuPG
// (`gpg --batch`) in a throw-away GNUPGHOME, the way a publisher would sign an image.
import { execFileSync } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { createMessage, generateKey, readKey, reformatKey, sign, type PrivateKey } from "openpgp";

export interface TestKey {
  privateKey: PrivateKey;
  /** The armored public key, as a publisher hands it out. */
  publicArmored: string;
  /** 40 lower-case hex digits. */
  fingerprint: string;
}

export interface MakeKeyOptions {
  name: string;
  email: string;
  /** Seconds from the key's creation until it expires; never by default. */
  expiresInSeconds?: number;
  /** The key's creation time (in the past, to make a key that has already expired). */
  created?: Date;
}

/** A fresh Ed25519 signing key (with an encryption subkey, as openpgp makes them), no passphrase. */
export async function makeKey(opts: MakeKeyOptions): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKey({
    type: "ecc",
    curve: "curve25519Legacy",
    userIDs: [{ name: opts.name, email: opts.email }],
    keyExpirationTime: opts.expiresInSeconds ?? 0,
    format: "object",
    ...(opts.created === undefined ? {} : { date: opts.created }),
  });
  return { privateKey, publicArmored: publicKey.armor(), fingerprint: privateKey.getFingerprint() };
}

/** An armored detached signature of `file`'s bytes by `privateKey`, made at `date` (now by default). */
export async function signDetached(file: string, privateKey: PrivateKey, date?: Date): Promise<string> {
  const message = await createMessage({ binary: new Uint8Array(await readFile(file)) });
  return sign({ message, signingKeys: privateKey, detached: true, format: "armored", ...(date === undefined ? {} : { date }) });
}

/**
 * A key that expired and was renewed later: created at `created` with a one-hour expiry, then given a new
 * self-signature without expiry at `renewedAt`. `publicArmored` holds both self-signatures, as a key
 * server would after the renewal; `signer` is the same key material without expiry, to sign at any date
 * (openpgp refuses to sign with a key that is expired at the signing date).
 */
export async function makeRenewedKey(opts: { name: string; email: string; created: Date; renewedAt: Date }): Promise<TestKey & { signer: PrivateKey }> {
  const userIDs = [{ name: opts.name, email: opts.email }];
  const { privateKey: signer } = await generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs, date: opts.created, format: "object" });
  const first = await reformatKey({ privateKey: signer, userIDs, date: opts.created, keyExpirationTime: 3600, format: "object" });
  const renewed = await reformatKey({ privateKey: signer, userIDs, date: opts.renewedAt, format: "object" });
  const merged = await first.publicKey.update(renewed.publicKey);
  return { privateKey: renewed.privateKey, signer, publicArmored: merged.armor(), fingerprint: merged.getFingerprint() };
}

export interface GpgSigned {
  publicArmored: string;
  signature: string;
  fingerprint: string;
}

/**
 * Generates a key with `gpg --batch --quick-gen-key` (GnuPG's default algorithm, no passphrase) in
 * `homedir` (an existing 0700 directory), exports its public key and signs `file` with
 * `gpg --armor --detach-sign`. Call gpgCleanup(homedir) afterwards: gpg starts an agent.
 */
export async function gpgMakeKeyAndSign(file: string, homedir: string, uid = "Jetpack GnuPG Test <gpg-test@example.com>"): Promise<GpgSigned> {
  const gpg = (args: string[]) =>
    execFileSync("gpg", ["--homedir", homedir, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "", ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  gpg(["--quick-gen-key", uid, "default", "default", "never"]);
  const fpr = gpg(["--with-colons", "--list-secret-keys", uid])
    .split("\n")
    .find((l) => l.startsWith("fpr:"))
    ?.split(":")[9];
  if (fpr === undefined) throw new Error(`gpg made no key for ${uid} in ${homedir}`);
  const publicArmored = gpg(["--armor", "--export", fpr]);
  const sigPath = `${homedir}/signature.asc`;
  gpg(["--yes", "--local-user", fpr, "--armor", "--detach-sign", "--output", sigPath, file]);
  return { publicArmored, signature: await readFile(sigPath, "utf8"), fingerprint: fpr.toLowerCase() };
}

/** Stops the gpg-agent (and any other daemon) gpg started for `homedir`, then removes the directory. */
export async function gpgCleanup(homedir: string): Promise<void> {
  try {
    execFileSync("gpgconf", ["--homedir", homedir, "--kill", "all"], { stdio: "ignore" });
  } finally {
    await rm(homedir, { recursive: true, force: true });
  }
}

/** The fingerprint of an armored key (to check a helper's output against openpgp's reading of it). */
export async function fingerprintOf(armored: string): Promise<string> {
  return (await readKey({ armoredKey: armored })).getFingerprint();
}
