// appc meta discovery for `jetpack image fetch` and `jetpack trust`: the public face of this folder.
export { renderTemplate, templateVars, imageEndpoints, pubkeyUrls, prefixMatches, type DiscoveryApp } from "./templates.js";
export { parseDiscoveryMeta, type DiscoveryMeta } from "./meta.js";
export { discoveryUrls, discoveryLevels } from "./walk.js";
export { discoverImage, discoverPubkeys, type DiscoveryOptions, type ImageDiscoveryOptions, type DiscoveredImage } from "./discover.js";
export { hostOs, hostArch } from "./platform.js";
