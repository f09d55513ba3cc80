// How to read a failed request whose side effects matter. CVAT acts on a request only once its
// whole body arrived, and registers the names of an Upload-Multiple request in one transaction
// (open-bulk-part.ts); a few answers prove the request never reached the view at all:
// authentication and throttling run first, 413 comes from the body-size guard (proxy or
// Django), and 503 from whatever stood in front of the application.
import { isAbortError, toSyncError } from '../../core/errors.js';
import type { SyncError } from '../../core/errors.js';

const REFUSED_BEFORE_VIEW = new Set([401, 403, 413, 429, 503]);

export function refusedBeforeProcessing(e: unknown): boolean {
  if (isAbortError(e)) return false;
  const err = toSyncError(e);
  return err.status !== undefined && REFUSED_BEFORE_VIEW.has(err.status);
}

export function isCancelled(e: unknown): boolean {
  return isAbortError(e) || toSyncError(e).code === 'cancelled';
}

/**
 * The recorded TUS Location cannot be resumed: finished, expired or lost with the server's state
 * (404/410), or a proxy that refuses or rewrites HEAD (405, or an answer without Upload-Offset).
 */
export function isTusResumeLost(err: SyncError): boolean {
  return (
    err.code === 'tus-resume-lost' ||
    err.code === 'tus-head-rejected' ||
    err.status === 404 ||
    err.status === 405 ||
    err.status === 410
  );
}

/** A TUS creation met a file of the same name in the task. */
export function isTusNameTaken(err: SyncError): boolean {
  return err.code === 'tus-name-taken';
}
