import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  REDACTED,
  redactValue,
  scrubText,
  writeDebugArchive,
} from '../../../main/service/debug-archive.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cvat-sync-debug-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = 'd11292a97aaeabd0e1a70a68a3a3bae7e8f83142cbc805b4';

describe('debug archive', () => {
  it('removes secrets by key, by value and by header shape, in documents and logs', () => {
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    writeFileSync(
      join(logs, 'cvat-sync.log'),
      `{"message":"GET /api/tasks","authorization":"Bearer ${TOKEN}"}\nretry with Token 0123456789abcdef0123\nused ${TOKEN} again\n`,
    );
    const path = writeDebugArchive({
      outDir: join(dir, 'out'),
      now: 1_700_000_000_000,
      secrets: [TOKEN],
      logsDir: logs,
      documents: {
        'settings.json': {
          concurrency: 3,
          proxyPassword: 'hunter2-long',
          nested: { apiKey: 'k', note: `token is ${TOKEN}` },
        },
        'activity.json': [{ message: 'Signed in', hint: null }],
      },
    });
    expect(path).toBe(join(dir, 'out', 'cvat-sync-debug-2023-11-14T22-13-20-000Z.zip'));
    const bytes = readFileSync(path);
    expect(bytes.includes(Buffer.from(TOKEN))).toBe(false);
    const files = unzipSync(new Uint8Array(bytes));
    expect(
      Object.keys(files)
        .filter((k) => !k.endsWith('/'))
        .sort(),
    ).toEqual(['activity.json', 'logs/cvat-sync.log', 'settings.json']);
    const all = Object.values(files)
      .map((f) => strFromU8(f))
      .join('\n');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('hunter2-long');
    expect(all).not.toContain('0123456789abcdef0123');
    const settings = JSON.parse(strFromU8(files['settings.json'] as Uint8Array)) as Record<
      string,
      unknown
    >;
    expect(settings).toEqual({
      concurrency: 3,
      proxyPassword: REDACTED,
      nested: { apiKey: REDACTED, note: `token is ${REDACTED}` },
    });
  });

  it('leaves ordinary text alone', () => {
    expect(scrubText('Token bucket refilled', [])).toBe('Token bucket refilled');
    expect(redactValue({ tokens: null, message: 'ok' }, ['abc'])).toEqual({
      tokens: null,
      message: 'ok',
    });
  });
});
