// Reading and describing OpenPGP public keys for the trust store. No I/O: parsing and checking only
// (openpgp's API is async, so these are too).
import { readKeys, type Key, type PublicKey } from "openpgp";
import { fail } from "../../../machines/errors.js";

export interface KeyDescription {
  /** 40 lower-case hex digits (64 for a v6 key). */
  fingerprint: string;
  userIds: string[];
  /** ISO 8601. */
  created: string;
  /** ISO 8601, or null when the key never expires. */
  expires: string | null;
}

/**
 * Parses exactly one armored key and returns its public part. A keyring of several keys is refused rather
 * than cut to its first key (the original Jetpack's FIXME): the user must see every key they trust.
 */
export async function parseOneKey(armored: string, what = "the key"): Promise<PublicKey> {
  // openpgp reads the first armored block and silently drops the rest, which would hide keys from the user.
  const blocks = armored.match(/^-----BEGIN PGP /gm)?.length ?? 0;
  if (blocks > 1) {
    throw fail("invalid", "JP_ERR_TRUST_KEY_FORMAT", `${what} holds ${blocks} armored blocks; exactly one key is needed`, {
      hint: "export and add the keys one at a time",
    });
  }
  let keys: Key[];
  try {
    keys = await readKeys({ armoredKeys: armored });
  } catch (err) {
    throw fail("invalid", "JP_ERR_TRUST_KEY_FORMAT", `${what} is not an ASCII-armored OpenPGP public key: ${messageOf(err)}`, {
      hint: "give the key as exported by `gpg --armor --export FINGERPRINT`",
      cause: err,
    });
  }
  const [key, ...rest] = keys;
  if (key === undefined || rest.length > 0) {
    throw fail("invalid", "JP_ERR_TRUST_KEY_FORMAT", `${what} holds ${keys.length} keys; exactly one is needed`, {
      hint: "export and add the keys one at a time",
    });
  }
  return key.toPublic();
}

/** The facts a person needs before trusting a key: fingerprint, identities, creation and expiry. */
export async function keyDescription(key: Key): Promise<KeyDescription> {
  return {
    fingerprint: key.getFingerprint(),
    userIds: key.getUserIDs(),
    created: key.getCreationTime().toISOString(),
    expires: await expiryOf(key),
  };
}

/** Describes an armored key without trusting it (to show an unknown key to the user first). */
export async function describeKey(armored: string): Promise<KeyDescription> {
  return keyDescription(await parseOneKey(armored));
}

/** The key's expiry as ISO 8601, null when it never expires (or openpgp cannot tell, for a broken key). */
export async function expiryOf(key: Key): Promise<string | null> {
  const expires = await key.getExpirationTime();
  return expires instanceof Date ? expires.toISOString() : null;
}

/** Why `key` (or the (sub)key `keyId` of it) cannot sign at `date`, or undefined when it can. */
export async function unusableReason(key: Key, date: Date, keyId?: Parameters<Key["getSigningKey"]>[0]): Promise<{ expired: boolean; reason: string } | undefined> {
  try {
    await key.getSigningKey(keyId, date);
    return undefined;
  } catch (err) {
    const expiredOn = await expiredBefore(key, date, keyId);
    if (expiredOn !== undefined) return { expired: true, reason: `it expired on ${expiredOn.toISOString()}` };
    // openpgp has no error codes; its text is the only sign of expiry judged by an older self-signature
    // (a key renewed since, checked at a date before the renewal).
    return { expired: /expired/i.test(messageOf(err)), reason: messageOf(err) };
  }
}

/** When the primary key, or the subkey `keyId`, expired, if that is at or before `date`. */
export async function expiredBefore(key: Key, date: Date, keyId?: Parameters<Key["getSigningKey"]>[0]): Promise<Date | undefined> {
  const expiries: Array<Date | number | null> = [await key.getExpirationTime()];
  for (const sub of keyId === undefined ? [] : key.getSubkeys(keyId)) expiries.push(await sub.getExpirationTime(date).catch(() => null));
  for (const e of expiries) if (e instanceof Date && e.getTime() <= date.getTime()) return e;
  return undefined;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
