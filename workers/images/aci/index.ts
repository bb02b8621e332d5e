// The ACI codec: reading, checking and extracting App Container Images, and laying out rendered trees.
export { detectCompression, type Compression } from "./detect.js";
export { readAciManifest, type AciManifest } from "./manifest-pass.js";
export { extractAci, type ExtractAciOptions, type ExtractAciResult } from "./extract.js";
export { applyPathWhitelist, planWhitelist, normalizeWhitelistEntry, type WhitelistPlan } from "./whitelist.js";
export { overlayTree } from "./overlay.js";
export { DEFAULT_LIMITS, type AciLimits } from "./limits.js";
export { ACI_ERR } from "./aci-errors.js";
