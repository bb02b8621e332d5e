// Image signatures and the trust store: which keys may sign which image names, and the check itself.
export { prefixMatches, prefixError, nameHost } from "./prefix.js";
export { normalizeFingerprint, groupFingerprint } from "./fingerprint.js";
export { describeKey, type KeyDescription } from "./keys.js";
export { TrustStore, type TrustScope, type TrustedKey, type TrustEntry, type TrustStoreOptions } from "./store.js";
export { verifyAciSignature, type VerifyAciOptions, type VerifiedSignature } from "./verify.js";
