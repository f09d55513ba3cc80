// The pieces behind CLI parity: setting values as typed on the command line, and daemon.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  daemonFilePath,
  readDaemonFile,
  removeDaemonFile,
  writeDaemonFile,
} from '../../../main/cli/daemon-file.js';
import {
  SETTINGS_HELP,
  formatBandwidth,
  parseBandwidth,
  parseSetting,
} from '../../../main/cli/setting-values.js';
import { isSyncError } from '../../../main/core/errors.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cvat-sync-parity-unit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isSyncError(e) && e.code).toBe('usage');
    return (e as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('bandwidth values', () => {
  it('reads 1000-based and 1024-based units, bytes and off', () => {
    expect(parseBandwidth('1M')).toBe(1_000_000);
    expect(parseBandwidth('500k')).toBe(500_000);
    expect(parseBandwidth('1.5M')).toBe(1_500_000);
    expect(parseBandwidth('8Mi')).toBe(8 * 1024 * 1024);
    expect(parseBandwidth('512KiB/s')).toBe(512 * 1024);
    expect(parseBandwidth('2G')).toBe(2e9);
    expect(parseBandwidth('12345')).toBe(12345);
    expect(parseBandwidth('off')).toBeNull();
    expect(parseBandwidth('0')).toBeNull();
  });

  it('refuses anything else with one line', () => {
    for (const bad of ['fast', '-1M', '5X', '', '0.0001k', '1e3']) {
      expect(usageMessage(() => parseBandwidth(bad))).toMatch(/^bandwidth must be .*; not "/);
    }
  });

  it('prints values the parser reads back exactly', () => {
    for (const n of [1_000_000, 500_000, 8 * 1024 * 1024, 1536, 12345, 2e9]) {
      expect(parseBandwidth(formatBandwidth(n))).toBe(n);
    }
    expect(formatBandwidth(1_000_000)).toBe('1M');
    expect(formatBandwidth(8 * 1024 * 1024)).toBe('8Mi');
    expect(formatBandwidth(null)).toBe('off');
  });
});

describe('settings set values', () => {
  it('maps each key to its contract field', () => {
    expect(parseSetting('concurrency', '4')).toEqual({ concurrency: 4 });
    expect(parseSetting('bandwidth', '5M')).toEqual({ bandwidthLimitBps: 5_000_000 });
    expect(parseSetting('bandwidth', 'off')).toEqual({ bandwidthLimitBps: null });
    expect(parseSetting('chunk-size', '50')).toEqual({ chunkSizeMiB: 50 });
    // The help names the cap older servers impose.
    expect(SETTINGS_HELP.replace(/\s+/g, ' ')).toContain(
      'chunk-size upload chunk size in MiB, 1-1024 (CVAT before 2.55 refuses chunks over 100 MiB: for those servers chunks are capped at 100)',
    );
    expect(parseSetting('downloads-dir', dir)).toEqual({ downloadsDir: dir });
    expect(parseSetting('notifications', 'off')).toEqual({ notifications: false });
    expect(parseSetting('start-at-login', 'yes')).toEqual({ startAtLogin: true });
    expect(parseSetting('theme', 'dark')).toEqual({ theme: 'dark' });
  });

  it('checks ranges, names and folders as the contract does', () => {
    expect(usageMessage(() => parseSetting('concurrency', '0'))).toBe(
      'concurrency must be a whole number from 1 to 32, not "0".',
    );
    expect(usageMessage(() => parseSetting('concurrency', '33'))).toMatch(/1 to 32/);
    expect(usageMessage(() => parseSetting('chunk-size', '2.5'))).toMatch(/1 to 1024/);
    expect(usageMessage(() => parseSetting('notifications', 'maybe'))).toMatch(/on or off/);
    expect(usageMessage(() => parseSetting('theme', 'blue'))).toMatch(/system, light or dark/);
    expect(usageMessage(() => parseSetting('colour', 'x'))).toBe('Unknown setting "colour".');
    expect(() => parseSetting('downloads-dir', join(dir, 'missing'))).toThrow(/does not exist/);
  });
});

describe('daemon.json', () => {
  it('is written owner-only, read back while its process lives, and removed only by its daemon', () => {
    const data = mkdtempSync(join(dir, 'live-'));
    writeDaemonFile(data, { port: 4567, token: 'tok' });
    expect(statSync(daemonFilePath(data)).mode & 0o777).toBe(0o600);
    expect(readDaemonFile(data)).toEqual({
      port: 4567,
      token: 'tok',
      pid: process.pid,
      host: hostname(),
    });
    removeDaemonFile(data, 'another-daemons-token');
    expect(readDaemonFile(data)).not.toBeNull();
    removeDaemonFile(data, 'tok');
    expect(readDaemonFile(data)).toBeNull();
  });

  it('is ignored when its process is dead, from another host, or garbage', () => {
    const data = mkdtempSync(join(dir, 'stale-'));
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const write = (v: unknown) => writeFileSync(daemonFilePath(data), JSON.stringify(v));
    write({ port: 4567, token: 't', pid: dead, host: hostname() });
    expect(readDaemonFile(data)).toBeNull();
    write({ port: 4567, token: 't', pid: process.pid, host: `${hostname()}-other` });
    expect(readDaemonFile(data)).toBeNull();
    write({ port: 'x', token: 't', pid: process.pid, host: hostname() });
    expect(readDaemonFile(data)).toBeNull();
    writeFileSync(daemonFilePath(data), '{');
    expect(readDaemonFile(data)).toBeNull();
    write({ port: 4567, token: 't', pid: process.pid, host: hostname() });
    expect(readDaemonFile(data)?.port).toBe(4567);
  });
});
