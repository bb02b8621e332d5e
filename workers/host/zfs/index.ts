// The ZFS backend of Storage, for the rest of Jetpack.
export { createZfsStorage, type ZfsStorageOptions } from "./zfs-storage.js";
export { detectZfsFlavor, probeZfsDaemon, isDaemonDown } from "./daemon.js";
export type { ZfsFlavor } from "./args.js";
