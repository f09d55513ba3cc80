// The service's log file: secrets scrubbed by key and by shape, and owner-only whatever the umask
// or whoever made the folder.
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_FILE, createFileLogger } from '../../../main/service/file-logger.js';
import { systemClock } from '../../../main/service/system-clock.js';

const TOKEN = 'd11292a97aaeabd0e1a70a68a3a3bae7e8f83142cbc805b4';
const clock = systemClock;

let dir: string;
let umask: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cvat-sync-log-'));
  umask = process.umask(0o022);
});
afterEach(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

describe('file logger', () => {
  it('scrubs header-shaped secrets in the message, in strings and in arrays', () => {
    const log = createFileLogger(join(dir, 'logs'), clock);
    log.warn(`GET http://alice:hunter2-long@cvat.local/api failed`, {
      excerpt: `echo: Authorization: Token ${TOKEN}`,
      attempts: [`Bearer ${TOKEN}`, { url: `/events?token=${TOKEN}` }],
      cookies: `sessionid=${TOKEN}; csrftoken=${TOKEN}`,
      command: 'cvat-sync watch --auth alice:hunter2-long',
      token: TOKEN,
    });
    const text = readFileSync(join(dir, 'logs', LOG_FILE), 'utf8');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('hunter2-long');
    const line = JSON.parse(text) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'warn',
      message: 'GET http://[redacted]@cvat.local/api failed',
      excerpt: 'echo: Authorization: [redacted]',
      attempts: ['Bearer [redacted]', { url: '/events?token=[redacted]' }],
      token: '[redacted]',
    });
  });

  it('makes an existing 0755 logs folder and 0644 log owner-only (umask 022)', () => {
    const logs = join(dir, 'logs');
    mkdirSync(logs, { mode: 0o755 });
    chmodSync(logs, 0o755);
    writeFileSync(join(logs, LOG_FILE), '', { mode: 0o644 });
    writeFileSync(join(logs, `${LOG_FILE}.1`), '', { mode: 0o644 });
    createFileLogger(logs, clock).info('started');
    expect(statSync(logs).mode & 0o777).toBe(0o700);
    expect(statSync(join(logs, LOG_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(logs, `${LOG_FILE}.1`)).mode & 0o777).toBe(0o600);
  });

  it('creates the folder 0700 and the log 0600 under umask 000', () => {
    process.umask(0o000);
    const logs = join(dir, 'fresh', 'logs');
    createFileLogger(logs, clock).info('started');
    expect(statSync(logs).mode & 0o777).toBe(0o700);
    expect(statSync(join(logs, LOG_FILE)).mode & 0o777).toBe(0o600);
  });
});
