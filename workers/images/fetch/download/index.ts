// The resumable download used by `jetpack image fetch`.
export { download, MAX_REDIRECTS, type DownloadOptions, type DownloadResult } from "./download.js";
export { retryDownload, backoffDelay, type RetryOptions } from "./retry.js";
export type { DownloadProgress } from "./receive.js";
export { partialPaths } from "./partial-files.js";
