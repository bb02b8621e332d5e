// Checking an image's detached signature (`<file>.aci.asc`) against the keys trusted for its name.
//
// The signature covers the ACI file's bytes as downloaded (compressed). The file is streamed through
// openpgp (node:crypto hashes each chunk), so a large image is never held in memory.
//
// Checks run cheapest first, and each failure has its own code: the signature must parse (FORMAT), some
// key must be trusted for the name (NO_KEYS), the signer must be one of them (UNTRUSTED), the signer's key
// must be valid now, which is stricter than openpgp's default of judging the key only at the signature's
// own (signer-chosen) date (EXPIRED, KEY_UNUSABLE); only then is the file read and the signature checked
// (INVALID, or EXPIRED when openpgp finds the key had expired when it signed).
import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { createMessage, enums, PacketList, readSignature, Signature, verify, type SignaturePacket } from "openpgp";
import { acIdentifierError } from "../../../machines/appc/index.js";
import { fail } from "../../../machines/errors.js";
import { expiredBefore, messageOf, unusableReason } from "./keys.js";
import { nameHost } from "./prefix.js";
import type { TrustEntry, TrustStore } from "./store.js";

export interface VerifyAciOptions {
  /** The ACI file exactly as downloaded. */
  aciPath: string;
  /** The armored detached signature (the `.aci.asc` file's text). */
  signature: string;
  /** The image name the keys are looked up for (the name the user asked for). */
  name: string;
  store: TrustStore;
  /** The time to judge expiry at; now by default. */
  now?: Date;
}

export interface VerifiedSignature {
  fingerprint: string;
  userIds: string[];
  /** The trust scope that let the key sign this name: a prefix, or null for a root key. */
  prefix: string | null;
}

const READ_CHUNK = 1 << 20;

/** Checks that a key trusted for `name` signed the bytes of `aciPath`; throws a JetpackError otherwise. */
export async function verifyAciSignature(opts: VerifyAciOptions): Promise<VerifiedSignature> {
  const now = opts.now ?? new Date();
  const nameError = acIdentifierError(opts.name);
  if (nameError !== undefined) throw fail("invalid", "JP_ERR_TRUST_NAME", `"${opts.name}" is not an image name: ${nameError}`);
  const signature = await parseSignature(opts.signature, opts.aciPath);
  const packets = dataSignatures(signature, opts.aciPath);

  const trusted = await opts.store.entriesFor(opts.name);
  if (trusted.length === 0) throw noKeys(opts.name);
  const signed = packets.flatMap((packet) => {
    const entry = trusted.find((e) => isIssuer(e, packet));
    return entry === undefined ? [] : [{ packet, entry }];
  });
  if (signed.length === 0) throw await untrusted(packets, opts);

  const usable: typeof signed = [];
  let refusal: Error | undefined;
  for (const s of signed) {
    const problem = await unusableReason(s.entry.key, now, s.packet.issuerKeyID);
    if (problem === undefined) usable.push(s);
    else refusal ??= keyRefused(s.entry, problem, opts.name);
  }
  if (usable.length === 0) throw refusal ?? new Error("unreachable: a signer was found but none was judged");

  // Only the packets chosen above go to openpgp, so no other packet (a text-mode one by the same key) can
  // stand in for them; openpgp answers in packet order.
  const errors = await checkOverFile(opts.aciPath, usable.map((s) => s.packet), usable.map((s) => s.entry), now);
  let firstError: Error | undefined;
  for (const [i, s] of usable.entries()) {
    const error = errors[i];
    if (error === null) return { fingerprint: s.entry.info.fingerprint, userIds: s.entry.info.userIds, prefix: s.entry.info.prefix };
    firstError ??= await badSignature(s.entry, s.packet, error ?? new Error("openpgp checked no signature"), opts, now);
  }
  throw firstError ?? new Error("unreachable: no signature was checked");
}

async function parseSignature(armored: string, aciPath: string): Promise<Signature> {
  try {
    return await readSignature({ armoredSignature: armored });
  } catch (err) {
    throw fail("invalid", "JP_ERR_SIGNATURE_FORMAT", `the signature of ${aciPath} is not an ASCII-armored OpenPGP signature: ${messageOf(err)}`, {
      hint: "the .aci.asc file must be made with `gpg --armor --detach-sign FILE.aci`",
      cause: err,
    });
  }
}

/**
 * The signature packets over binary data. Text-mode signatures are refused: they hash the data with line
 * ends rewritten, so bytes other than the file's could match them.
 */
function dataSignatures(signature: Signature, aciPath: string): SignaturePacket[] {
  const packets = [...signature.packets.filterByTag(enums.packet.signature)]; // drops packets openpgp could not parse
  const binary = packets.filter((p) => p.signatureType === enums.signature.binary);
  if (binary.length > 0) return binary;
  const text = packets.some((p) => p.signatureType === enums.signature.text);
  throw fail("invalid", "JP_ERR_SIGNATURE_FORMAT", `the signature of ${aciPath} ${text ? "is a text-mode signature" : "holds no signature over data"}; an image needs a binary detached signature`, {
    hint: "sign the image with `gpg --armor --detach-sign FILE.aci` (without --textmode)",
  });
}

/**
 * Streams the file through openpgp and checks each of `packets` with `entries`' keys; gives, per packet in
 * order, null when it verified or what went wrong.
 */
async function checkOverFile(aciPath: string, packets: SignaturePacket[], entries: TrustEntry[], now: Date): Promise<unknown[]> {
  const list = new PacketList<SignaturePacket>();
  list.push(...packets);
  const fh = await openAci(aciPath);
  try {
    const stream = Readable.toWeb(fh.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false })) as NodeReadableStream<Uint8Array>;
    const message = await createMessage({ binary: stream });
    const result = await verify({ message, signature: new Signature(list), verificationKeys: entries.map((e) => e.key), date: now, format: "binary" });
    try {
      // The hashes are computed as the data flows; reading it to the end is what drives them.
      const reader = result.data.getReader();
      while (!(await reader.read()).done);
    } catch (err) {
      throw fail("internal", "JP_ERR_SIGNATURE_READ", `cannot read ${aciPath} to check its signature: ${messageOf(err)}`, { cause: err });
    }
    return Promise.all(result.signatures.map((s) => s.verified.then(() => null, (err: unknown) => err)));
  } finally {
    await fh.close();
  }
}

async function openAci(aciPath: string): Promise<FileHandle> {
  try {
    return await open(aciPath, "r");
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    throw fail(missing ? "not_found" : "internal", "JP_ERR_SIGNATURE_READ", `cannot read ${aciPath} to check its signature: ${messageOf(err)}`, { cause: err });
  }
}

function noKeys(name: string) {
  const host = nameHost(name);
  return fail("permission_denied", "JP_ERR_TRUST_NO_KEYS", `no key is trusted to sign images named ${name}`, {
    hint: `trust the publisher's key with \`jetpack trust add KEY --prefix ${host}\`, or skip the check for this image with --insecure-options=image`,
  });
}

async function untrusted(packets: SignaturePacket[], opts: VerifyAciOptions) {
  const signers = packets.map(signerId);
  // Say so when the signer is trusted, just not for this name: the likeliest mistake is a prefix too narrow.
  const elsewhere = new Set<string>();
  for (const e of await opts.store.entries()) {
    if (packets.some((p) => isIssuer(e, p))) elsewhere.add(e.info.prefix ?? "(root)");
  }
  const note = elsewhere.size > 0 ? ` (it is trusted only for ${[...elsewhere].join(", ")})` : "";
  return fail("permission_denied", "JP_ERR_SIGNATURE_UNTRUSTED", `${opts.name} is signed by key ${signers.join(", ")}, which is not trusted for ${opts.name}${note}`, {
    hint: `if you trust that signer for this name, check its fingerprint and run \`jetpack trust add KEY --prefix ${nameHost(opts.name)}\``,
    details: { signers },
  });
}

function keyRefused(entry: TrustEntry, problem: { expired: boolean; reason: string }, name: string) {
  const fpr = entry.info.fingerprint;
  if (problem.expired) {
    return fail("permission_denied", "JP_ERR_SIGNATURE_EXPIRED", `${name} is signed by key ${fpr}, which cannot be used: ${problem.reason}`, {
      hint: "ask the publisher for their renewed key and add it again with `jetpack trust add`",
      details: { fingerprint: fpr },
    });
  }
  return fail("permission_denied", "JP_ERR_SIGNATURE_KEY_UNUSABLE", `${name} is signed by key ${fpr}, which cannot be used: ${problem.reason}`, {
    hint: "the key may have been revoked: do not use this image until its publisher re-signs it",
    details: { fingerprint: fpr },
  });
}

async function badSignature(entry: TrustEntry, packet: SignaturePacket, error: unknown, opts: VerifyAciOptions, now: Date) {
  const fpr = entry.info.fingerprint;
  const reason = messageOf(error);
  const signedAt = packet.created ?? now;
  const expired = packet.isExpired(now) || (await expiredBefore(entry.key, signedAt, packet.issuerKeyID)) !== undefined || /expired/i.test(reason);
  if (expired) {
    return fail("permission_denied", "JP_ERR_SIGNATURE_EXPIRED", `the signature of ${opts.aciPath} by key ${fpr} is not valid: ${reason}`, {
      hint: "a signature made with an expired key proves nothing: ask the publisher to re-sign the image",
      details: { fingerprint: fpr },
      cause: error,
    });
  }
  return fail("invalid", "JP_ERR_SIGNATURE_INVALID", `the signature of ${opts.aciPath} by key ${fpr} does not match the file: ${reason}`, {
    hint: "the file is not what its publisher signed (damaged or tampered with): download it again, and do not use it if this persists",
    details: { fingerprint: fpr },
    cause: error,
  });
}

/** True when the entry's key (or a subkey) made `packet`: by key id, and by fingerprint when the packet names one. */
function isIssuer(entry: TrustEntry, packet: SignaturePacket): boolean {
  const fpr = packet.issuerFingerprint === null ? undefined : Buffer.from(packet.issuerFingerprint).toString("hex");
  return entry.key.getKeys(packet.issuerKeyID).some((k) => fpr === undefined || k.getFingerprint() === fpr);
}

function signerId(packet: SignaturePacket): string {
  if (packet.issuerFingerprint !== null) return Buffer.from(packet.issuerFingerprint).toString("hex");
  return `id ${packet.issuerKeyID.toHex()}`;
}
