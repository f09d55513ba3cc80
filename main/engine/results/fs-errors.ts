// Local disk failures become item errors that say what to do: a full disk or a folder we may
// not write to is the user's to fix, not something to retry blindly.
import { SyncError } from '../../core/errors.js';
import { errorCode } from '../../fs/file-system.js';

const DISK_FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const NO_PERMISSION = new Set(['EACCES', 'EPERM', 'EROFS']);

/** Maps a filesystem error to a SyncError naming the path; other errors pass through unchanged. */
export function fsError(e: unknown, operation: string, path: string): unknown {
  const code = errorCode(e);
  if (code === undefined || e instanceof SyncError) return e;
  if (DISK_FULL.has(code)) {
    return new SyncError(`The disk is full: cannot write ${path} (${code})`, {
      code: 'disk-full',
      kind: 'item',
      operation,
      hint: 'Free some space on that disk (or choose another destination folder), then retry: the download continues where it stopped.',
      cause: e,
    });
  }
  if (NO_PERMISSION.has(code)) {
    return new SyncError(`Permission denied: cannot write ${path} (${code})`, {
      code: 'permission',
      kind: 'item',
      operation,
      hint:
        code === 'EROFS'
          ? 'That disk is read-only: choose another destination folder.'
          : 'Choose a destination folder you can write to, or fix its permissions, then retry.',
      cause: e,
    });
  }
  return new SyncError(`${operation}: ${path}: ${(e as Error).message}`, {
    code: 'io',
    kind: 'item',
    operation,
    cause: e,
  });
}
