// The service's log: JSON lines in <dataDir>/logs, the message and fields passed through core's
// scrubbing (by key and by shape) so that no credential is ever written. One rotation step keeps
// the folder bounded. The folder and its files are owner-only whatever the umask or who made them.
import { appendFileSync, chmodSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { LogLevel, Logger } from '../core/logger.js';
import { redact } from '../core/logger.js';
import { scrubSecrets } from '../core/scrub.js';

export const LOG_FILE = 'cvat-sync.log';
const MAX_BYTES = 5 * 1024 * 1024;

export function createFileLogger(
  logsDir: string,
  clock: Clock,
  also?: Logger,
  minLevel: LogLevel = 'info',
): Logger {
  mkdirSync(logsDir, { recursive: true, mode: 0o700 });
  const path = join(logsDir, LOG_FILE);
  ownerOnly(logsDir, 0o700);
  ownerOnly(path, 0o600);
  ownerOnly(`${path}.1`, 0o600);
  let written = 0;
  try {
    written = statSync(path).size;
  } catch {
    written = 0;
  }
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  const write = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    also?.[level](message, fields);
    if (order.indexOf(level) < order.indexOf(minLevel)) return;
    const line = `${JSON.stringify({ at: new Date(clock.now()).toISOString(), level, message: scrubSecrets(message), ...(fields ? redact(fields) : {}) })}\n`;
    try {
      if (written + line.length > MAX_BYTES) {
        renameSync(path, `${path}.1`);
        written = 0;
      }
      const created = written === 0;
      appendFileSync(path, line, { mode: 0o600 });
      // A new file gets 0600 & ~umask; make it exactly owner-only.
      if (created) ownerOnly(path, 0o600);
      written += line.length;
    } catch {
      // A full or read-only disk must not stop the engine; the activity log still records events.
    }
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

/** chmod when the path exists (a folder or log made by an older version, or under another umask). */
function ownerOnly(path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch {
    // missing (not written yet) or not ours: nothing to tighten
  }
}
