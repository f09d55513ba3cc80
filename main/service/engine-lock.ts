// One engine per data folder: two engines on one journal would both upload the same batches.
// The lock is a file created with O_EXCL that names its holder, so that the refusal can say who
// holds it; a lock left by a process that died on this host is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SyncError } from '../core/errors.js';
import { scrubSecrets } from '../core/scrub.js';

export const LOCK_FILE = 'engine.lock';

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  startedAt: number;
}

export interface EngineLock {
  readonly path: string;
  release(): void;
}

export function readLockHolder(dataDir: string): LockHolder | null {
  try {
    const parsed = JSON.parse(
      readFileSync(join(dataDir, LOCK_FILE), 'utf8'),
    ) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return null;
    return {
      pid: parsed.pid,
      host: parsed.host,
      command: typeof parsed.command === 'string' ? parsed.command : '?',
      startedAt: typeof parsed.startedAt === 'number' ? parsed.startedAt : 0,
    };
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function describeHolder(h: LockHolder): string {
  const since = h.startedAt ? ` since ${new Date(h.startedAt).toISOString()}` : '';
  // Today's lock records only the subcommand and harmless switches; one written by an older
  // version may still quote --auth USER:PASS.
  return `process ${h.pid} on ${h.host} ("${scrubSecrets(h.command)}")${since}`;
}

export function acquireEngineLock(dataDir: string, command: string, now: number): EngineLock {
  const path = join(dataDir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), command, startedAt: now };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readLockHolder(dataDir);
      const stale =
        holder === null ? lockIsGarbage(path) : holder.host === me.host && !isAlive(holder.pid);
      if (stale) {
        rmSync(path, { force: true });
        continue;
      }
      throw lockedError(dataDir, path, holder);
    }
    try {
      writeSync(fd, JSON.stringify(me));
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      path,
      release() {
        if (released) return;
        released = true;
        // Only remove the file if it is still ours (a stale-lock takeover may have replaced it).
        const holder = readLockHolder(dataDir);
        if (
          holder &&
          holder.pid === me.pid &&
          holder.host === me.host &&
          holder.startedAt === me.startedAt
        ) {
          rmSync(path, { force: true });
        }
      },
    };
  }
  throw lockedError(dataDir, path, readLockHolder(dataDir));
}

/** An unreadable lock file: written by a process that died between create and write. */
function lockIsGarbage(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').trim() === '';
  } catch {
    return true;
  }
}

function lockedError(dataDir: string, path: string, holder: LockHolder | null): SyncError {
  const who = holder ? describeHolder(holder) : 'another process';
  return new SyncError(`Another CVAT Sync engine is using ${dataDir}: ${who}.`, {
    code: 'engine-locked',
    kind: 'fatal',
    operation: 'lock data folder',
    hint: `Stop that process first, or use another --data-dir. If it is not running any more, delete ${path}.`,
  });
}
