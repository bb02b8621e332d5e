// The metadata service's HMAC-SHA512 signatures (appc spec §6): a pod signs content with the key the
// runtime holds for it; any pod verifies a signature given the signer's uuid. Pure (crypto only).
import { createHmac, timingSafeEqual } from "node:crypto";

/** Pure. The base64 (standard alphabet, padded) HMAC-SHA512 of `content` under `key`. */
export function signContent(key: Buffer, content: string): string {
  return createHmac("sha512", key).update(content, "utf8").digest("base64");
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Pure. Whether `signature` is the base64 HMAC-SHA512 of `content` under `key`. Only the canonical
 * encoding counts (Node's decoder skips stray characters, so a re-encoding must match), and the bytes are
 * compared in constant time.
 */
export function verifyContent(key: Buffer, content: string, signature: string): boolean {
  if (!BASE64.test(signature)) return false;
  const given = Buffer.from(signature, "base64");
  if (given.toString("base64") !== signature) return false;
  const expected = createHmac("sha512", key).update(content, "utf8").digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
