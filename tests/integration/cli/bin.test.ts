// bin/cvat-sync.js: runs the compiled CLI, or says how to build it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './run-cli.js';

const BIN = join(REPO, 'bin', 'cvat-sync.js');
const built = existsSync(join(REPO, 'dist', 'main', 'cli', 'main.js'));

describe('bin/cvat-sync.js', () => {
  it('tells the user to build when dist is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cvat-sync-bin-'));
    try {
      mkdirSync(join(dir, 'bin'));
      copyFileSync(BIN, join(dir, 'bin', 'cvat-sync.js'));
      const r = spawnSync(process.execPath, [join(dir, 'bin', 'cvat-sync.js'), '--version'], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('run npm run build first');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts with a node shebang', () => {
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  // `npm test` builds before vitest; a bare vitest run in a fresh checkout has no dist yet.
  it.skipIf(!built)('runs the compiled CLI', () => {
    const version = (
      JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }
    ).version;
    const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });
});
