// OpenPGP fingerprints as the trust store writes them: lower-case hex, 40 digits for v4 keys (64 for v6
// keys). Pure.

const FINGERPRINT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Pure. True when `s` is a fingerprint in the store's canonical form (usable as a file name). */
export function isCanonicalFingerprint(s: string): boolean {
  return FINGERPRINT.test(s);
}

/**
 * Pure. A fingerprint as users paste it (`0x` prefix, upper case, spaces or colons between groups, as gpg
 * prints it) in canonical form, or undefined when it is not a full fingerprint. Short key ids are refused:
 * 64-bit ids can be forged, so they cannot pin a key.
 */
export function normalizeFingerprint(s: string): string | undefined {
  const hex = s.trim().replace(/^0x/i, "").replace(/[\s:]/g, "").toLowerCase();
  return isCanonicalFingerprint(hex) ? hex : undefined;
}

/** Pure. A fingerprint in groups of four, the way gpg shows it to a person comparing it by eye. */
export function groupFingerprint(fingerprint: string): string {
  return (fingerprint.toUpperCase().match(/.{1,4}/g) ?? []).join(" ");
}
