// The CVAT client layer as the engine and the service use it.
export type * from './api.js';
export { CvatClient, DEFAULT_READ_RETRY, DEFAULT_TIMEOUT_MS } from './client.js';
export type { CvatClientOptions, PollOptions } from './client.js';
export { CVAT_TUS_RETRY_DELAYS } from './tus.js';
export { compareVersions, parseVersion, versionAtLeast } from './version.js';
