import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, acquireEngineLock, readLockHolder } from '../../../main/service/engine-lock.js';
import { SyncError } from '../../../main/core/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cvat-sync-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('engine lock', () => {
  it('records the holder and refuses a second engine, naming the holder', () => {
    const lock = acquireEngineLock(dir, 'cvat-sync watch /data', 1_700_000_000_000);
    expect(readLockHolder(dir)).toEqual({
      pid: process.pid,
      host: hostname(),
      command: 'cvat-sync watch /data',
      startedAt: 1_700_000_000_000,
    });
    let err: unknown;
    try {
      acquireEngineLock(dir, 'cvat-sync daemon', 1_700_000_000_001);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SyncError);
    expect((err as SyncError).code).toBe('engine-locked');
    expect((err as SyncError).message).toBe(
      `Another CVAT Sync engine is using ${dir}: process ${process.pid} on ${hostname()} ("cvat-sync watch /data") since 2023-11-14T22:13:20.000Z.`,
    );
    expect((err as SyncError).hint).toContain(join(dir, LOCK_FILE));
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    acquireEngineLock(dir, 'again', 1).release();
  });

  it('takes over a lock whose process died on this host, and an empty lock file', () => {
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: deadPid(), host: hostname(), command: 'old', startedAt: 1 }),
    );
    const lock = acquireEngineLock(dir, 'new', 2);
    expect(readLockHolder(dir)?.command).toBe('new');
    lock.release();
    writeFileSync(join(dir, LOCK_FILE), '');
    acquireEngineLock(dir, 'newer', 3).release();
  });

  it('never takes over a lock held on another host', () => {
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({
        pid: deadPid(),
        host: 'nas-box',
        command: 'cvat-sync daemon',
        startedAt: 1,
      }),
    );
    expect(() => acquireEngineLock(dir, 'new', 2)).toThrow(
      /process \d+ on nas-box \("cvat-sync daemon"\)/,
    );
  });

  it('never quotes a password from a lock written by an older version', () => {
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({
        pid: process.pid,
        host: hostname(),
        command:
          'cvat-sync watch /data --auth alice:hunter2-long --server http://bob:pw2@cvat.local',
        startedAt: 1,
      }),
    );
    let message = '';
    try {
      acquireEngineLock(dir, 'new', 2);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(
      '("cvat-sync watch /data --auth [redacted] --server http://[redacted]@cvat.local")',
    );
    expect(message).not.toContain('hunter2-long');
    expect(message).not.toContain('pw2');
  });

  it('release does not remove a lock that another engine took over', () => {
    const lock = acquireEngineLock(dir, 'first', 1);
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: process.pid + 1, host: hostname(), command: 'other', startedAt: 5 }),
    );
    lock.release();
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({
      command: 'other',
    });
  });
});
