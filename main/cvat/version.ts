// CVAT versions as comparable triples (from GET /api/server/about); the client branches on them
// for older servers.
import type { ServerVersion } from './api.js';

/** Parses "2.73.0", "v2.5.0-dev", "2.16" into a triple; null when there is no leading number. */
export function parseVersion(raw: string): ServerVersion | null {
  const m = /^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(raw);
  if (!m) return null;
  return { raw, major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0) };
}

export function compareVersions(
  a: Pick<ServerVersion, 'major' | 'minor' | 'patch'>,
  b: Pick<ServerVersion, 'major' | 'minor' | 'patch'>,
): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** True when `v` is at least `min` ("2.16", "2.48.0"). */
export function versionAtLeast(v: ServerVersion, min: string): boolean {
  const m = parseVersion(min);
  if (!m) throw new Error(`bad version literal ${min}`);
  return compareVersions(v, m) >= 0;
}

/** The first CVAT release that has each feature the client branches on. */
export const REQUESTS_API_SINCE = '2.16.0';
export const PAT_SINCE = '2.48.0';

/** From 2.55 a TUS PATCH body is streamed; before, Django's 100 MiB in-memory limit applies. */
export const TUS_STREAMED_PATCH_SINCE = '2.55.0';
export const TUS_MEMORY_CHUNK_LIMIT = 100 * 1024 * 1024;

/** The largest TUS chunk `v` accepts, or null when it sets none. */
export function tusChunkLimit(v: ServerVersion): number | null {
  return versionAtLeast(v, TUS_STREAMED_PATCH_SINCE) ? null : TUS_MEMORY_CHUNK_LIMIT;
}

/** 2.39-2.54 answer 500 (an assert) to HEAD/PATCH on a finished or unknown upload, not 404. */
export function tusGoneAnswers500(v: ServerVersion): boolean {
  return versionAtLeast(v, '2.39.0') && !versionAtLeast(v, TUS_STREAMED_PATCH_SINCE);
}
