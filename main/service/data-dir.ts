// The data folder holds the journal, the profile and the logs: owner-only (0700). The app makes it
// so when it creates the folder; a folder that already exists (--data-dir, CVAT_SYNC_HOME, made
// by hand under umask 022) is tightened at every start, or, when it belongs to someone else and
// cannot be, reported.
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import type { Logger } from '../core/logger.js';

export function prepareDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/** Returns a warning when the folder stays readable by others, null when it is owner-only. */
export function secureDataDir(dataDir: string, logger: Logger): string | null {
  if (process.platform === 'win32') return null; // ACLs, not mode bits; the profile folder is private
  const st = statSync(dataDir);
  if ((st.mode & 0o077) === 0) return null;
  const uid = typeof process.getuid === 'function' ? process.getuid() : st.uid;
  let warning: string;
  if (st.uid === uid) {
    try {
      chmodSync(dataDir, 0o700);
      return null;
    } catch (e) {
      warning = `Cannot make the data folder ${dataDir} owner-only: ${(e as Error).message}.`;
    }
  } else {
    warning = `The data folder ${dataDir} belongs to another user (uid ${st.uid}) and is readable by others (mode ${(st.mode & 0o777).toString(8)}).`;
  }
  logger.warn(warning, { hint: 'Use a folder of your own (--data-dir), or chmod 700 it.' });
  return warning;
}
